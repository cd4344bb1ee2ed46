#!/usr/bin/env bash
# Clang's thread-safety analysis over runtime/ and emulator/: every
# STATEFUN_GUARDED_BY member touched without its mutex held (see
# runtime/core/thread_annotations.h) is an error. Syntax-only, so it costs a
# parse per file and no code generation. Reads the compile commands of a
# configured and built tree (the protobuf headers must exist) and checks the
# files that include thread_annotations.h, directly or not; --all checks
# every runtime/ and emulator/ file.
#   scripts/check-thread-safety.sh [--all] [build-dir]   (default: build)
#
# Clang 16, not Debian 12's default clang 14: libstdc++ 12 offers
# std::expected (our Result<T>) only when __cpp_concepts >= 202002L, which
# clang 16 implements (conditionally trivial special members) but does not
# announce yet, so the check announces it; clang 14 cannot compile it at all.
set -euo pipefail
cd "$(dirname "$0")/.."

all=0
[[ ${1:-} == --all ]] && { all=1; shift; }
dir=${1:-build}
clang=${STATEFUN_CLANG:-clang++-16}
if ! command -v "$clang" >/dev/null; then
  echo "check-thread-safety: $clang not found (scripts/setup.sh installs clang-16)" >&2
  exit 2
fi
if [[ ! -f $dir/compile_commands.json ]]; then
  echo "check-thread-safety: no $dir/compile_commands.json; run scripts/build.sh first" >&2
  exit 2
fi

# The translation units to check: under runtime/ or emulator/ and, unless
# --all, depending on thread_annotations.h according to ninja's header deps.
root=$PWD
if ((all)); then
  wanted=""
else
  wanted=$(ninja -C "$dir" -t deps 2>/dev/null | awk -v root="$root/" '
    /^[^ ].*: #deps/ { obj = $1; sub(/:$/, "", obj); next }
    /runtime\/core\/thread_annotations\.h$/ { print obj }' | sort -u)
fi

mapfile -d '' commands < <(WANTED="$wanted" ALL=$all ROOT="$root" CLANG="$clang" DIR="$dir" python3 - <<'PY'
import json, os, shlex, sys
root, clang, build = os.environ["ROOT"], os.environ["CLANG"], os.environ["DIR"]
wanted = set(os.environ["WANTED"].split())
check_all = os.environ["ALL"] == "1"
for entry in json.load(open(os.path.join(build, "compile_commands.json"))):
    rel = os.path.relpath(entry["file"], root)
    if not rel.startswith(("runtime/", "emulator/")):
        continue
    args = shlex.split(entry["command"])
    out = args[args.index("-o") + 1] if "-o" in args else ""
    if not check_all and out not in wanted:
        continue
    keep, skip = [], False
    for arg in args[1:]:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-c"):
            skip = arg == "-o"
            continue
        if arg == entry["file"] or arg.startswith(("-O", "-g", "-fsanitize", "-fno-sanitize")):
            continue
        if arg.startswith("-std="):
            arg = "-std=c++2b"
        keep.append(arg)
    cmd = [clang, *keep, "-U__cpp_concepts", "-D__cpp_concepts=202002L", "-fsyntax-only",
           "-Wthread-safety", "-Werror=thread-safety", entry["file"]]
    sys.stdout.write(f"cd {shlex.quote(entry['directory'])} && {shlex.join(cmd)}\0")
PY
)
if ((${#commands[@]} == 0)); then
  echo "check-thread-safety: no file to check (is $dir built?)" >&2
  exit 2
fi
if printf '%s\0' "${commands[@]}" | xargs -0 -n 1 -P "${STATEFUN_JOBS:-2}" bash -c 'eval "$1"' check; then
  echo "check-thread-safety: ok (${#commands[@]} files)"
else
  echo "check-thread-safety: failed; see the errors above" >&2
  exit 1
fi
