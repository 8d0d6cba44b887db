#!/bin/sh
# bench_host.sh - host backend vs ONNX Runtime (onnxruntime-web, wasm, 1 thread) on the zoo.
#   bench/bench_host.sh BUILD_DIR [MODEL ...]        (default models: resnet50 mobilenet_v2)
# Needs node and `npm install` in bench/ort (onnxruntime-web; node_modules is not committed).
# Prints per model: our JIT compile time, our and ORT's median inference time, and the ratio
# ours/ORT (< 1: we are faster). Both run single-threaded on the same machine.
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: bench_host.sh BUILD_DIR [MODEL ...]}
shift
models=${*:-"resnet50 mobilenet_v2"}
zoo="$here/../../shared/models"
[ -d "$here/ort/node_modules/onnxruntime-web" ] || (cd "$here/ort" && npm install --no-audit --no-fund >/dev/null)
printf "%-14s %10s %12s %12s %8s\n" model compile_s host_run_s ort_run_s ratio
for m in $models; do
    h=$("$build/bench/bench_host" "$zoo/$m" --repeat 10)
    o=$(node "$here/ort/ort_bench.mjs" "$zoo/$m" 10)
    echo "$h $o" | awk '{ printf "%-14s %10.2f %12.4f %12.4f %8.2f\n", $2, $3, $4, $8, $4 / $8 }'
done
