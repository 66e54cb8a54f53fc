#!/usr/bin/env bash
# Benchmark `wuguard dump` against libevtx's evtxexport on one large EVTX file.
#
# usage: bench/dump.sh [MIB]     (default 64; try 512 for the memory check)
#
# The file is built from real chunks: omerbenamram/security.evtx and the
# EVTX-ATTACK-SAMPLES files that evtxexport reads whole, joined by
# ../shared/tools/evtx-concat.py. The script then times, in one run,
#   wuguard dump --threads 1 --format jsonl FILE > /dev/null
#   wuguard dump --threads 2 --format jsonl FILE > /dev/null
#   evtxexport -f xml FILE > /dev/null
# (hyperfine when installed, else a loop) and measures the peak resident
# memory of each with /usr/bin/time -v. Targets: threads 1 at least 40x
# faster than evtxexport, threads 2 close to twice threads 1, peak RSS under
# 100 MiB whatever the file size.
set -euo pipefail
cd "$(dirname "$0")/.."

mib=${1:-64}
out=bench/out
for cmd in evtxexport python3 go; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd is required" >&2; exit 1; }
done
. bench/input.sh
file=$(bench_input "$mib")

go build -o "$out/wuguard" ./cmd/wuguard
wg=$out/wuguard
records=$("$wg" dump --threads 2 "$file" | wc -l)
echo "bench: $file: $(du -m "$file" | cut -f1) MiB, $records records" >&2

t1="$wg dump --threads 1 --format jsonl $file"
t2="$wg dump --threads 2 --format jsonl $file"
ev="evtxexport -f xml $file"

if command -v hyperfine >/dev/null; then
  hyperfine --warmup 1 --min-runs 5 --style basic --export-json "$out/times.json" \
    -n threads1 "$t1 >/dev/null" -n threads2 "$t2 >/dev/null" -n evtxexport "$ev >/dev/null" >&2
  read -r s1 s2 se c1 c2 ce < <(python3 -c '
import json,sys
res=json.load(open(sys.argv[1]))["results"]
r={x["command"]:x["mean"] for x in res}
c={x["command"]:x["user"]+x["system"] for x in res}
print(r["threads1"], r["threads2"], r["evtxexport"], c["threads1"], c["threads2"], c["evtxexport"])' "$out/times.json")
else
  mean() {
    local start end n=5
    start=$(date +%s.%N)
    for _ in $(seq $n); do sh -c "$1 >/dev/null"; done
    end=$(date +%s.%N)
    python3 -c "print(($end-$start)/$n)"
  }
  s1=$(mean "$t1"); s2=$(mean "$t2"); se=$(mean "$ev")
  c1=0 c2=0 ce=0
fi

rss() { /usr/bin/time -v sh -c "exec $1 >/dev/null" 2>&1 | awk '/Maximum resident/ {printf "%.1f", $6/1024}'; }
r1=$(rss "$t1"); r2=$(rss "$t2"); re=$(rss "$ev")

python3 - "$s1" "$s2" "$se" "$r1" "$r2" "$re" "$records" "$c1" "$c2" "$ce" <<'EOF'
import sys
s1, s2, se, r1, r2, re = map(float, sys.argv[1:7])
n = int(sys.argv[7])
c1, c2, ce = map(float, sys.argv[8:11])
print(f"wuguard dump --threads 1: {s1*1000:8.1f} ms  {s1/n*1e6:5.2f} us/record  peak RSS {r1:6.1f} MiB")
print(f"wuguard dump --threads 2: {s2*1000:8.1f} ms  {s2/n*1e6:5.2f} us/record  peak RSS {r2:6.1f} MiB")
print(f"evtxexport -f xml:        {se*1000:8.1f} ms  {se/n*1e6:5.2f} us/record  peak RSS {re:6.1f} MiB")
print(f"speed-up over evtxexport: {se/s1:.1f}x (threads 1), {se/s2:.1f}x (threads 2); threads 2 scaling {s1/s2:.2f}x")
if c1 > 0:
    # On a busy machine wall times measure the queue for the CPU as much as
    # the program; CPU times (user + system) show the work done.
    print(f"CPU time: threads 1 {c1*1000:.1f} ms, threads 2 {c2*1000:.1f} ms, evtxexport {ce*1000:.1f} ms: {ce/c1:.1f}x less CPU than evtxexport")
EOF
