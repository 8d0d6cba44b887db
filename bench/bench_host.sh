#!/bin/sh
# bench_host.sh - dlacc's host backend (LLVM JIT, float) against ONNX Runtime
# (onnxruntime-web 1.30, wasm backend, one thread, under Node.js) on the same
# machine, both single-threaded, on the zoo models' test_data_set_0 input.
#
#   bench/bench_host.sh [-b BUILD_DIR] [-r ROUNDS] [-n REPEAT] [MODEL ...]
#   bench/bench_host.sh BUILD_DIR [MODEL ...]          (older form, still accepted)
#
# Defaults: build/ of this checkout, 3 rounds, 10 timed runs per round,
# models resnet50 mobilenet_v2 resnet18. Each round runs every model once in
# each runtime (interleaved, so a burst of load from elsewhere hits both);
# each runtime reports the median of its REPEAT runs after a warm-up, and the
# table keeps the best (lowest) of the ROUNDS medians.
#
# Two clocks: CPU time of the inference thread(s) (dlacc: CLOCK_THREAD_CPUTIME_ID,
# ORT: process.cpuUsage) and wall time. On an idle machine they agree; on a
# loaded one the wall time also counts the time others held the core, so the
# CPU-time ratio is the one to quote. ratio = dlacc / ORT (< 1: dlacc faster).
# The resnet50 line also gives dlacc's JIT compile time (wall, from
# host_session) and the CPU time of load + shape inference + compile.
# Needs node and npm (bench/package.json: `npm ci` runs when node_modules is missing).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build="$here/../build"
rounds=3
repeat=10
if [ $# -gt 0 ] && [ -f "$1/CMakeCache.txt" ]; then
    build=$1
    shift
fi
while getopts b:r:n: opt; do
    case $opt in
    b) build=$OPTARG ;;
    r) rounds=$OPTARG ;;
    n) repeat=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-r ROUNDS] [-n REPEAT] [MODEL ...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
models=${*:-"resnet50 mobilenet_v2 resnet18"}
zoo="$here/../../shared/models"
prof="$build/bench/host_prof"
[ -x "$prof" ] || { echo "bench_host: $prof not built (cmake --build $build --target host_prof)" >&2; exit 2; }
command -v node >/dev/null || { echo "bench_host: node is not installed" >&2; exit 2; }
[ -d "$here/node_modules/onnxruntime-web" ] || (cd "$here" && npm ci --no-audit --no-fund >/dev/null)

out=$(mktemp "${TMPDIR:-/tmp}/dlacc-bench-host.XXXXXX")
trap 'rm -f "$out"' EXIT
r=1
while [ "$r" -le "$rounds" ]; do
    for m in $models; do
        dir=$m
        [ -d "$dir" ] || dir="$zoo/$m"
        # host NAME compile_wall_s open_cpu_s wall_median_ms wall_min_ms cpu_median_ms
        "$prof" "$dir" --repeat "$repeat" >>"$out"
        # ort NAME load_s wall_median_ms wall_min_ms cpu_median_ms (and the output checked
        # against the zoo's reference, which onnxruntime-web 1.30 produced)
        node "$here/ort_run.js" "$dir" --repeat "$repeat" \
            --compare "$dir/test_data_set_0/output_0.pb" 2>/dev/null >>"$out" ||
            { echo "bench_host: ORT's output of $m does not match the reference" >&2; exit 1; }
    done
    r=$((r + 1))
done

echo "host float inference, single thread: dlacc (LLVM JIT) vs onnxruntime-web $(node -p "require('$here/node_modules/onnxruntime-web/package.json').version") (wasm, 1 thread)"
echo "best of $rounds rounds of the median of $repeat runs; ms per inference; ratio = dlacc / ORT (< 1: dlacc faster)"
awk -v models="$models" '
    $1 == "host" { k = $2; if (!(k in hc) || $7 < hc[k]) hc[k] = $7; if (!(k in hw) || $5 < hw[k]) hw[k] = $5
                   if (!(k in cw) || $3 < cw[k]) cw[k] = $3; if (!(k in cc) || $4 < cc[k]) cc[k] = $4 }
    $1 == "ort"  { k = $2; if (!(k in oc) || $6 < oc[k]) oc[k] = $6; if (!(k in ow) || $4 < ow[k]) ow[k] = $4 }
    END {
        printf "%-14s %11s %11s %9s   %11s %11s %9s\n", "model", "dlacc_cpu", "ort_cpu", "ratio", "dlacc_wall", "ort_wall", "ratio"
        n = split(models, ms, " ")
        for (i = 1; i <= n; i++) {
            k = ms[i]; sub(".*/", "", k)
            printf "%-14s %11.2f %11.2f %9.3f   %11.2f %11.2f %9.3f\n", k, hc[k], oc[k], hc[k] / oc[k], hw[k], ow[k], hw[k] / ow[k]
        }
        for (i = 1; i <= n; i++) {
            k = ms[i]; sub(".*/", "", k)
            printf "%s JIT compile: %.3f s wall (best); load + infer + compile: %.3f s CPU\n", k, cw[k], cc[k]
        }
    }' "$out"
