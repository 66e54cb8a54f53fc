#!/usr/bin/env bash
# Times 'wuguard script's analysis on every file of the labelled PowerShell
# corpus (../shared/corpus/powershell), one at a time after a warm-up pass,
# and prints the median, p90, p99 and maximum time per script and the ten
# slowest files. Target (issue 5): median under 1 ms.
#
# usage: bench/script.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WUGUARD_TIMING=1 go test -count=1 -v -run '^TestCorpusTiming$' ./pwsh | grep -Ev '^(=== RUN|--- PASS|PASS|ok )'
