package dump

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/testcorpus"
)

// TestThreadsKeepOrder dumps the whole EVTX corpus, damaged samples
// included, with one and with several threads: the output, the damage
// reports and the per-file counts must be the same byte for byte.
func TestThreadsKeepOrder(t *testing.T) {
	dir := testcorpus.Dir(t, "evtx")
	files := input.Expand([]string{dir}, func(k input.Kind) bool { return k == input.KindEVTX }, nil)
	if len(files) < 100 {
		t.Fatalf("found %d EVTX files in %s", len(files), dir)
	}
	for _, format := range []Format{JSONL, XML} {
		run := func(threads int) (string, string, Stats) {
			var out, log bytes.Buffer
			st, err := Run(context.Background(), &out, files, Options{
				Format:   format,
				Threads:  threads,
				Damage:   func(d input.Damage) { fmt.Fprintf(&log, "damage %+v\n", d) },
				FileDone: func(path string, n int) { fmt.Fprintf(&log, "done %s %d\n", path, n) },
			})
			if err != nil {
				t.Fatalf("threads %d: %v", threads, err)
			}
			return out.String(), log.String(), st
		}
		want, wantLog, wantStats := run(1)
		if wantStats.Records < 30000 {
			t.Fatalf("format %d: only %d records", format, wantStats.Records)
		}
		for _, threads := range []int{2, 3, 8} {
			got, gotLog, gotStats := run(threads)
			if got != want || gotLog != wantLog || gotStats != wantStats {
				t.Errorf("format %d, threads %d: output differs from one thread (%d vs %d bytes, stats %+v vs %+v)",
					format, threads, len(got), len(want), gotStats, wantStats)
			}
		}
	}
}

// TestWriteErrorStops checks that a failing writer ends a parallel run
// with its error instead of hanging or losing it.
func TestWriteErrorStops(t *testing.T) {
	dir := testcorpus.Dir(t, "evtx/omerbenamram")
	files := input.Expand([]string{dir}, func(k input.Kind) bool { return k == input.KindEVTX }, nil)
	for _, threads := range []int{1, 2, 4} {
		_, err := Run(context.Background(), failingWriter{}, files, Options{Threads: threads})
		if err == nil {
			t.Errorf("threads %d: no error from a failing writer", threads)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }
