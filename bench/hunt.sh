#!/usr/bin/env bash
# Times 'wuguard hunt' with every SigmaHQ Windows rule against 'wuguard dump'
# on the same 64 MiB EVTX file, one thread each, in one hyperfine run, and
# prints the ratio. Target: hunt takes at most 1.5x the time of dump.
#
# The input is the file bench/dump.sh times (see bench/input.sh): real
# chunks of omerbenamram's Security log and of the EVTX-ATTACK-SAMPLES files
# that evtxexport reads whole.
#
# Four more rows say where a hunt's time goes:
#   lint          loading and compiling the same rules, reading no log;
#   hunt-small    the same hunt on one 68 KiB attack sample: the fixed cost
#                 of a hunt (loading the rules, and building the prefilter
#                 of the few buckets its events reach);
#   hunt-builtin  the hunt with the few built-in rules;
#   hunt-bare     the same without PowerShell analysis: little more than
#                 reading every event into the event model, the floor of
#                 any hunt.
# With a second size (bench/hunt.sh RUNS 512), the script also times hunt
# and dump on that file and prints the ratio of the extra time each takes
# for the extra bytes: the cost per event once the fixed costs are paid.
#
# usage: bench/hunt.sh [RUNS [MIB]]   (needs hyperfine, python3 and evtxexport)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
big="${2:-}"
corpus=../shared/corpus
out=bench/out
mkdir -p "$out"

go build -o "$out/wuguard" ./cmd/wuguard
wg=$out/wuguard

. bench/input.sh
input=$(bench_input 64)
small="$corpus/evtx/evtx-attack-samples/Execution/exec_sysmon_1_11_lolbin_rundll32_openurl_FileProtocolHandler.evtx"

rules=(--rules "$corpus/sigma/rules/windows" --rules "$corpus/sigma/rules-emerging-threats" --rules "$corpus/sigma/rules-threat-hunting")

# hunt and lint exit 3 because SigmaHQ's folders hold rules wuguard rejects
# (Kernel-File ETW categories, a placeholder without values); expected here.
hyperfine --runs "$runs" --warmup 1 -i --export-markdown "$out/hunt.md" --export-json "$out/hunt.json" \
  -n dump "$wg dump --threads 1 --format jsonl $input > /dev/null" \
  -n hunt "$wg hunt -q ${rules[*]} --threads 1 --format jsonl $input > /dev/null 2>&1" \
  -n lint "$wg rules lint ${rules[*]//--rules/} > /dev/null" \
  -n hunt-small "$wg hunt -q ${rules[*]} --threads 1 --format jsonl $small > /dev/null 2>&1" \
  -n hunt-builtin "$wg hunt -q --threads 1 --format jsonl $input > /dev/null 2>&1" \
  -n hunt-bare "$wg hunt -q --no-script-analysis --threads 1 --format jsonl $input > /dev/null 2>&1"
cat "$out/hunt.md"

median() { python3 -c 'import json,sys; r={x["command"]:x["median"] for x in json.load(open(sys.argv[1]))["results"]}; print(r[sys.argv[2]])' "$@"; }
dump=$(median "$out/hunt.json" dump)
hunt=$(median "$out/hunt.json" hunt)
python3 -c 'import sys; d,h=map(float,sys.argv[1:]); print(f"hunt/dump on 64 MiB (medians): {h*1000:.1f} / {d*1000:.1f} ms = {h/d:.2f}x (target 1.5x)")' "$dump" "$hunt"

if [ -n "$big" ]; then
  bigfile=$(bench_input "$big")
  hyperfine --runs "$runs" --warmup 1 -i --export-json "$out/hunt-big.json" \
    -n dump "$wg dump --threads 1 --format jsonl $bigfile > /dev/null" \
    -n hunt "$wg hunt -q ${rules[*]} --threads 1 --format jsonl $bigfile > /dev/null 2>&1" >&2
  bdump=$(median "$out/hunt-big.json" dump)
  bhunt=$(median "$out/hunt-big.json" hunt)
  python3 -c 'import sys
d,h,bd,bh,mib=map(float,sys.argv[1:])
print(f"hunt/dump on {mib:.0f} MiB (medians): {bh*1000:.0f} / {bd*1000:.0f} ms = {bh/bd:.2f}x")
print(f"per extra MiB, {mib:.0f} vs 64 MiB: hunt {(bh-h)/(mib-64)*1000:.2f} ms, dump {(bd-d)/(mib-64)*1000:.2f} ms = {(bh-h)/(bd-d):.2f}x")' "$dump" "$hunt" "$bdump" "$bhunt" "$big"
fi
