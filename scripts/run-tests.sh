#!/usr/bin/env bash
# Runs every suite of `make test`, stopping at the first that fails, so the output always ends
# with the summary of the ctest run that decided the outcome:
#   1. each fuzz target for $FUZZ_SECONDS on its corpus (build-fuzz),
#   2. the concurrency suites under TSan (build-tsan),
#   3. the whole suite under ASan + UBSan (build-asan),
#   4. the whole suite in the release build (build), last.
# `run-tests.sh fuzz` runs step 1 only.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-2}
export FUZZ_SECONDS=${FUZZ_SECONDS:-60}
# Sanitizer reports fail the test that produced them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

step() {
  local title=$1; shift
  echo
  echo "=== $title"
  "$@" || { echo "=== FAILED: $title"; exit 1; }
}

step "fuzz targets, ${FUZZ_SECONDS}s each (build-fuzz)" \
  ctest --no-tests=error --test-dir build-fuzz --output-on-failure -j"$jobs" -L fuzz
[ "${1:-}" = fuzz ] && exit 0
step "concurrency suites under TSan (build-tsan)" \
  ctest --no-tests=error --test-dir build-tsan --output-on-failure -j"$jobs" -L concurrency
step "every suite under ASan + UBSan (build-asan)" \
  ctest --no-tests=error --test-dir build-asan --output-on-failure -j"$jobs"
echo
echo "=== every suite, release build (build)"
exec ctest --no-tests=error --test-dir build --output-on-failure -j"$jobs"
