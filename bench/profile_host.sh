#!/bin/sh
# profile_host.sh - where the host backend's code spends its time, per graph node.
#
#   bench/profile_host.sh [-b BUILD_DIR] [-r REPEAT] [-n TOP] [MODEL]   (default: resnet50)
#
# MODEL is a zoo name (../shared/models/NAME) or a model folder. host_prof compiles
# the model to a shared object (the same IR and LLVM pipeline as the JIT, whose
# code perf cannot name) and perf samples exactly its REPEAT timed runs
# (perf record -D -1 --control: loading and compiling are not in the profile).
# cpu-clock sampling, so it works without hardware counters.
# Prints time per op type and the TOP hottest nodes, each with its share of the
# samples, ms per run and, for Conv/Gemm/MatMul, the achieved G MAC/s. ms per run
# = share x the JIT code's median CPU time per run, measured by host_prof before
# perf is switched on: sampling slows the profiled runs down (timer interrupts,
# 20-40% in a VM), the shares are what the profile measures. Work files go to $TMPDIR/dlacc-profile.XXXXXX (kept
# when -k is given, for `perf report -i .../perf.data`).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build="$here/../build"
repeat=30
top=15
keep=0
while getopts b:r:n:k opt; do
    case $opt in
    b) build=$OPTARG ;;
    r) repeat=$OPTARG ;;
    n) top=$OPTARG ;;
    k) keep=1 ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-r REPEAT] [-n TOP] [-k] [MODEL]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
model=${1:-resnet50}
[ -d "$model" ] || model="$here/../../shared/models/$model"
[ -f "$model/model.onnx" ] || { echo "profile_host: no model.onnx in $model" >&2; exit 2; }
prof="$build/bench/host_prof"
[ -x "$prof" ] || { echo "profile_host: $prof not built (cmake --build $build --target host_prof)" >&2; exit 2; }
command -v perf >/dev/null || { echo "profile_host: perf is not installed (Debian: linux-perf)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/dlacc-profile.XXXXXX")
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
mkfifo "$work/ctl" "$work/ack"
perf record -q -D -1 --control "fifo:$work/ctl,$work/ack" -e cpu-clock -F 1000 -o "$work/perf.data" -- \
    "$prof" "$model" --repeat "$repeat" --aot "$work/model.so" --map "$work/map.tsv" \
    --perf-ctl "$work/ctl,$work/ack" >"$work/times.txt" 2>"$work/stderr.txt" ||
    { cat "$work/stderr.txt" >&2; exit 1; }
# samples per symbol of the model's shared object, and all samples of the timed runs
perf report -i "$work/perf.data" --sort dso,sym -F sample,dso,sym --stdio -q -g none 2>/dev/null |
    awk '{ print $1, $2, $NF }' >"$work/samples.txt"
aot_ms=$(awk '$1 == "host" { print $7 }' "$work/times.txt")
echo "profile of $(basename "$model"): $repeat runs of the AOT build; the JIT build takes $aot_ms ms CPU per run (median)"
echo "unprofiled, which ms/run below is scaled to; under perf the AOT build took $(awk '$1 == "aot" { print $7 }' "$work/times.txt") ms"
echo "share = fraction of all samples taken during those runs (libc's memset/memcpy calls are their own rows)"
awk -v ms="$aot_ms" -v top="$top" -F'\t' '
    # (a bare ">" in a printf argument list would be an output redirection: hence rate())
    function rate(macs, ms) { return (macs > 0 && ms > 0) ? sprintf("%.1f", macs / 1e9 / (ms / 1e3)) : "-" }
    FNR == 1 && NR != 1 { maps = 1 }
    !maps {                                         # samples.txt: count, dso, symbol
        split($0, f, " "); total += f[1]
        if (f[2] == "model.so") node[f[3]] += f[1]; else other[f[2] " " f[3]] += f[1]
        next
    }
    FNR > 1 { op[$1] = $2; name[$1] = $3; shape[$1] = $4; macs[$1] = $5 }
    END {
        if (!total) { print "no samples"; exit 1 }
        for (fn in node) { t = op[fn] != "" ? op[fn] : fn; byop[t] += node[fn]; opmacs[t] += macs[fn]; opn[t]++ }
        printf "\n%-22s %7s %9s %8s %9s\n", "op type (nodes)", "share", "ms/run", "GMAC", "GMAC/s"
        n = 0; for (t in byop) keys[++n] = t
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (byop[keys[j]] > byop[keys[i]]) { x = keys[i]; keys[i] = keys[j]; keys[j] = x }
        for (i = 1; i <= n; i++) {
            t = keys[i]; s = byop[t] / total; m = s * ms
            printf "%-22s %6.1f%% %9.2f %8.3f %9s\n", t " (" opn[t] ")", 100 * s, m, opmacs[t] / 1e9,
                   rate(opmacs[t], m)
        }
        for (k in other) if (other[k] / total >= 0.002) printf "%-22s %6.1f%% %9.2f\n", k, 100 * other[k] / total, other[k] / total * ms
        printf "\n%-8s %-6s %-44s %-16s %7s %8s %8s\n", "function", "op", "node", "output", "share", "ms/run", "GMAC/s"
        n = 0; for (fn in node) fk[++n] = fn
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (node[fk[j]] > node[fk[i]]) { x = fk[i]; fk[i] = fk[j]; fk[j] = x }
        for (i = 1; i <= n && i <= top; i++) {
            fn = fk[i]; s = node[fn] / total; m = s * ms
            printf "%-8s %-6s %-44s %-16s %6.1f%% %8.2f %8s\n", fn, op[fn], substr(name[fn], 1, 44), shape[fn], 100 * s, m,
                   rate(macs[fn], m)
        }
    }' "$work/samples.txt" "$work/map.tsv"
[ "$keep" = 0 ] || echo "kept: $work (perf report -i $work/perf.data; perf annotate -i $work/perf.data nodeN)"
