#!/usr/bin/env bash
# Fails when a layer includes a layer above it. The dependency direction is
# cli/ -> emulator/ -> runtime/: runtime/ never includes emulator/ or cli/,
# and emulator/ never includes cli/. Prints file:line of each violation.
#   scripts/check-layering.sh
set -euo pipefail
cd "$(dirname "$0")/.."

violations=0
# forbid LAYER ABOVE: no source under LAYER/ may include (or proto-import) a
# path under ABOVE/, also not through ../ from inside the layer.
forbid() {
  local layer=$1 above=$2 files hit
  # Tracked files plus new ones not added yet, so a check before `git add` sees them.
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- "$layer/" |
                         grep -E '\.(h|cc|cpp|hpp|proto)$' || true)
  ((${#files[@]})) || return 0
  while IFS= read -r hit; do
    [[ -n $hit ]] || continue
    local file=${hit%%:*} rest=${hit#*:}
    local line=${rest%%:*} text=${rest#*:}
    echo "layering: $file:$line: $layer/ must not include $above/: ${text#"${text%%[![:space:]]*}"}"
    violations=$((violations + 1))
  done < <(grep -nE "^[[:space:]]*(#[[:space:]]*include|import)[[:space:]]*[\"<](\.\./)*$above/" \
             "${files[@]}" || true)
}

forbid runtime emulator
forbid runtime cli
forbid emulator cli

if ((violations)); then
  echo "layering: $violations violation(s); the direction is cli/ -> emulator/ -> runtime/" >&2
  exit 1
fi
echo "layering: ok (runtime/ includes neither emulator/ nor cli/; emulator/ does not include cli/)"
