#!/usr/bin/env bash
# Times 'wuguard hunt' with every SigmaHQ Windows rule against 'wuguard dump'
# on the same 64 MiB EVTX file, one thread each, in one hyperfine run.
# Target: hunt takes at most 1.5x the time of dump.
#
# The input is the file bench/dump.sh times (see bench/input.sh): real
# chunks of omerbenamram's Security log and of the EVTX-ATTACK-SAMPLES files
# that evtxexport reads whole.
#
# usage: bench/hunt.sh [RUNS]      (needs hyperfine, python3 and evtxexport)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
corpus=../shared/corpus
out=bench/out
mkdir -p "$out"

go build -o "$out/wuguard" ./cmd/wuguard

. bench/input.sh
input=$(bench_input 64)

rules=(--rules "$corpus/sigma/rules/windows" --rules "$corpus/sigma/rules-emerging-threats" --rules "$corpus/sigma/rules-threat-hunting")

# hunt and lint exit 3 because SigmaHQ's folders hold rules wuguard rejects
# (Kernel-File ETW categories, a placeholder without values); expected here.
# Two extra rows attribute the time: 'lint' is loading and compiling the same
# rules without reading any log, 'hunt-builtin' hunts with the few built-in
# rules.
hyperfine --runs "$runs" --warmup 1 -i --export-markdown "$out/hunt.md" \
  -n dump "$out/wuguard dump --threads 1 --format jsonl $input > /dev/null" \
  -n hunt "$out/wuguard hunt -q ${rules[*]} --threads 1 --format jsonl $input > /dev/null 2>&1" \
  -n lint "$out/wuguard rules lint ${rules[*]//--rules/} > /dev/null" \
  -n hunt-builtin "$out/wuguard hunt -q --threads 1 --format jsonl $input > /dev/null 2>&1"
cat "$out/hunt.md"
