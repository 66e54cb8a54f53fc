#!/usr/bin/env bash
# Times "wuguard triage" against "wuguard dump" over the same EVTX files (the
# whole corpus by default), in one hyperfine run, so the two numbers come
# from the same machine and the same page cache. Triage must be the faster:
# it skips every record whose provider and event ID cannot tell an update's
# story, while dump decodes and prints them all.
#
#   bench/triage.sh [DIR]     (default: $WUGUARD_CORPUS/evtx or ../shared/corpus/evtx)
#
# Both commands exit 3 on the corpus's deliberately damaged samples, hence -i.
# Results: bench/out/triage.md and bench/out/triage.json.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-${WUGUARD_CORPUS:-../shared/corpus}/evtx}"
if [ ! -d "$dir" ]; then
  echo "bench: $dir is missing" >&2
  exit 1
fi
mkdir -p bench/out
go build -o bench/out/wuguard ./cmd/wuguard
files=$(find "$dir" -name '*.evtx' | wc -l)
bytes=$(find "$dir" -name '*.evtx' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
echo "bench: $files EVTX files, $bytes bytes under $dir" >&2
hyperfine --warmup 1 --runs "${RUNS:-5}" -i \
  --export-markdown bench/out/triage.md --export-json bench/out/triage.json \
  -n "wuguard dump" "bench/out/wuguard dump '$dir' > /dev/null 2>&1" \
  -n "wuguard triage" "bench/out/wuguard triage --format json '$dir' > /dev/null 2>&1"
# On a shared machine the means swing with the load; the minimum, the median
# and the CPU time are steadier.
python3 - bench/out/triage.json <<'PY'
import json, statistics, sys
for r in json.load(open(sys.argv[1]))["results"]:
    t = r["times"]
    print("%-15s min %4.0f ms  median %4.0f ms  user %4.0f ms  sys %3.0f ms" % (
        r["command"], min(t) * 1e3, statistics.median(t) * 1e3, r["user"] * 1e3, r["system"] * 1e3))
PY
