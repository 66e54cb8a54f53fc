package input_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/testcorpus"
)

// TestReadParallelMatchesRead reads intact and damaged corpus files with
// ReadParallel: every event Read gives arrives exactly once, on a worker in
// range, and put together chunk by chunk as chunks are done they are in
// file order; the damage is the same, in the same order.
func TestReadParallelMatchesRead(t *testing.T) {
	dir := testcorpus.Dir(t, "evtx/omerbenamram")
	for _, name := range []string{"security.evtx", "system.evtx", "sample_with_a_bad_chunk_magic.evtx"} {
		f := input.File{Path: filepath.Join(dir, name), Kind: input.KindEVTX}
		type key struct {
			offset int64
			record uint64
			fields string
		}
		keyOf := func(e *event.Event) key {
			var b strings.Builder
			for _, fl := range e.Fields {
				b.WriteString(fl.Name + "=" + fl.Value + ";")
			}
			return key{e.Source.Offset, e.System.RecordID, b.String()}
		}
		var want []key
		var wantDamage []string
		if err := input.Read(context.Background(), f, func(e *event.Event) error { want = append(want, keyOf(e)); return nil },
			func(d input.Damage) { wantDamage = append(wantDamage, d.String()) }); err != nil {
			t.Fatal(err)
		}
		const threads = 3
		var mu sync.Mutex
		var got []key
		var gotDamage []string
		byChunk := map[int][]key{}
		nextChunk := 0
		err := input.ReadParallel(context.Background(), f, threads, func(s input.Slot, e *event.Event) error {
			if s.Worker < 0 || s.Worker >= threads {
				t.Errorf("worker %d out of range", s.Worker)
			}
			k := keyOf(e)
			mu.Lock()
			byChunk[s.Chunk] = append(byChunk[s.Chunk], k)
			mu.Unlock()
			return nil
		}, func(chunk int) error {
			// Chunks come done in file order, and only once.
			if chunk < nextChunk {
				t.Errorf("chunk %d done after chunk %d", chunk, nextChunk-1)
			}
			nextChunk = chunk + 1
			mu.Lock()
			got = append(got, byChunk[chunk]...)
			delete(byChunk, chunk)
			mu.Unlock()
			return nil
		}, func(d input.Damage) { gotDamage = append(gotDamage, d.String()) })
		if err != nil {
			t.Fatal(err)
		}
		if len(byChunk) != 0 {
			t.Errorf("%s: %d chunks never reported done", name, len(byChunk))
		}
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s: %d events in parallel, %d read in order, or they differ", name, len(got), len(want))
		}
		if !slices.Equal(gotDamage, wantDamage) {
			t.Errorf("%s: damage %v, want %v", name, gotDamage, wantDamage)
		}
	}
}
