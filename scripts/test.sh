#!/usr/bin/env bash
# The whole test suite and every check CI enforces, from a fresh Debian 12
# machine (as root or with sudo): installs what is missing, then runs these
# phases in order and prints how long each took.
#   layering       scripts/check-layering.sh: runtime/ -/-> emulator/, cli/; emulator/ -/-> cli/
#   format         scripts/check-format.sh: clang-format 14 changes nothing
#   links          scripts/check-links.py: every relative link in the Markdown resolves
#   build          scripts/build.sh: everything but the unit tests, warnings as errors
#   thread-safety  scripts/check-thread-safety.sh: clang's analysis of runtime/ and emulator/
#   tests          ctest in ./build: end-to-end tests, benchmark quick mode
#   asan           scripts/build.sh asan, then the unit tests (ctest) under ASan + UBSan
#   tsan           scripts/build.sh tsan, then the runtime/ and emulator/ unit tests under TSan
#                  (but the [kafka] ones: see run_tsan)
#   fuzz           scripts/fuzz.sh: each libFuzzer target (tests/fuzz), 10,000 inputs from a fixed seed
#
#   scripts/test.sh               every phase
#   scripts/test.sh PHASE...      only those (e.g. scripts/test.sh format tsan)
# A failing phase does not stop the ones after it (except that a failed build
# skips what needs it), so one run shows every problem; the exit status is
# non-zero if any phase failed. The tests phase runs in the background,
# beside the asan and tsan phases (their times overlap).
set -euo pipefail
cd "$(dirname "$0")/.."

all_phases=(layering format links build thread-safety tests asan tsan fuzz)
phases=("$@")
((${#phases[@]})) || phases=("${all_phases[@]}")
for phase in "${phases[@]}"; do
  [[ " ${all_phases[*]} " == *" $phase "* ]] || {
    echo "usage: scripts/test.sh [${all_phases[*]}]..." >&2
    exit 2
  }
done

run_layering() { scripts/check-layering.sh; }
run_format() { scripts/check-format.sh; }
run_links() { scripts/check-links.py; }
# The unit tests are compiled and run in the sanitizer flavours only.
run_build() { STATEFUN_CMAKE_FLAGS=-DSTATEFUN_UNIT_TESTS_IN_ALL=OFF scripts/build.sh; }
run_thread-safety() { scripts/check-thread-safety.sh build; }
run_tests() { ctest --test-dir build --output-on-failure --timeout 1500 -E '^unit-'; }
run_asan() {
  scripts/build.sh asan &&
  ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:check_initialization_order=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure --timeout 1500 -R '^unit-'
}
run_fuzz() { STATEFUN_FUZZ_SEED=1 STATEFUN_FUZZ_RUNS=10000 scripts/fuzz.sh 10; }
# Neither hidden tests ([.]) nor the [kafka] ones: librdkafka starts its threads with C11 thrd_create,
# which GCC 12's TSan does not intercept, so TSan crashes inside librdkafka's
# first thread (its allocator was never set up for it). Our Kafka code's
# locking is checked by the thread-safety phase and runs under ASan.
run_tsan() {
  scripts/build.sh tsan &&
  TSAN_OPTIONS="second_deadlock_stack=1" \
    build-tsan/tests/statefun_core_tests '~[.]~[kafka]'
}

names=() results=() seconds=()
record() { names+=("$1"); results+=("$2"); seconds+=("$3"); }

start=$(date +%s)
scripts/setup.sh
record setup ok $(($(date +%s) - start))

# The end-to-end tests mostly wait (for function processes, sockets and
# commits), so they run in the background while the sanitizer builds use
# the CPU; their output is printed when they end.
background_log=$(mktemp)
background_pid=""
finish_background() {
  [[ -n $background_pid ]] || return 0
  local result=ok
  wait "$background_pid" || result=FAILED
  echo "==> tests (ran in the background)"
  cat "$background_log"
  record tests "$result" $(($(date +%s) - background_start))
  background_pid=""
}
trap 'rm -f "$background_log"' EXIT

build_failed=0
for phase in "${phases[@]}"; do
  if ((build_failed)) && [[ $phase == thread-safety || $phase == tests ]]; then
    record "$phase" skipped 0
    continue
  fi
  if [[ $phase == tests ]]; then
    background_start=$(date +%s)
    run_tests >"$background_log" 2>&1 &
    background_pid=$!
    continue
  fi
  echo "==> $phase"
  start=$(date +%s)
  if "run_$phase"; then result=ok; else result=FAILED; fi
  record "$phase" "$result" $(($(date +%s) - start))
  [[ $phase == build && $result == FAILED ]] && build_failed=1
done
finish_background

echo
echo "phase          result   time"
total=0 passed=0 failed=0
for i in "${!names[@]}"; do
  printf '%-14s %-8s %2dm%02ds\n' "${names[$i]}" "${results[$i]}" \
    $((seconds[i] / 60)) $((seconds[i] % 60))
  total=$((total + seconds[i]))
  case "${results[$i]}" in ok) passed=$((passed + 1)) ;; FAILED) failed=$((failed + 1)) ;; esac
done
printf '%-14s %-8s %2dm%02ds\n' total "" $((total / 60)) $((total % 60))
echo "phases: $passed passed, $failed failed"
((failed == 0))
