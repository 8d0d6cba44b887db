#!/usr/bin/env bash
# test.sh [--sanitize] - install what is missing, build, and run the whole test suite with CTest.
#   --sanitize: build in build-asan with ASan + UBSan and run the suite there.
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
cd "$dir" && ctest --output-on-failure -j "$(nproc)"
