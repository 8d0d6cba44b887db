#!/bin/sh
# aot_test.sh - the AOT bundle tests (tests/aot/CMakeLists.txt): they run the
# built dlacc and the system C compiler the way a user's build does.
#
#   aot_test.sh MODE DLACC SRC WORK CC "DLART_CFLAGS" "DLART_LIBS"
#
# DLART_CFLAGS "pkg-config:DIR" means an installed libdlart: pkg-config finds
# dlart.pc in DIR, gives the flags (plus an rpath to the install's libdir),
# and examples/digits' Makefile asks pkg-config itself, as after a user's
# `cmake --install`. Otherwise the flags are given (the sanitizer build links
# the build tree's instrumented archives).
#
# MODE example  examples/digits through its Makefile: `make run` prints an
#               accuracy >= 0.995; then corrupted .dla files (bit flips at
#               header, table and section offsets, truncations) and
#               mismatched ones (another compile, another target) make the
#               program exit 1 with a message: never 0, never a crash.
#      scratch  the header's scratch size equals the peak a run uses
#               (aot_check.c), for the digits model and squeezenet1_1 (host
#               and DLA segments; when ../shared is there).
#      two      two bundles under their own names in one program.
#      cross    --host-triple aarch64-linux-gnu / riscv64-linux-gnu /
#               x86_64-linux-gnu: ELF objects for that machine (e_machine).
#      qemu     optional (77 = skipped without the tools): examples/digits
#               cross-built for aarch64 and run under qemu-user.
set -u
mode=$1 dlacc=$2 src=$3 work=$4 cc=$5 cflags=$6 libs=$7
make_flags=
case $cflags in
pkg-config:*)
    PKG_CONFIG_PATH=${cflags#pkg-config:}
    export PKG_CONFIG_PATH
    cflags=$(pkg-config --cflags dlart) && libs="$(pkg-config --libs dlart) -Wl,-rpath,$(pkg-config --variable=libdir dlart)" ||
        { echo "FAIL: pkg-config dlart in $PKG_CONFIG_PATH" >&2; exit 1; }
    ;;
*)
    make_flags=given ;;
esac
ex=$src/examples/digits
rm -rf "$work" && mkdir -p "$work/hdr" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
compile() { # PREFIX NAME [dlacc options]
    p=$1 n=$2
    shift 2
    "$dlacc" "$ex/model.onnx" -o "$work/$p" --name "$n" --calib "$ex/calib" --input-shape input=1,1,8,8 "$@" \
        2> "$work/$p.log" || { cat "$work/$p.log" >&2; fail "dlacc $p"; }
}
# expect_refused DLA WHAT PATTERN: the example run on DLA exits 1 with a message matching PATTERN
expect_refused() {
    "$work/digits" "$1" "$ex/test_images.pb" "$ex/test_labels.pb" > "$work/out" 2> "$work/err"
    rc=$?
    [ $rc -eq 1 ] || fail "$2: exit status $rc (expected 1)"
    grep -q "$3" "$work/err" || fail "$2: message '$(cat "$work/err")' lacks '$3'"
    echo "refused ($2): $(head -c 300 "$work/err")"
}

case $mode in
example)
    if [ -n "$make_flags" ]; then
        make -f "$ex/Makefile" O="$work" DLACC="$dlacc" CC="$cc" DLART_CFLAGS="$cflags" DLART_LIBS="$libs" \
            DLART_RPATH= CFLAGS="-O2 -std=c11 -Wall -Wextra -Werror" run > "$work/run.txt" 2> "$work/make.log"
    else # the Makefile's own pkg-config, as a user's build
        make -f "$ex/Makefile" O="$work" DLACC="$dlacc" CC="$cc" CFLAGS="-O2 -std=c11 -Wall -Wextra -Werror" run \
            > "$work/run.txt" 2> "$work/make.log"
    fi || { cat "$work/make.log" "$work/run.txt" >&2; fail "make run"; }
    cat "$work/run.txt"
    awk '/^accuracy: / { ok = ($2 >= 0.995) } END { exit !ok }' "$work/run.txt" || fail "accuracy below 0.995"
    grep -q '^cycles: [1-9]' "$work/run.txt" || fail "no cycles line"
    good=$work/digits.dla
    size=$(wc -c < "$good")
    # bit flips: magic, version, nsections, file size, fingerprint, header CRC,
    # section table, and bytes inside the sections (code, tensors, consts, last byte)
    for off in 0 8 16 24 33 48 70 100 200 400 1000 $((size / 2)) $((size - 1)); do
        cp "$good" "$work/flip.dla"
        b=$(od -An -tu1 -j$off -N1 "$good" | tr -d ' ')
        printf "$(printf '\\%03o' $((b ^ 16)))" | dd of="$work/flip.dla" bs=1 seek=$off conv=notrunc 2> /dev/null
        cmp -s "$good" "$work/flip.dla" && fail "bit flip at $off did not change the file"
        expect_refused "$work/flip.dla" "bit flip at byte $off" "dla\|checksum\|header\|magic"
    done
    for n in 0 1 63 64 100 $((size / 2)) $((size - 8)) $((size - 1)); do
        head -c $n "$good" > "$work/trunc.dla"
        expect_refused "$work/trunc.dla" "truncated to $n bytes" "trunc\|bytes\|short\|header"
    done
    expect_refused "$work/missing.dla" "missing file" "missing.dla"
    # another compile of the model (other calibration statistics: other scales)
    compile other digits --calib-method percentile --emit dla
    cmp -s "$good" "$work/other.dla" && fail "the percentile compile gave the same .dla"
    expect_refused "$work/other.dla" "another compile" "different compiles"
    # the same model for another target
    compile server digits --target dla-server --emit dla
    expect_refused "$work/server.dla" "another target" "compiled for target 'dla-server'"
    # a header from another compile with the object of this one
    compile hdr/digits digits --calib-method percentile --emit header
    $cc -std=c11 -I"$work/hdr" $cflags -c "$ex/main.c" -o "$work/hdr/main.o" &&
        $cc -o "$work/hdr/digits" "$work/hdr/main.o" "$work/digits.o" $libs || fail "cc (mismatched header)"
    "$work/hdr/digits" "$good" "$ex/test_images.pb" "$ex/test_labels.pb" > "$work/out" 2> "$work/err"
    rc=$?
    [ $rc -eq 1 ] && grep -q "header .* and the object .* come from different compiles" "$work/err" ||
        fail "mismatched header: status $rc, '$(cat "$work/err")'"
    echo "refused (header of another compile): $(cat "$work/err")"
    # the generated code allocates nothing
    nm -u "$work/digits.o" | grep -w -E "malloc|calloc|realloc|free|posix_memalign|aligned_alloc" &&
        fail "digits.o calls an allocator"
    # the good file still works
    "$work/digits" "$good" "$ex/test_images.pb" "$ex/test_labels.pb" > /dev/null || fail "the intact .dla"
    ;;
scratch)
    compile digits digits
    $cc -std=c11 -O2 -Wall -Wextra -Werror -DAOT_H='"digits.h"' -DAOT_N=digits -DAOT_U=DIGITS -I"$work" $cflags \
        -I"$src/tests/aot" "$src/tests/aot/aot_check.c" "$work/digits.o" $libs -o "$work/check" || fail "cc"
    "$work/check" "$work/digits.dla" || fail "scratch declared != used"
    # a model with host segments and several DLA segments, when the zoo is there
    zoo=$src/../shared/models
    if [ -f "$zoo/squeezenet1_1/model.onnx" ]; then
        "$dlacc" "$zoo/squeezenet1_1/model.onnx" -o "$work/sq" --name sq --calib "$zoo/squeezenet1_1/calib" \
            2> "$work/sq.log" || { cat "$work/sq.log" >&2; fail "dlacc squeezenet1_1"; }
        $cc -std=c11 -O2 -Wall -Wextra -Werror -DAOT_H='"sq.h"' -DAOT_N=sq -DAOT_U=SQ -I"$work" $cflags \
            -I"$src/tests/aot" "$src/tests/aot/aot_check.c" "$work/sq.o" $libs -o "$work/check_sq" || fail "cc"
        "$work/check_sq" "$work/sq.dla" "$zoo/squeezenet1_1/test_data_set_0/input_0.pb" ||
            fail "squeezenet1_1: scratch declared != used"
    else
        echo "(no ../shared/models: squeezenet1_1 skipped)"
    fi
    ;;
two)
    compile digits_edge digits_edge --target dla-edge
    compile digits_server digits_server --target dla-server
    $cc -std=c11 -O2 -Wall -Wextra -Werror -I"$work" $cflags -I"$src/tests/aot" "$src/tests/aot/two_bundles.c" \
        "$work/digits_edge.o" "$work/digits_server.o" $libs -o "$work/two" || fail "cc (two bundles, one program)"
    "$work/two" "$work/digits_edge.dla" "$work/digits_server.dla" "$ex/test_images.pb" "$ex/test_labels.pb" ||
        fail "two bundles"
    ;;
cross)
    for t in aarch64-linux-gnu:183 riscv64-linux-gnu:243 x86_64-linux-gnu:62; do
        triple=${t%:*} want=${t#*:}
        compile "x_$triple" x --host-triple "$triple" --emit obj,header
        o=$work/x_$triple.o
        [ "$(od -An -c -N4 "$o" | tr -d ' ')" = "177ELF" ] || fail "$triple: not an ELF file"
        [ "$(od -An -tu1 -j4 -N1 "$o" | tr -d ' ')" = 2 ] || fail "$triple: not ELFCLASS64"
        got=$(od -An -tu2 -j18 -N2 "$o" | tr -d ' ')
        [ "$got" = "$want" ] || fail "$triple: e_machine $got, expected $want"
        echo "$triple: ELF64, e_machine $got"
    done
    ;;
qemu)
    # Optional: examples/digits built for aarch64 (bundle, program and libdlart
    # cross-compiled) and run under qemu-user. Skipped (77) without
    # aarch64-linux-gnu-gcc and qemu-aarch64 (apt-get install gcc-aarch64-linux-gnu
    # qemu-user). libdlart's sources are compiled here with the cross compiler;
    # --gc-sections drops the target-XML reader, the one part that needs
    # libxml2, which the bundle path never calls (the .dla carries its target).
    xcc=aarch64-linux-gnu-gcc
    command -v $xcc > /dev/null && command -v qemu-aarch64 > /dev/null || { echo "SKIP: no $xcc / qemu-aarch64"; exit 77; }
    sysroot=/usr/aarch64-linux-gnu # Debian's cross libc (the dynamic loader qemu needs)
    [ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || { echo "SKIP: no $sysroot/lib/ld-linux-aarch64.so.1"; exit 77; }
    mkdir -p "$work/rt"
    for f in "$src"/runtime/*.c "$src"/isa/*.c "$src"/support/*.c; do
        $xcc -std=c11 -O2 -D_GNU_SOURCE -ffunction-sections -fdata-sections -I/usr/include/libxml2 -I"$src/include" \
            -I"$src/support" -I"$src" -I"$src/isa" -I"$src/runtime" -DDLA_TARGETS_DIR='"/nonexistent"' \
            -c "$f" -o "$work/rt/$(basename "$f" .c).o" || fail "$xcc $f"
    done
    make -f "$ex/Makefile" O="$work" DLACC="$dlacc" DLACCFLAGS="--host-triple aarch64-linux-gnu" CC=$xcc \
        DLART_CFLAGS="$cflags" DLART_LIBS="$work/rt/*.o -Wl,--gc-sections -lm" CFLAGS="-O2 -std=c11" \
        "$work/digits" > "$work/make.log" 2>&1 || { cat "$work/make.log" >&2; fail "make (aarch64)"; }
    [ "$(od -An -tu2 -j18 -N2 "$work/digits" | tr -d ' ')" = 183 ] || fail "the program is not an AArch64 ELF"
    qemu-aarch64 -L "$sysroot" "$work/digits" "$work/digits.dla" "$ex/test_images.pb" "$ex/test_labels.pb" \
        > "$work/run.txt" || fail "qemu-aarch64 run"
    cat "$work/run.txt"
    awk '/^accuracy: / { ok = ($2 >= 0.995) } END { exit !ok }' "$work/run.txt" || fail "accuracy below 0.995"
    ;;
*)
    fail "unknown mode $mode"
    ;;
esac
echo "PASS: aot $mode"
