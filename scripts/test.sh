#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing,
# builds, then runs the unit tests and the end-to-end tests (the real binary
# against real official-SDK function processes) through ctest.
#   scripts/test.sh          everything
#   scripts/test.sh asan     the same suite on the sanitizer build
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-default}
scripts/setup.sh
scripts/build.sh "$flavour"
dir=build
[[ $flavour == asan ]] && dir=build-asan
ctest --test-dir "$dir" --output-on-failure --timeout 1500
