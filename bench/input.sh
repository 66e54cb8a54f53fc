# Sourced by the benchmarks: bench_input MIB prints the path of a MIB MiB
# EVTX file built from real chunks with ../shared/tools/evtx-concat.py, out
# of omerbenamram/security.evtx and the EVTX-ATTACK-SAMPLES files that
# evtxexport reads whole (so that the comparison with evtxexport is fair),
# building it on first use. Every benchmark reads the same bytes.
bench_input() {
  local mib=$1 corpus=../shared/corpus/evtx file=bench/out/bench-$1mib.evtx
  mkdir -p bench/out
  if [ ! -s "$file" ]; then
    local cmd inputs=()
    for cmd in evtxexport python3; do
      command -v "$cmd" >/dev/null || { echo "bench: $cmd is required to build $file" >&2; return 1; }
    done
    while IFS= read -r -d '' f; do
      if evtxexport -f xml "$f" >/dev/null 2>&1; then
        inputs+=("$f")
      fi
    done < <(find "$corpus/omerbenamram/security.evtx" "$corpus/evtx-attack-samples" -name '*.evtx' -print0 | sort -z)
    echo "bench: ${#inputs[@]} input files that evtxexport reads whole" >&2
    python3 ../shared/tools/evtx-concat.py "$file" --mib "$mib" "${inputs[@]}" >&2
  fi
  echo "$file"
}
