#!/bin/sh
# aot_bundles.sh - for each zoo model: the AOT bundle's sizes (.o, .dla) and the
# scratch its header declares against the peak a run actually uses
# (tests/aot/aot_check.c fills the arena with a pattern and finds the highest
# byte the run changed), and the accelerator cycles per run.
#
#   bench/aot_bundles.sh [BUILD_DIR [TARGET [MODEL...]]]
#
# BUILD_DIR defaults to ./build, TARGET to dla-edge, MODEL to the six zoo
# models. Work files go to BUILD_DIR/aot_bench/. Needs the ../shared zoo.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
target=${2:-dla-edge}
[ $# -gt 2 ] && shift 2 && models="$*" || models="digits_cnn squeezenet1_1 resnet18 mobilenet_v2 resnet50 tiny_encoder"
zoo=$src/../shared/models
work=$build/aot_bench
mkdir -p "$work"
cc=${CC:-cc}
libs="$build/runtime/libdla_runtime.a $build/isa/libdla_isa.a $build/support/libdla_support.a -lxml2 -lm"
printf '%-14s %-10s %10s %12s %14s %14s %8s %12s %9s\n' model target obj_bytes dla_bytes scratch_decl scratch_used equal cycles compile_s
for m in $models; do
    name=$(echo "$m" | tr -c 'A-Za-z0-9_\n' _)
    up=$(echo "$name" | tr a-z A-Z)
    shape=
    [ "$m" = digits_cnn ] && shape="--input-shape input=1,1,8,8"
    t0=$(date +%s.%N)
    if ! "$build/bin/dlacc" "$zoo/$m/model.onnx" -o "$work/$name" --name "$name" --target "$target" \
            --calib "$zoo/$m/calib" $shape 2> "$work/$name.log"; then
        printf '%-14s %-10s compile failed: %s\n' "$m" "$target" "$(tail -1 "$work/$name.log")"
        continue
    fi
    t1=$(date +%s.%N)
    $cc -std=c11 -O2 -DAOT_H="\"$name.h\"" -DAOT_N="$name" -DAOT_U="$up" -I"$work" -I"$src/include" \
        -I"$src/support" -I"$src" -I"$src/tests/aot" "$src/tests/aot/aot_check.c" "$work/$name.o" $libs \
        -o "$work/check_$name"
    out=$("$work/check_$name" "$work/$name.dla" "$zoo/$m/test_data_set_0/input_0.pb" 2>&1) || true
    decl=$(echo "$out" | sed -n 's/^scratch declared \([0-9]*\) used.*/\1/p')
    used=$(echo "$out" | sed -n 's/^scratch declared [0-9]* used \([0-9]*\).*/\1/p')
    cyc=$(echo "$out" | sed -n 's/^cycles \([0-9]*\).*/\1/p')
    eq=no
    [ -n "$decl" ] && [ "$decl" = "$used" ] && eq=yes
    [ -z "$decl" ] && echo "$out" >&2
    printf '%-14s %-10s %10s %12s %14s %14s %8s %12s %9.1f\n' "$m" "$target" "$(wc -c < "$work/$name.o")" \
        "$(wc -c < "$work/$name.dla")" "${decl:-?}" "${used:-?}" "$eq" "${cyc:-?}" \
        "$(echo "$t1 - $t0" | bc)"
done
