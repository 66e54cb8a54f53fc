package pwsh

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/testcorpus"
)

// corpusScript is one labelled script of the PowerShell corpus.
type corpusScript struct {
	Path  string // relative to the corpus folder
	Label string // benign, fake-fix, obfuscated, malware, offensive-tool, offensive-technique
	Text  string
}

// loadCorpus reads every script of ../shared/corpus/powershell with its label.
func loadCorpus(t testing.TB) []corpusScript {
	t.Helper()
	dir := testcorpus.Dir(t, "powershell")
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusScript
	for _, row := range rows[1:] {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(row[0])))
		if err != nil {
			t.Fatal(err)
		}
		text, _ := DecodeText(b)
		out = append(out, corpusScript{Path: row[0], Label: row[2], Text: text})
	}
	if len(out) == 0 {
		t.Fatal("corpus has no scripts")
	}
	return out
}

// TestCorpusTokenize checks the tokenizer's round-trip contract on every
// real script of the corpus.
func TestCorpusTokenize(t *testing.T) {
	for _, s := range loadCorpus(t) {
		t.Run(s.Path, func(t *testing.T) { checkTokens(t, s.Text) })
	}
}

// corpusLabels in report order.
var corpusLabels = []string{"fake-fix", "obfuscated", "malware", "offensive-tool", "offensive-technique", "benign"}

// corpusFloors are the flagged shares (malicious or suspicious) this
// version achieves, in percent: a regression below them fails. benign is a
// ceiling. Measured with TestCorpus; see docs/script.md.
var corpusFloors = map[string]float64{
	"fake-fix":            100,
	"obfuscated":          99.9,
	"malware":             97.2,
	"offensive-tool":      89.5,
	"offensive-technique": 24.7,
}

const benignCeiling = 0.4

// TestCorpus analyses every labelled script and reports, per label, the
// share judged malicious or suspicious. WUGUARD_CORPUS_MISSES=file writes
// the misses (and benign false alarms) with their top findings.
func TestCorpus(t *testing.T) {
	scripts := loadCorpus(t)
	type tally struct{ total, flagged, malicious int }
	counts := map[string]*tally{}
	var misses []string
	for _, s := range scripts {
		r := Analyze(context.Background(), s.Text, nil)
		c := counts[s.Label]
		if c == nil {
			c = &tally{}
			counts[s.Label] = c
		}
		c.total++
		flagged := r.Verdict != NoKnownBad
		if flagged {
			c.flagged++
		}
		if r.Verdict == Malicious {
			c.malicious++
		}
		if flagged == (s.Label == "benign") {
			var ids []string
			for _, f := range r.Findings {
				ids = append(ids, f.ID)
			}
			misses = append(misses, fmt.Sprintf("%s\t%s\t%s\t%d\t%s", s.Label, s.Path, r.Verdict, r.Score, strings.Join(ids, ",")))
		}
	}
	t.Logf("%-20s %6s %8s %8s %9s", "label", "files", "flagged", "share", "malicious")
	for _, l := range corpusLabels {
		c := counts[l]
		if c == nil {
			continue
		}
		share := 100 * float64(c.flagged) / float64(c.total)
		t.Logf("%-20s %6d %8d %7.2f%% %9d", l, c.total, c.flagged, share, c.malicious)
		if l == "benign" {
			if share > benignCeiling {
				t.Errorf("benign flagged %.2f%%, above the ceiling %.2f%%", share, benignCeiling)
			}
			continue
		}
		if share < corpusFloors[l] {
			t.Errorf("%s flagged %.2f%%, below the floor %.2f%%", l, share, corpusFloors[l])
		}
	}
	if f := os.Getenv("WUGUARD_CORPUS_MISSES"); f != "" {
		sort.Strings(misses)
		if err := os.WriteFile(f, []byte(strings.Join(misses, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
