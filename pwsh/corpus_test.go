package pwsh

import (
	"encoding/csv"
	"os"
	"path/filepath"
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
