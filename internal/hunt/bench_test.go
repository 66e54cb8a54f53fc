package hunt

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/testcorpus"
	"github.com/wuguard/wuguard/sigma"
)

// BenchmarkMatchAllWindowsRules measures matching alone: every event of the
// SigmaHQ regression data (decoded once, up front) through every corpus
// rule, one goroutine. It reports events per second.
func BenchmarkMatchAllWindowsRules(b *testing.B) {
	root := testcorpus.Dir(b, "sigma")
	rs := loadCorpusRules(b)
	var events []*event.Event
	_ = filepath.WalkDir(filepath.Join(root, "regression_data"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".json") {
			evs, err := readEvtxDumpJSON(path)
			if err != nil {
				b.Fatal(err)
			}
			events = append(events, evs...)
		}
		return nil
	})
	if len(events) == 0 {
		b.Fatal("no events")
	}
	m := rs.NewMatcher()
	ev := newSigmaEvent()
	matches := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, e := range events {
			ev.e = e
			m.Match(ev, func(*sigma.Match) { matches++ })
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(len(events)), "events/op")
}
