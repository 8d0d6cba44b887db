#!/usr/bin/env bash
# results.sh - the README's results table, measured: every zoo model compiled for
# each DLA target and run on the simulator by `dlacc run --verify`, one Markdown
# row per (model, target), then the digits_cnn accuracy on its 397 test images.
#
#   bench/results.sh [-b BUILD] [-z MODELS] [-t "T1 T2"] [--update-readme] [MODEL ...]
#
#   -b BUILD         build directory with bin/dlacc (default: build; not rebuilt here)
#   -z MODELS        the zoo's models/ folder (default: ../shared/models beside the checkout)
#   -t "T1 T2"       targets (default: "dla-edge dla-server")
#   --update-readme  also write the output between the README.md lines
#                    <!-- results:begin --> and <!-- results:end --> (both must exist)
#   MODEL ...        default: digits_cnn squeezenet1_1 resnet18 mobilenet_v2 resnet50 tiny_encoder
#
# Each run is `dlacc run MODEL/model.onnx --target T --calib MODEL/calib --input
# MODEL/test_data_set_0/input_0.pb --reference MODEL/test_data_set_0/output_0.pb
# --stats-json F --verify`; the columns come from F (tools/cmd_run_dla.c writes it):
# segments.dla, reference.sqnr_db (int8 output against ONNX Runtime's float
# output_0.pb), cycles, roofline_cycles, utilization, qref (bit-exact: the DLA
# segments' int8 bytes against the integer reference), reference.top1_agree.
# A model that does not compile or run for a target is listed below the table
# with dlacc's message, not in it. Needs jq. Takes a few minutes (resnet50).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build
zoo=$src/../shared/models
targets="dla-edge dla-server"
update=0
models=()
while [ $# -gt 0 ]; do
  case $1 in
    -b) build=$2; shift 2 ;;
    -z) zoo=$2; shift 2 ;;
    -t) targets=$2; shift 2 ;;
    --update-readme) update=1; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "results.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[ ${#models[@]} -gt 0 ] || models=(digits_cnn squeezenet1_1 resnet18 mobilenet_v2 resnet50 tiny_encoder)
dlacc=$build/bin/dlacc
[ -x "$dlacc" ] || { echo "results.sh: $dlacc is missing (scripts/build.sh $build)" >&2; exit 2; }
[ -d "$zoo" ] || { echo "results.sh: $zoo is absent (put the shared/ folder beside the checkout, or -z)" >&2; exit 2; }
command -v jq >/dev/null || { echo "results.sh: needs jq (apt-get install jq)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1234567 -> 1,234,567
commas() { sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta' <<<"$1"; }

out=$work/results.md
notes=()
{
  echo "| model | target | DLA segments | SQNR dB | cycles | roofline cycles | MAC utilization | bit-exact | top-1 agrees |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$out"
for m in "${models[@]}"; do
  d=$zoo/$m
  for t in $targets; do
    js=$work/$m.$t.json
    echo "results.sh: $m on $t" >&2
    if ! "$dlacc" run "$d/model.onnx" --target "$t" --calib "$d/calib" --input "$d/test_data_set_0/input_0.pb" \
         --reference "$d/test_data_set_0/output_0.pb" --stats-json "$js" --verify 2>"$work/err" || [ ! -s "$js" ]; then
      notes+=("$m on $t: not measured: $(grep -v '^dlacc run: wall' "$work/err" | tail -n 1)")
      continue
    fi
    jq -r '[.segments.dla, (.reference.sqnr_db // "inf"), .cycles, .roofline_cycles, .utilization,
            .qref.bytes, .qref.mismatches, .reference.top1_agree, .reference.rows] | @tsv' "$js" >"$work/row"
    IFS=$'\t' read -r nseg sqnr cyc roof util qbytes qdiff agree rows <"$work/row"
    [ "$sqnr" = inf ] || sqnr=$(printf '%.1f' "$sqnr")
    if [ "$nseg" -eq 0 ]; then exact="n/a (no DLA segment)"
    elif [ "$qdiff" -eq 0 ]; then exact=yes
    else exact="no ($qdiff of $qbytes bytes differ)"; fi
    if [ "$agree" -eq "$rows" ]; then top=yes; else top="no ($agree of $rows)"; fi
    printf '| %s | %s | %s | %s | %s | %s | %.2f | %s | %s |\n' "$m" "$t" "$nseg" "$sqnr" "$(commas "$cyc")" \
      "$(commas "$(printf '%.0f' "$roof")")" "$util" "$exact" "$top" >>"$out"
  done
done

# digits_cnn's accuracy on its labelled test images, as scripts/demo.sh measures it
d=$zoo/digits_cnn
if [ -f "$d/dataset/test_images.pb" ]; then
  acc=()
  for t in $targets; do
    js=$work/digits.$t.acc.json
    if "$dlacc" run "$d/model.onnx" --target "$t" --calib "$d/calib" --input-shape input=397,1,8,8 \
         --input "$d/dataset/test_images.pb" --labels "$d/dataset/test_labels.pb" --stats-json "$js" \
         --verify 2>"$work/err"; then
      acc+=("$(jq -r '.accuracy' "$js" | xargs printf '%.4f') on $t")
    else
      notes+=("digits_cnn accuracy on $t: not measured: $(tail -n 1 "$work/err")")
    fi
  done
  float=$(cat "$d/dataset/float_accuracy.txt" 2>/dev/null || echo "?")
  {
    echo
    printf 'digits_cnn on its 397 labelled test images (one batch, `./scripts/demo.sh`): int8 top-1\n'
    printf 'accuracy %s; float %s under ONNX Runtime (`dataset/float_accuracy.txt`).\n' \
      "$(IFS=,; echo "${acc[*]}" | sed 's/,/, /g')" "$float"
  } >>"$out"
fi
for n in "${notes[@]}"; do
  printf '\n%s\n' "$n" >>"$out"
done

cat "$out"
if [ "$update" = 1 ]; then
  readme=$src/README.md
  begin='<!-- results:begin -->' end='<!-- results:end -->'
  if ! grep -qxF "$begin" "$readme" || ! grep -qxF "$end" "$readme"; then
    echo "results.sh: README.md lacks the lines $begin and $end" >&2
    exit 1
  fi
  awk -v b="$begin" -v e="$end" -v f="$out" '
    $0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
    $0 == e { skip = 0 }
    !skip' "$readme" >"$work/README.md"
  cp "$work/README.md" "$readme"
  echo "results.sh: README.md updated" >&2
fi
