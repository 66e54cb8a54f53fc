package evtx_test

import (
	"bytes"
	"os"
	"sync"
	"testing"

	"github.com/wuguard/wuguard/evtx"
)

// renderBothWays renders every record of data, one EVTX file, as JSON and
// XML through planned, whose plans carry over from earlier calls, and
// through long, which renders the long way, and reports the first
// difference in output or error. It may run on any goroutine.
func renderBothWays(t testing.TB, name string, data []byte, planned, long *evtx.Chunk) {
	f, err := evtx.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return
	}
	var a, b []byte
	for i := 0; i < f.NumChunks(); i++ {
		ok1, err1 := f.ReadChunk(i, planned)
		ok2, err2 := f.ReadChunk(i, long)
		if ok1 != ok2 || (err1 == nil) != (err2 == nil) {
			t.Errorf("%s: chunk %d read differently", name, i)
			return
		}
		if !ok1 {
			continue
		}
		var longRecs []evtx.Record
		for r, err := range long.Records() {
			if err == nil {
				longRecs = append(longRecs, *r)
			}
		}
		n := 0
		for r, err := range planned.Records() {
			if err != nil {
				continue
			}
			if n >= len(longRecs) || longRecs[n].ID != r.ID {
				t.Errorf("%s: chunk %d: records differ", name, i)
				return
			}
			lr := &longRecs[n]
			n++
			for _, format := range []string{"json", "xml", "json"} {
				var e1, e2 error
				if format == "json" {
					a, e1 = r.AppendJSON(a[:0])
					b, e2 = lr.AppendJSON(b[:0])
				} else {
					a, e1 = r.AppendXML(a[:0])
					b, e2 = lr.AppendXML(b[:0])
				}
				if (e1 == nil) != (e2 == nil) || e1 != nil && e1.Error() != e2.Error() {
					t.Errorf("%s: record %d %s: error %v with plans, %v without", name, r.ID, format, e1, e2)
					return
				}
				if !bytes.Equal(a, b) {
					t.Errorf("%s: record %d %s with plans:\n%s\nwithout:\n%s", name, r.ID, format, a, b)
					return
				}
			}
		}
	}
}

// TestPlansRenderLikeTheLongWay renders every record of the corpus with and
// without plans, with one cache across all files as in a long dump.
func TestPlansRenderLikeTheLongWay(t *testing.T) {
	planned, long := new(evtx.Chunk), new(evtx.Chunk)
	evtx.SetLongWay(long)
	files := corpusFiles(t, "evtx")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		renderBothWays(t, path, data, planned, long)
	}
	// Most records of real logs share a shape with an earlier one.
	if n := evtx.PlanReplays(planned); n < 10000 {
		t.Errorf("only %d records rendered by a plan", n)
	}
	t.Logf("%d files, %d records rendered by a plan", len(files), evtx.PlanReplays(planned))
}

// FuzzPlans renders each record of a chunk with and without plans, twice
// over, so that the second pass uses the plans the first one kept as a
// later chunk of a file would.
func FuzzPlans(f *testing.F) {
	for _, c := range corpusChunks(f, 40) {
		f.Add(c[:8192])
	}
	f.Fuzz(func(t *testing.T, chunk []byte) {
		data := fileWithChunk(chunk)
		planned, long := new(evtx.Chunk), new(evtx.Chunk)
		evtx.SetLongWay(long)
		renderBothWays(t, "input", data, planned, long)
		renderBothWays(t, "input, again", data, planned, long)
	})
}

// TestSharedCacheRendersLikeTheLongWay renders the corpus on four
// goroutines whose chunks share a Cache, each comparing with the long way;
// run with -race it checks that sharing is safe.
func TestSharedCacheRendersLikeTheLongWay(t *testing.T) {
	files := corpusFiles(t, "evtx")
	data := make([][]byte, len(files))
	for i, path := range files {
		var err error
		if data[i], err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	cache := evtx.NewCache()
	var wg sync.WaitGroup
	replays := make([]int, 4)
	for w := range replays {
		wg.Go(func() {
			planned, long := new(evtx.Chunk), new(evtx.Chunk)
			planned.UseCache(cache)
			evtx.SetLongWay(long)
			// Each goroutine starts at a different file, so that what one
			// learns first another uses.
			for k := range files {
				i := (k + w*len(files)/len(replays)) % len(files)
				renderBothWays(t, files[i], data[i], planned, long)
			}
			replays[w] = evtx.PlanReplays(planned)
		})
	}
	wg.Wait()
	t.Logf("records rendered by a plan, per goroutine: %v", replays)
}
