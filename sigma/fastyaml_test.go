package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/wuguard/wuguard/internal/testcorpus"
)

// slowYAML parses data with yaml.v3 as Parse did before the fast path.
func slowYAML(data []byte) (docs []*yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml.v3 panicked: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, &n)
	}
}

// sameNodes describes the first difference between two node trees in what
// the rule parser reads, or returns "".
func sameNodes(path string, a, b *yaml.Node) string {
	if a.Kind != b.Kind || a.Tag != b.Tag || a.Value != b.Value || a.Style != b.Style || a.Line != b.Line || a.Column != b.Column {
		return fmt.Sprintf("%s: fast {kind %d tag %s value %q style %d at %d:%d}, yaml.v3 {kind %d tag %s value %q style %d at %d:%d}",
			path, a.Kind, a.Tag, a.Value, a.Style, a.Line, a.Column, b.Kind, b.Tag, b.Value, b.Style, b.Line, b.Column)
	}
	if len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: fast has %d children, yaml.v3 %d", path, len(a.Content), len(b.Content))
	}
	for i := range a.Content {
		if d := sameNodes(fmt.Sprintf("%s/%d", path, i), a.Content[i], b.Content[i]); d != "" {
			return d
		}
	}
	return ""
}

// checkFastYAML fails t when the fast parser, with nodes from arena,
// accepts data and gives other nodes than yaml.v3, or accepts what yaml.v3
// rejects. It reports whether the fast parser accepted data.
func checkFastYAML(t *testing.T, name string, data []byte, arena *nodeArena) bool {
	t.Helper()
	fast, ok := parseFastYAML(data, arena)
	if !ok {
		return false
	}
	slow, err := slowYAML(data)
	if err != nil {
		t.Fatalf("%s: fast path accepted what yaml.v3 rejects (%v):\n%s", name, err, data)
	}
	if len(fast) != len(slow) {
		t.Fatalf("%s: fast path gives %d documents, yaml.v3 %d:\n%s", name, len(fast), len(slow), data)
	}
	for i := range fast {
		if d := sameNodes(fmt.Sprintf("doc%d", i), fast[i], slow[i]); d != "" {
			t.Fatalf("%s: %s\n%s", name, d, data)
		}
	}
	return true
}

func TestFastYAMLCases(t *testing.T) {
	cases := []struct {
		yaml string
		fast bool
	}{
		{"title: x\nid: 1\nlevel: high\n", true},
		{"# c\n\n---\ntitle: x # comment\ndate: 2023-01-02\nmodified: 2023/01/02\n", true},
		{"a:\nb: ~\nc: null\nd: True\ne: 0x1F\nf: 1.5e3\ng: .5\nh: -0b101\ni: 1_000\nj: 0o17\nk: 017\nl: 99999999999999999999\n", true},
		{"tags:\n- a\n-\n- 'it''s'\n-   \"q\\x41\\u00e9\\\\\"\nlist:\n    - one\n    - two\n", true},
		{"detection:\n    sel:\n        - Image|endswith: '\\cmd.exe'\n          CommandLine|contains|all:\n              - ' /c '\n              - echo\n        - Field: 4688\n    condition: sel and not 1 of filter_*\n", true},
		{"description: a long\n  plain line\n\n  and a new paragraph\nnext: 1\n", true},
		{"a: |\n  l1\n\n    indented\n  l3\n\nb: |-\n  x\nc: |+\n  y\n\nd: >\n  f1\n  f2\n\n  f3\ne: >-\n  z\n", true},
		{"a: [x, 'y', \"z\", 1, ]\nb: []\nc: [ ]\n", true},
		{"sel:\n    '|all':\n        - x\n    \"q\\\"k\": 1\n    'it''s': 2\n", true},
		{"a: # comment\n  b: 1\nc: # comment\nd:   # comment\n  - x\n", true},
		{"c: >\n  a\n    more\n  b\n\n  c\n\n    d\n", true},
		{"a: b\n---\nc: d\n---\ne: f\n", true},
		{"k: v\u00e9\nv\u00e9k: \u65e5\u672c: x\n", false},
		{"\u65e5\u672c: \u8a9e\nx: 1\n", true},
		{"a: -nop\nb: -\n", false},
		{"a: b: c\n", false},
		{"0000 #\n000\n", false},
		{"|\n0\n", false},
		{"'" + strings.Repeat("k", 1100) + "': v\n", false},
		{strings.Repeat("k", 1100) + ": v\n", false},
		{"a: x # c\n  more\n", false},
		{"a: &x 1\nb: *x\n", false},
		{"a: !!str 1\n", false},
		{"a: {b: c}\n", false},
		{"a: 'multi\n  line'\n", false},
		{"a:\tb\n", false},
		{"a: b\r\n", false},
		{"a: b", false},
		{"a: b\n  c: d\n", false},
		{"a:\n  - x\n b: 1\n", false},
		{"---\n---\na: 1\n", false},
		{"a: |2\n   x\n", false},
		{"<<: x\n", false},
		{"a: - b\n", false},
		{"- - a\n", false},
	}
	for _, c := range cases {
		if got := checkFastYAML(t, fmt.Sprintf("%q", c.yaml), []byte(c.yaml), new(nodeArena)); got != c.fast {
			t.Errorf("%q: fast path taken %v, want %v", c.yaml, got, c.fast)
		}
	}
}

// TestFastYAMLOnRuleCorpora checks the fast path against yaml.v3 on every
// SigmaHQ rule and on the built-in rules, and that it takes nearly all of
// them: a fallback is correct but slow.
func TestFastYAMLOnRuleCorpora(t *testing.T) {
	dirs := []string{filepath.Join("..", "internal", "hunt", "rules")}
	root := testcorpus.Dir(t, "sigma")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "rules") {
			dirs = append(dirs, filepath.Join(root, e.Name()))
		}
	}
	files, fast := 0, 0
	var slow []string
	// One arena for every file, as a parse worker reuses it: each file's
	// nodes overwrite the previous file's.
	arena := new(nodeArena)
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(path string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() || !strings.HasSuffix(path, ".yml") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			if checkFastYAML(t, path, data, arena) {
				fast++
			} else {
				slow = append(slow, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d rule files, %d on the fast path; yaml.v3 reads: %v", files, fast, slow)
	if files < 3000 || float64(fast) < 0.99*float64(files) {
		t.Errorf("fast path took %d of %d files, want at least 99%%", fast, files)
	}
}

// FuzzFastYAML holds the fast path to its promise: whatever it accepts,
// yaml.v3 accepts too and reads as the same nodes.
func FuzzFastYAML(f *testing.F) {
	for _, seed := range []string{
		"title: x\ndetection:\n  sel:\n    - a: 1\n      b: [x, 'y']\n  condition: sel\n",
		"a: |\n  l1\n\n  l2\nb: >-\n  f\n  g\n",
		"d: a long\n  plain\n\n  text # c\n---\ne: \"\\u00e9\\x41\"\n",
		"- a\n-\n- b: c\n  d: e\n",
	} {
		f.Add([]byte(seed))
	}
	if data, err := os.ReadFile(filepath.Join("..", "internal", "hunt", "rules", "correlation_fake_fix_after_update_error.yml")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastYAML(t, "input", data, new(nodeArena))
	})
}

// BenchmarkParseRuleFiles parses every SigmaHQ Windows rule file, read
// into memory beforehand, with the fast path; it reports bytes per second.
func BenchmarkParseRuleFiles(b *testing.B) {
	root := testcorpus.Dir(b, "sigma")
	var files [][]byte
	size := 0
	for _, d := range []string{"rules/windows", "rules-emerging-threats", "rules-threat-hunting"} {
		_ = filepath.WalkDir(filepath.Join(root, d), func(path string, de fs.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(path, ".yml") {
				data, err := os.ReadFile(path)
				if err != nil {
					b.Fatal(err)
				}
				files = append(files, data)
				size += len(data)
			}
			return nil
		})
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, data := range files {
			Parse("rule.yml", data)
		}
	}
}
