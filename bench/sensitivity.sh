#!/usr/bin/env bash
# sensitivity.sh - how much a zoo model amplifies a small error, in float: the
# model's input gets gaussian noise at 60, 50 and 40 dB SNR, the float host path
# (`dlacc run --host-only`) runs it, and the output's SQNR against ONNX Runtime's
# reference output is printed. No quantization is involved: this is the bound
# that any int8 (or int16) scheme faces once its error reaches the input's
# level. Quantizing the input image alone to int8 is an error of about 40 dB.
#
#   bench/sensitivity.sh [-b BUILD] [-z MODELS] [MODEL ...]
#
# Default models: the ImageNet-shaped zoo CNNs. Needs /usr/bin/python3 with
# onnx and numpy (developer tool, never called by the tests).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build
zoo=$src/../shared/models
while getopts b:z: o; do
    case $o in
    b) build=$OPTARG ;;
    z) zoo=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(squeezenet1_1 resnet18 mobilenet_v2 resnet50)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| model | input SNR 60 dB | 50 dB | 40 dB |"
echo "|---|---|---|---|"
for m in "${models[@]}"; do
    d=$zoo/$m
    row="| $m |"
    for db in 60 50 40; do
        /usr/bin/python3 "$src/bench/perturb.py" noise "$d/test_data_set_0/input_0.pb" "$tmp/in.pb" "$db" 0
        "$build/bin/dlacc" run "$d/model.onnx" --host-only --input "$tmp/in.pb" --output "$tmp/out.pb" >/dev/null 2>&1
        row="$row $(/usr/bin/python3 "$src/bench/perturb.py" sqnr "$d/test_data_set_0/output_0.pb" "$tmp/out.pb") dB |"
    done
    echo "$row"
done
