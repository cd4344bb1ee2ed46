#!/usr/bin/env bash
# Configures and builds statefun, warnings as errors, in one of three flavours:
#   scripts/build.sh [TARGET...]        RelWithDebInfo into ./build: everything
#   scripts/build.sh asan [TARGET...]   Debug + AddressSanitizer + UBSan into
#                                       ./build-asan: the unit tests (statefun_tests)
#   scripts/build.sh tsan [TARGET...]   Debug + ThreadSanitizer into ./build-tsan:
#                                       the runtime/ and emulator/ unit tests
#                                       (statefun_core_tests)
# Naming targets builds those instead (e.g. `scripts/build.sh asan statefun`
# for a sanitized binary). STATEFUN_JOBS sets ninja's parallelism (default 2);
# STATEFUN_CMAKE_FLAGS adds CMake settings (e.g. -DSTATEFUN_UNIT_TESTS_IN_ALL=OFF).
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=default
case "${1:-}" in
  default | asan | tsan) flavour=$1; shift ;;
  -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
# The sanitizer builds skip debug info beyond line tables: enough for file:line
# in their reports, and much less for the compiler and linker to write.
case "$flavour" in
  default) dir=build; targets=()
           flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTATEFUN_SANITIZE= -DSTATEFUN_UNIT_TESTS_IN_ALL=ON) ;;
  asan) dir=build-asan; targets=(statefun_tests)
        flags=(-DCMAKE_BUILD_TYPE=Debug -DSTATEFUN_SANITIZE=address "-DCMAKE_CXX_FLAGS_DEBUG=-g1") ;;
  tsan) dir=build-tsan; targets=(statefun_core_tests)
        flags=(-DCMAKE_BUILD_TYPE=Debug -DSTATEFUN_SANITIZE=thread "-DCMAKE_CXX_FLAGS_DEBUG=-g1") ;;
esac
(($#)) && targets=("$@")
# Configure every time (a second or two): an existing tree picks up these
# settings, and an unchanged one rebuilds nothing.
read -ra extra <<<"${STATEFUN_CMAKE_FLAGS:-}"
cmake -S . -B "$dir" -G Ninja -DSTATEFUN_WERROR=ON "${flags[@]}" "${extra[@]}" >/dev/null
ninja -C "$dir" -j"${STATEFUN_JOBS:-2}" "${targets[@]}"
