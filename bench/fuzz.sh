#!/usr/bin/env bash
# fuzz.sh - coverage-guided fuzzing campaigns of dlacc's loaders (tests/fuzz).
#
#   bench/fuzz.sh [-b BUILD] [-t SECONDS] [-j JOBS] [-o OUT] [--smoke] [HARNESS ...]
#
#   -b BUILD    the libFuzzer build (default build-fuzz; configured and built here
#               with clang and -DDLA_FUZZ=ON when it has no harnesses yet)
#   -t SECONDS  time per harness (default 1800: 30 minutes)
#   -j JOBS     parallel fuzzing processes per harness (default 1); CPU time is
#               SECONDS x JOBS
#   -o OUT      where corpora, dictionaries and crash inputs go (default
#               BUILD/fuzz-out); a corpus grows across campaigns
#   --smoke     CI's short run, about 30 s per harness and reproducible: a fixed
#               number of executions per harness (sized to its speed) from a
#               fixed seed, so that CI and a developer's run see the same inputs
#   HARNESS     onnx ir_text target_xml dla asm tensor compile (default: all)
#
# Seeds and dictionaries come from tests/fuzz/seeds.sh. Per harness it prints
# executions, executions per second, coverage (libFuzzer's edge "cov" and
# "ft" features) and the crash/leak/timeout inputs found (OUT/crashes/). Exit
# status 1 when any harness found one: keep each under
# tests/fuzz/regress/<harness>/ once fixed, so that CTest replays it.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build-fuzz
secs=1800
jobs=1
out=
harnesses=()
while [ $# -gt 0 ]; do
  case $1 in
    -b) build=$2; shift 2 ;;
    -t) secs=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    --smoke) smoke=1; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
# executions of the smoke run per harness (the seed corpus included)
smoke_runs() {
  case $1 in
    onnx|ir_text) echo 1000000 ;;
    target_xml|asm) echo 300000 ;;
    dla) echo 200000 ;;
    tensor) echo 20000 ;;
    compile) echo 3000 ;;
  esac
}
[ ${#harnesses[@]} -gt 0 ] || harnesses=(onnx ir_text target_xml dla asm tensor compile)
out=${out:-$build/fuzz-out}
if [ ! -x "$build/tests/fuzz/fuzz_onnx" ]; then
  "$src/scripts/build.sh" --compiler clang "$build" -DDLA_FUZZ=ON >/dev/null 2>&1 || true
  cmake --build "$build" -j "$(nproc)" --target dla_fuzzers dlacc_cli
fi
mkdir -p "$out/crashes"
"$src/tests/fuzz/seeds.sh" "$out/seeds" "$build" >/dev/null
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
found=0
printf '%-11s %10s %9s %8s %8s %7s\n' harness execs exec/s cov ft crashes
for h in "${harnesses[@]}"; do
  corpus=$out/corpus/$h
  mkdir -p "$corpus"
  log=$out/$h.log
  before=$(ls "$out/crashes" | grep -c "^$h-" || true)
  args=("$corpus" "$out/seeds/corpus/$h" -timeout=20 -rss_limit_mb=3072
        -artifact_prefix="$out/crashes/$h-" -print_final_stats=1)
  if [ "${smoke:-0}" = 1 ]; then
    rm -rf "$corpus" && mkdir -p "$corpus" # the seeds only: the same run everywhere
    args+=(-runs="$(smoke_runs "$h")" -seed=1)
  else
    args+=(-max_total_time="$secs")
  fi
  [ -s "$out/seeds/$h.dict" ] && args+=(-dict="$out/seeds/$h.dict")
  if [ "$jobs" -gt 1 ]; then
    # -jobs runs independent processes that share the corpus; each logs to fuzz-N.log
    (cd "$out" && "$build/tests/fuzz/fuzz_$h" "${args[@]}" -jobs="$jobs" -workers="$jobs" >"$log" 2>&1) || true
    cat "$out"/fuzz-*.log >> "$log" 2>/dev/null || true
    rm -f "$out"/fuzz-*.log
  else
    "$build/tests/fuzz/fuzz_$h" "${args[@]}" >"$log" 2>&1 || true
  fi
  execs=$(grep -h '^stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
  rate=$(grep -h '^stat::average_exec_per_sec' "$log" | awk '{s += $2} END {print s + 0}')
  cov=$(grep -ho 'cov: [0-9]*' "$log" | awk '{if ($2 > m) m = $2} END {print m + 0}')
  ft=$(grep -ho 'ft: [0-9]*' "$log" | awk '{if ($2 > m) m = $2} END {print m + 0}')
  after=$(ls "$out/crashes" | grep -c "^$h-" || true)
  new=$((after - before))
  [ "$new" -eq 0 ] || found=1
  printf '%-11s %10s %9s %8s %8s %7s\n' "$h" "$execs" "$rate" "$cov" "$ft" "$new"
  if [ "$new" -ne 0 ]; then
    grep -h -m3 -E 'ERROR|runtime error|SUMMARY' "$log" | sed 's/^/    /'
  fi
done
[ "$found" = 0 ] || echo "fuzz.sh: inputs that crashed are in $out/crashes" >&2
exit $found
