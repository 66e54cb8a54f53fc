package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/demo"
	"github.com/wuguard/wuguard/internal/eventgen"
	"github.com/wuguard/wuguard/internal/report"
	"github.com/wuguard/wuguard/internal/triage"
	"github.com/wuguard/wuguard/internal/update"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

var fixedNow = func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }

func result(t *testing.T, hosts []*eventgen.Host, lang string) *triage.Result {
	t.Helper()
	cat, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var obs []update.Observation
	for _, h := range hosts {
		for _, e := range h.ModelEvents("demo") {
			obs = update.AppendFromEvent(obs, &e)
		}
	}
	return triage.FromObservations(obs, triage.Options{Catalog: cat, Lang: lang, Now: fixedNow})
}

func render(t *testing.T, format string, opts report.Options, r *triage.Result) []byte {
	t.Helper()
	rd, err := report.New(format, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rd.Render(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func golden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "-")+".golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update after checking the change):\n%s", path, firstDiff(want, got))
	}
}

func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, w, g)
		}
	}
	return ""
}

func TestRender(t *testing.T) {
	for _, c := range []struct {
		name, format, lang string
		color              bool
	}{
		{"text-en", "text", "en", false},
		{"text-ja", "text", "ja", false},
		{"text-color", "text", "en", true},
		{"json", "json", "en", false},
		{"html-en", "html", "en", false},
		{"html-ja", "html", "ja", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := result(t, demo.Hosts(), c.lang)
			golden(t, render(t, c.format, report.Options{Lang: c.lang, Color: c.color}, r))
		})
	}
}

func TestJSONHasTheDocumentedShape(t *testing.T) {
	out := render(t, "json", report.Options{}, result(t, demo.Hosts(), "en"))
	var doc struct {
		SchemaVersion int `json:"schema_version"`
		Hosts         []struct {
			Computer string                       `json:"computer"`
			Updates  []map[string]json.RawMessage `json:"updates"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != triage.SchemaVersion || len(doc.Hosts) != 4 {
		t.Fatalf("schema %d, %d hosts", doc.SchemaVersion, len(doc.Hosts))
	}
	for _, h := range doc.Hosts {
		for _, u := range h.Updates {
			for _, k := range []string{"kb", "update_id", "title", "status", "assessment", "reported_errors", "known_issue", "guidance", "attempts"} {
				if _, ok := u[k]; !ok {
					t.Fatalf("%s: update lacks %q", h.Computer, k)
				}
			}
		}
	}
}

// TestHostileStrings feeds titles and host names shaped like attacks through
// the whole pipeline: HTML must escape them, text must not pass control
// characters to the terminal, JSON must stay valid.
func TestHostileStrings(t *testing.T) {
	evil := `<script>alert(1)</script>"><img src=x onerror=alert(2)>` + "\x1b[2J\x1b]0;pwned\x07" + "\nFAKE LINE"
	h := eventgen.NewHost(`HOST"><svg onload=alert(3)>`, 19045, 1)
	h.Boot(time.Date(2025, 4, 8, 7, 0, 0, 0, time.UTC))
	u := h.Update(evil+" (KB5057589)", "2a7c9e4b-6d1f-4a3e-b5c8-9e0f1a2b3c53", 1, "")
	u.InstallStarted(time.Date(2025, 4, 8, 8, 0, 0, 0, time.UTC))
	u.Failed(time.Date(2025, 4, 8, 8, 5, 0, 0, time.UTC), 0x80070643, 0)
	r := result(t, []*eventgen.Host{h}, "en")

	page := string(render(t, "html", report.Options{}, r))
	for _, bad := range []string{"<script", "<img", "<svg", "\x1b", "\x07"} {
		if strings.Contains(page, bad) {
			t.Errorf("HTML contains %q unescaped", bad)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the title is not shown escaped")
	}
	if !strings.Contains(page, "default-src 'none'") {
		t.Error("HTML lacks its Content-Security-Policy")
	}

	text := string(render(t, "text", report.Options{Color: true}, r))
	if strings.Contains(text, "\x1b[2J") || strings.Contains(text, "\x1b]0;") || strings.Contains(text, "\x07") {
		t.Error("text output passes escape sequences from the logs")
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "FAKE LINE") {
			t.Error("a newline in a title forged a report line")
		}
	}

	var doc map[string]any
	if err := json.Unmarshal(render(t, "json", report.Options{}, r), &doc); err != nil {
		t.Fatalf("JSON invalid: %v", err)
	}
}

func TestNewRejectsUnknownFormat(t *testing.T) {
	if _, err := report.New("yaml", report.Options{}); err == nil {
		t.Fatal("accepted format yaml")
	}
}
