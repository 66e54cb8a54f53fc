package hunt

import (
	"io/fs"
	"os/exec"
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

// BenchmarkMatchCorpusLogs is the same measure on a realistic mix: every
// event of EVTX-ATTACK-SAMPLES and of omerbenamram's security.evtx, decoded
// beforehand with evtxexport (skipped when it is not installed).
func BenchmarkMatchCorpusLogs(b *testing.B) {
	if _, err := exec.LookPath("evtxexport"); err != nil {
		b.Skip("evtxexport (libevtx-utils) is not installed")
	}
	root := testcorpus.Dir(b, "evtx")
	rs := loadCorpusRules(b)
	var files []string
	_ = filepath.WalkDir(filepath.Join(root, "evtx-attack-samples"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".evtx") {
			files = append(files, path)
		}
		return nil
	})
	files = append(files, filepath.Join(root, "omerbenamram", "security.evtx"))
	var events []*event.Event
	for _, f := range files {
		evs, err := readEvtxexportXML(f)
		if err != nil {
			continue
		}
		events = append(events, evs...)
	}
	if len(events) < 1000 {
		b.Fatalf("only %d events decoded", len(events))
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
	b.ReportMetric(float64(matches)/float64(b.N), "matches/op")
}
