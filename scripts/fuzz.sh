#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang 16, ASan + UBSan and
# coverage instrumentation into ./build-fuzz, then runs each for a fixed time,
# starting from its committed corpus (tests/fuzz/corpus/<target>/).
#   scripts/fuzz.sh                      every target, 10 s each (CI: fixed seed and runs)
#   scripts/fuzz.sh 600 module_yaml      one target for 10 minutes
#   STATEFUN_FUZZ_MERGE=1 scripts/fuzz.sh 300 protocol
#                                        then merge what it found that adds
#                                        coverage into the committed corpus
# Targets: protocol, http_parser, module_yaml, statefun_yaml, ingress_path.
# New inputs go to build-fuzz/corpus/<target>/, a crash, leak or hang (over
# 5 s for one input) to build-fuzz/artifacts/<target>-*; rerun one with
# build-fuzz/tests/fuzz/fuzz_<target> FILE. Exit 1 if any target failed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(protocol http_parser module_yaml statefun_yaml ingress_path)
clang=${STATEFUN_CLANG:-clang++-16}
if ! command -v "$clang" >/dev/null; then
  echo "fuzz: $clang not found (scripts/setup.sh installs clang-16)" >&2
  exit 2
fi

# libstdc++ 12 offers std::expected only when __cpp_concepts says C++20
# concepts are complete, which clang 16 implements but does not announce
# (see scripts/check-thread-safety.sh).
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER="$clang" \
  "-DCMAKE_CXX_FLAGS=-U__cpp_concepts -D__cpp_concepts=202002L" "-DCMAKE_CXX_FLAGS_DEBUG=-g1 -O1" \
  -DSTATEFUN_SANITIZE=address -DSTATEFUN_FUZZ=ON -DSTATEFUN_BUILD_TESTS=OFF >/dev/null
ninja -C build-fuzz -j"${STATEFUN_JOBS:-2}" "${targets[@]/#/fuzz_}"

failed=()
for target in "${targets[@]}"; do
  seeds=tests/fuzz/corpus/$target
  work=build-fuzz/corpus/$target
  mkdir -p "$work" build-fuzz/artifacts
  echo "==> fuzz $target for ${seconds}s"
  # STATEFUN_FUZZ_SEED fixes libFuzzer's seed and STATEFUN_FUZZ_RUNS caps
  # the inputs tried: CI sets both, so it repeats the same inputs every time
  # (a fresh random finding must not fail an unrelated change; finding new
  # ones is what the longer, random runs on demand are for).
  # -timeout: one input running longer is a hang; -rss_limit_mb: a leak or
  # an allocation out of proportion; -max_len: configuration files and
  # messages of a few KiB reach every branch.
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "build-fuzz/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=5 \
      -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 ${STATEFUN_FUZZ_SEED:+-seed=$STATEFUN_FUZZ_SEED} \
      ${STATEFUN_FUZZ_RUNS:+-runs=$STATEFUN_FUZZ_RUNS} \
      -artifact_prefix="build-fuzz/artifacts/$target-" "$work" "$seeds" \
      >"build-fuzz/$target.log" 2>&1; then
    tail -n 40 "build-fuzz/$target.log"
    failed+=("$target")
    continue
  fi
  grep -E '^stat::(number_of_executed_units|new_units_added)' "build-fuzz/$target.log" |
    tr '\n' ' '
  echo
  if [[ ${STATEFUN_FUZZ_MERGE:-} == 1 ]]; then
    "build-fuzz/tests/fuzz/fuzz_$target" -merge=1 -max_len=4096 "$seeds" "$work" \
      >>"build-fuzz/$target.log" 2>&1
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: failed: ${failed[*]} (inputs in build-fuzz/artifacts/, logs in build-fuzz/*.log)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} target(s) ran ${seconds}s each without a finding"
