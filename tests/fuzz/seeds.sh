#!/usr/bin/env bash
# seeds.sh OUT BUILD - the seed corpora and dictionaries of the fuzz harnesses
# (tests/fuzz), assembled from what the machine has rather than kept in git:
#   onnx, compile  small ONNX node-test models (< 32 KiB), the zoo's digits_cnn
#   tensor         the node tests' input/output tensors (< 16 KiB)
#   ir_text        the IR files of the test suite
#   target_xml     the shipped targets
#   dla            programs dlacc compiles (digits_cnn on both targets)
#   asm            their disassembly (`dlacc objdump`), round-tripped by `dlacc as`
# Dictionaries come from the tables themselves: ISA mnemonics and field names
# (isa/isa.def), target XML names (targets/*.xml), ONNX op names (ir/ops.def)
# and the protobuf field tags the ONNX loader reads.
# Writes OUT/corpus/<harness>/ and OUT/<harness>.dict. Missing sources (no
# ../shared, no ONNX test data) give smaller corpora, never an error.
set -euo pipefail
out=$1
build=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
zoo=${DLA_SHARED_DIR:-$src/../shared}/models
nodes=${DLA_ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}/node
for h in onnx ir_text target_xml dla asm tensor compile; do mkdir -p "$out/corpus/$h"; done
n=0
if [ -d "$nodes" ]; then
  for d in "$nodes"/*/; do
    t=$(basename "$d")
    if [ -f "$d/model.onnx" ] && [ "$(stat -c %s "$d/model.onnx")" -lt 32768 ]; then
      cp "$d/model.onnx" "$out/corpus/onnx/$t.onnx"
      case $t in
        *conv*|*pool*|*relu*|*gemm*|*matmul*|*add*|*concat*|*clip*|*sigmoid*) cp "$d/model.onnx" "$out/corpus/compile/$t.onnx" ;;
      esac
    fi
    for f in "$d"/test_data_set_0/*.pb; do
      [ -f "$f" ] && [ "$(stat -c %s "$f")" -lt 16384 ] && cp "$f" "$out/corpus/tensor/${t}_$(basename "$f")"
    done
    n=$((n + 1))
  done
fi
find "$src/tests" -name '*.ir' -exec cp {} "$out/corpus/ir_text/" \;
cp "$src"/targets/*.xml "$out/corpus/target_xml/"
dlacc=$build/bin/dlacc
if [ -f "$zoo/digits_cnn/model.onnx" ] && [ -x "$dlacc" ]; then
  cp "$zoo/digits_cnn/model.onnx" "$out/corpus/onnx/digits_cnn.onnx"
  cp "$zoo/digits_cnn/model.onnx" "$out/corpus/compile/digits_cnn.onnx"
  for t in dla-edge dla-server; do
    if "$dlacc" "$zoo/digits_cnn/model.onnx" -o "$out/corpus/dla/digits_$t" --calib "$zoo/digits_cnn/calib" \
         --input-shape input=1,1,8,8 --target "$t" >/dev/null 2>&1; then
      "$dlacc" objdump "$out/corpus/dla/digits_$t.dla" > "$out/corpus/asm/digits_$t.s" 2>/dev/null || \
        rm -f "$out/corpus/asm/digits_$t.s"
    fi
  done
fi
# dictionaries, from the tables
grep -o '^ *X([A-Z_0-9]*, *"[a-z_0-9]*"' "$src/isa/isa.def" | sed 's/.*"\(.*\)"/"\1"/' | sort -u > "$out/asm.dict"
grep -o 'F([A-Z]*, "[a-z_0-9]*"' "$src/isa/isa.def" | sed 's/.*"\(.*\)"/"\1="/' | sort -u >> "$out/asm.dict"
printf '"%s"\n' "#" ";" ".insn" "0x" "f" >> "$out/asm.dict"
cat "$src"/targets/*.xml | grep -o '<[a-z-]*\|[a-z-]*="' | sort -u | sed 's/"/\\"/g; s/.*/"&"/' > "$out/target_xml.dict"
printf '"%s"\n' "KiB" "MiB" "GiB" "TiB" "</" "/>" "<!--" "-->" >> "$out/target_xml.dict"
grep -o '^OP([A-Z_0-9]*, "[A-Za-z0-9]*"' "$src/ir/ops.def" | sed 's/.*"\(.*\)"/"\1"/' | sort -u > "$out/ops.dict"
cp "$out/ops.dict" "$out/ir_text.dict"
printf '"%s"\n' "graph" "opset" "input" "output" "const" "float32" "int8" "int64" "elided(" "=" "%" "{" "}" "[" "]" >> "$out/ir_text.dict"
# ONNX protobuf: field keys (field number << 3 | wire type) of ModelProto, GraphProto, NodeProto, TensorProto
{ cat "$out/ops.dict"
  printf '"\\x%02x"\n' 0x08 0x12 0x1a 0x22 0x2a 0x32 0x3a 0x42 0x4a 0x52 0x5a 0x62 0x6a 0x72 0x7a 0x82
} > "$out/onnx.dict"
cp "$out/onnx.dict" "$out/compile.dict"
printf '"\\x%02x"\n' 0x08 0x10 0x1a 0x22 0x2a 0x32 0x3a 0x40 0x48 0x52 0x5a 0x62 0x6a > "$out/tensor.dict"
: > "$out/dla.dict"
printf '"%s"\n' "DLA" "SEGMENTS" >> "$out/dla.dict"
for d in "$out"/*.dict; do sed -i '/^""$/d' "$d"; done
for h in onnx ir_text target_xml dla asm tensor compile; do
  echo "seeds: $h $(ls "$out/corpus/$h" | wc -l) files"
done
