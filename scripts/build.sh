#!/usr/bin/env bash
# Configures and builds statefun (and its tests) into ./build.
#   scripts/build.sh            release build with debug info
#   scripts/build.sh asan       Debug + AddressSanitizer + UBSan into ./build-asan
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-default}
case "$flavour" in
  default) dir=build; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DSTATEFUN_SANITIZE=ON) ;;
  *) echo "usage: scripts/build.sh [default|asan]" >&2; exit 2 ;;
esac
jobs=${STATEFUN_JOBS:-2}
if [[ ! -f $dir/build.ninja ]]; then
  cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
fi
ninja -C "$dir" -j"$jobs"
