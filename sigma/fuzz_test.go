package sigma

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/testcorpus"
)

// corpusRuleFiles returns the SigmaHQ rule files used as fuzz seeds.
func corpusRuleFiles(f *testing.F) []string {
	root := testcorpus.Dir(f, "sigma")
	var files []string
	for _, d := range []string{"rules/windows", "rules-emerging-threats", "rules-threat-hunting"} {
		_ = filepath.WalkDir(filepath.Join(root, d), func(path string, de fs.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(path, ".yml") {
				files = append(files, path)
			}
			return nil
		})
	}
	if len(files) == 0 {
		f.Fatal("no seed rules found")
	}
	return files
}

// FuzzParseCondition checks that the condition parser never panics and that
// printing a parsed condition and parsing it again gives the same tree.
func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"a", "a and not (b or c)", "1 of sel_* and not all of filter_*", "all of them", "x | count() > 5"} {
		f.Add(s)
	}
	seen := map[string]bool{}
	for _, path := range corpusRuleFiles(f) {
		rules, _ := ParseFile(path)
		for _, r := range rules {
			if r.Detection == nil {
				continue
			}
			for _, c := range r.Detection.Conditions {
				if !seen[c.S] {
					seen[c.S] = true
					f.Add(c.S)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCondition(s)
		if err != nil {
			if c != nil {
				t.Fatalf("%q: tree and error both returned", s)
			}
			if err.col < 0 || err.col > len(s) {
				t.Fatalf("%q: error column %d out of range", s, err.col)
			}
			return
		}
		printed := c.String()
		again, err := parseCondition(printed)
		if err != nil {
			t.Fatalf("%q printed as %q does not parse: %v", s, printed, err)
		}
		if again.String() != printed {
			t.Fatalf("%q: round trip %q != %q", s, again.String(), printed)
		}
	})
}

// FuzzParseRule checks that parsing and compiling any YAML never panics,
// that every rejection carries a reason, and that compiled rules can run.
func FuzzParseRule(f *testing.F) {
	f.Add([]byte("title: t\nlogsource: {product: windows, service: security}\ndetection:\n  s: {EventID: 4624}\n  condition: s\n"))
	f.Add([]byte("title: c\ncorrelation: {type: event_count, rules: [x], group-by: [a], timespan: 1m, condition: {gte: 2}}\n"))
	for _, path := range corpusRuleFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	ls := DefaultLogSources()
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, diags := Parse("fuzz.yml", data)
		rs, cdiags := Compile(rules, Config{LogSources: ls})
		for _, d := range append(diags, cdiags...) {
			if d.Reason == "" || d.Message == "" {
				t.Fatalf("diagnostic without reason or message: %+v", d)
			}
		}
		m := rs.NewMatcher()
		for _, r := range rs.Rules() {
			if r.Title == "" {
				t.Fatalf("loaded rule without title")
			}
		}
		ev := testEvent{"Channel": "Security", "EventID": "4624", "CommandLine": "cmd /c whoami", "Image": `C:\x.exe`}
		m.Match(ev, func(*Match) {})
		ev = testEvent{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": "1", "CommandLine": "powershell -enc AAAA", "Image": `C:\Windows\System32\cmd.exe`}
		m.Match(ev, func(*Match) {})
	})
}
