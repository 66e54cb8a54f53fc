#!/usr/bin/env bash
# Measures the text-log readers' throughput on generated plain-ASCII CBS.log
# and WindowsUpdate.log lines (32 MiB each, a mix of lifecycle lines and the
# chatter that dominates real logs). The target is 100 MB/s or more per
# reader: CBS.log files reach hundreds of MB.
#
#   bench/textlog.sh            (COUNT=5 by default)
#
# MB/s is wall-clock throughput; MB/cpu-s divides by the CPU time the test
# process used, which stays meaningful on a machine shared with other jobs.
# Results: bench/out/textlog.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
go test -run '^$' -bench 'BenchmarkRead' -benchtime 5x -count "${COUNT:-5}" ./internal/textlog | tee bench/out/textlog.txt
