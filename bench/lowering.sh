#!/usr/bin/env bash
# lowering.sh - docs/lowering.md's "whole networks" tables, measured: the test
# networks of tests/data/nets (tools/gen_test_nets.py; with -z also zoo models)
# compiled for each DLA target and run by `dlacc run --verify --plan`, then
#   1. one Markdown row per (network, target): segments (DLA / host / boundary),
#      host nodes, int8 SQNR against the float reference, cycles, MAC
#      utilization, MACs on the DLA and on the host, bit-exactness with qref;
#   2. one row per (op family, target), summed over those networks: the DLA
#      layers of that Q-op type (QConv, QAdd, QLut, ...), their cycles and share
#      of all layer cycles, MACs, MAC utilization (MACs / (cycles x peak MACs
#      per cycle); vector-unit ops do no MACs), DRAM bytes moved.
#
#   bench/lowering.sh [-b BUILD] [-t "T1 T2"] [-z MODELS] [--update-doc] [NET ...]
#
#   -b BUILD        build directory with bin/dlacc (default: build; not rebuilt here)
#   -t "T1 T2"      targets (default: "dla-edge dla-server")
#   -z MODELS       also these zoo models (space-separated names under ../shared/models,
#                   e.g. -z "squeezenet1_1 mobilenet_v2")
#   --update-doc    also write the tables into docs/lowering.md between the lines
#                   <!-- lowering:begin --> and <!-- lowering:end --> (both must exist)
#   NET ...         default: every folder of tests/data/nets
#
# Per-layer cycles are the simulator's per-layer attribution (`--stats-json`
# "layers"); layers overlap in time, so a family's share is of the sum of the
# layer cycles, not of the run's total. Needs jq. Takes about a minute.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build
targets="dla-edge dla-server"
zoo_models=""
update=0
nets=()
while [ $# -gt 0 ]; do
  case $1 in
    -b) build=$2; shift 2 ;;
    -t) targets=$2; shift 2 ;;
    -z) zoo_models=$2; shift 2 ;;
    --update-doc) update=1; shift ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "lowering.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) nets+=("$1"); shift ;;
  esac
done
if [ ${#nets[@]} -eq 0 ]; then
  for d in "$src"/tests/data/nets/*/; do nets+=("$(basename "$d")"); done
fi
dlacc=$build/bin/dlacc
[ -x "$dlacc" ] || { echo "lowering.sh: $dlacc is missing (scripts/build.sh $build)" >&2; exit 2; }
command -v jq >/dev/null || { echo "lowering.sh: needs jq (apt-get install jq)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1234567 -> 1,234,567
commas() { sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta' <<<"$1"; }

# (label, folder) pairs: the test networks, then the zoo models asked for
dirs=()
for n in "${nets[@]}"; do dirs+=("$n=$src/tests/data/nets/$n"); done
for m in $zoo_models; do dirs+=("$m=$src/../shared/models/$m"); done

out=$work/lowering.md
notes=()
{
  echo "| network | target | segments DLA / host / boundary | host nodes | SQNR dB | cycles | MAC utilization | MACs DLA | MACs host | bit-exact |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} >"$out"
: >"$work/layers.tsv"
for entry in "${dirs[@]}"; do
  n=${entry%%=*} d=${entry#*=}
  for t in $targets; do
    js=$work/$n.$t.json
    echo "lowering.sh: $n on $t" >&2
    if ! "$dlacc" run "$d/model.onnx" --target "$t" --calib "$d/calib" --input "$d/test_data_set_0/input_0.pb" \
         --reference "$d/test_data_set_0/output_0.pb" --stats-json "$js" --verify --plan 2>"$work/err" ||
       [ ! -s "$js" ]; then
      notes+=("$n on $t: not measured: $(grep -v '^dlacc run: wall' "$work/err" | tail -n 1)")
      continue
    fi
    hostn=$(grep -c '^    host node ' "$work/err" || true)
    jq -r '[.segments.dla, .segments.host, .segments.boundary, (.reference.sqnr_db // "inf"), .cycles,
            .utilization, .macs_dla, .macs_host, .qref.bytes, .qref.mismatches] | @tsv' "$js" >"$work/row"
    IFS=$'\t' read -r sd sh sb sqnr cyc util mdla mhost qbytes qdiff <"$work/row"
    [ "$sqnr" = inf ] || sqnr=$(printf '%.1f' "$sqnr")
    if [ "$sd" -eq 0 ]; then exact="n/a"
    elif [ "$qdiff" -eq 0 ]; then exact=yes
    else exact="no ($qdiff of $qbytes bytes)"; fi
    printf '| %s | %s | %s / %s / %s | %s | %s | %s | %.3f | %s | %s | %s |\n' "$n" "$t" "$sd" "$sh" "$sb" "$hostn" \
      "$sqnr" "$(commas "$cyc")" "$util" "$(commas "$mdla")" "$(commas "$mhost")" "$exact" >>"$out"
    jq -r --arg t "$t" --argjson peak "$(jq '.peak_macs_per_cycle' "$js")" \
      '.layers[] | [$t, .op_type, .cycles, .macs, (.dram_bytes_read + .dram_bytes_written), $peak] | @tsv' \
      "$js" >>"$work/layers.tsv"
  done
done

{
  echo
  echo "Per op family (DLA layers of each Q-op type, summed over the networks above):"
  echo
  echo "| op family | target | layers | layer cycles | share of layer cycles | MACs | MAC utilization | DRAM bytes |"
  echo "|---|---|---|---|---|---|---|---|"
} >>"$out"
awk -F'\t' '
  { k = $1 "\t" $2; n[k]++; c[k] += $3; m[k] += $4; b[k] += $5; peak[k] = $6; tot[$1] += $3
    if (!(k in seen)) { seen[k] = 1; order[++no] = k } }
  END {
    for (i = 1; i <= no; i++) {
      k = order[i]; split(k, f, "\t")
      u = (c[k] > 0 && m[k] > 0) ? sprintf("%.3f", m[k] / (c[k] * peak[k])) : "-"
      printf "%s\t%s\t%d\t%d\t%.1f%%\t%d\t%s\t%d\n", f[2], f[1], n[k], c[k], 100 * c[k] / tot[f[1]], m[k], u, b[k]
    }
  }' "$work/layers.tsv" | sort -t$'\t' -k2,2 -k4,4nr |
while IFS=$'\t' read -r op t nl cyc share macs util bytes; do
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$op" "$t" "$nl" "$(commas "$cyc")" "$share" \
    "$(commas "$macs")" "$util" "$(commas "$bytes")"
done >>"$out"
for n in "${notes[@]}"; do
  printf '\n%s\n' "$n" >>"$out"
done

cat "$out"
if [ "$update" = 1 ]; then
  doc=$src/docs/lowering.md
  begin='<!-- lowering:begin -->' end='<!-- lowering:end -->'
  if ! grep -qxF "$begin" "$doc" || ! grep -qxF "$end" "$doc"; then
    echo "lowering.sh: docs/lowering.md lacks the lines $begin and $end" >&2
    exit 1
  fi
  awk -v b="$begin" -v e="$end" -v f="$out" '
    $0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
    $0 == e { skip = 0 }
    !skip' "$doc" >"$work/lowering.doc"
  cp "$work/lowering.doc" "$doc"
  echo "lowering.sh: docs/lowering.md updated" >&2
fi
