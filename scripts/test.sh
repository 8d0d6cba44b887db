#!/usr/bin/env bash
# test.sh [--sanitize] - install what is missing, build, and run the whole test suite with CTest.
#   --sanitize: build in build-asan with ASan + UBSan and run the suite there.
# A test that could not run here (model zoo or ONNX test data absent, left out of the
# sanitizer build) is reported by CTest as "Skipped"; the reasons are listed at the end.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/deps.sh"
dir=$src/build; args=()
if [ "${1:-}" = "--sanitize" ]; then
  dir=$src/build-asan; args=(-DDLA_SANITIZE=ON)
fi
"$src/scripts/build.sh" "$dir" "${args[@]}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
cd "$dir"
rc=0
ctest --output-on-failure -j "$(nproc)" || rc=$?
# The SKIPPED lines the tests printed (dla_test_skip, tests/cunit_main.c), by CTest test.
awk '/^[0-9]+\/[0-9]+ Test: /{t = $3} /^SKIPPED /{if (!n++) print "Skips (CTest test: reason):"; print "  " t ": " $0}' \
  Testing/Temporary/LastTest.log
exit $rc
