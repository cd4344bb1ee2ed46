#!/usr/bin/env bash
# Fails when a C++ source differs from what clang-format makes of it (the
# repo's .clang-format, clang-format 14 as Debian 12 ships it). Lists every
# such file and the command that fixes them. Checks every tracked .cc/.h
# file and new ones not added yet; excludes nothing.
#   scripts/check-format.sh
set -euo pipefail
cd "$(dirname "$0")/.."

format=clang-format-14
command -v "$format" >/dev/null || format=clang-format
version=$("$format" --version)
if [[ $version != *" 14."* ]]; then
  echo "check-format: warning: $version is not clang-format 14; its output may differ from CI's" >&2
fi

mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cc' '*.h' |
                       while IFS= read -r f; do [[ -f $f ]] && echo "$f"; done)
# --dry-run -Werror prints a diagnostic per difference; one file name each.
mapfile -t bad < <(printf '%s\0' "${files[@]}" |
                     xargs -0 -n 40 -P "${STATEFUN_JOBS:-2}" "$format" --dry-run -Werror 2>&1 |
                     sed -nE 's/^([^:]+):[0-9]+:[0-9]+: (error|warning): code should be clang-formatted.*/\1/p' |
                     sort -u)
if ((${#bad[@]})); then
  printf 'check-format: not formatted: %s\n' "${bad[@]}"
  echo "check-format: ${#bad[@]} of ${#files[@]} files differ; fix with:" >&2
  echo "  $format -i ${bad[*]}" >&2
  exit 1
fi
echo "check-format: ok (${#files[@]} files)"
