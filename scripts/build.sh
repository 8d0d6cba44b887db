#!/usr/bin/env bash
# build.sh [--compiler gcc|clang] [BUILD_DIR] [cmake args...] - configure and build dlacc
# (out of tree; default build type RelWithDebInfo, a later -DCMAKE_BUILD_TYPE=... wins).
#   --compiler: the C/C++ compiler pair (gcc/g++ or clang/clang++); default: CMake's choice.
#   Example (what CI adds to the suite): build.sh --compiler clang build-clang -DCMAKE_BUILD_TYPE=Release
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cc=()
if [ "${1:-}" = "--compiler" ]; then
  case ${2:-} in
    gcc) cc=(-DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++) ;;
    clang) cc=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
    *) echo "build.sh: --compiler gcc or clang, not '${2:-}'" >&2; exit 2 ;;
  esac
  shift 2
fi
dir=${1:-$src/build}; shift || true
cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${cc[@]}" "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
