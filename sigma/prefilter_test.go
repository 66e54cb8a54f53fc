package sigma

import (
	"fmt"
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// TestAutomatonFindsEveryLiteral compares the automaton with a plain search
// on random literals and texts over a small alphabet (many overlaps).
func TestAutomatonFindsEveryLiteral(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abAB\\-"[rng.Intn(6)]
		}
		return string(b)
	}
	for round := 0; round < 300; round++ {
		seen := map[string]bool{}
		var lits []string
		for len(lits) < 1+rng.Intn(40) {
			l := foldLiteral(word(1 + rng.Intn(6)))
			if !seen[l] {
				seen[l] = true
				lits = append(lits, l)
			}
		}
		a := buildAutomaton(lits)
		marks := make([]uint32, len(lits))
		for probe := 0; probe < 20; probe++ {
			text := word(rng.Intn(40))
			gen := uint32(probe + 1)
			found := map[int32]bool{}
			a.scan(text, marks, gen, func(i int32) {
				if found[i] {
					t.Fatalf("literal %q reported twice", lits[i])
				}
				found[i] = true
			})
			for i, l := range lits {
				want := strings.Contains(foldLiteral(text), l)
				if found[int32(i)] != want {
					t.Fatalf("literals %q, text %q: %q found %v, want %v", lits, text, l, found[int32(i)], want)
				}
			}
		}
	}
}

func TestIndexFold(t *testing.T) {
	cases := []struct {
		v, lit string
		want   int
	}{
		{"Hello World", "world", 6},
		{"aaaaab", "ab", 4},
		{"AAAAAB", "ab", 4},
		{"abc", "abcd", -1},
		{"xyz", "", 0},
		{"CMD.EXE /c", "/c", 8},
	}
	for _, c := range cases {
		if got := indexFold(c.v, c.lit); got != c.want {
			t.Errorf("indexFold(%q, %q) = %d, want %d", c.v, c.lit, got, c.want)
		}
	}
}

func TestRegexMinLength(t *testing.T) {
	cases := map[string]int{`\s[a-f0-9]{64}\s`: 66, `a|bcd`: 1, `x*`: 0, `(ab)+c?`: 2, `.{10,}`: 10}
	for src, want := range cases {
		if _, _, got := regexFacts(regexp.MustCompile(src)); got != want {
			t.Errorf("%q: min %d, want %d", src, got, want)
		}
	}
	m := newRegexMatcher(regexp.MustCompile(`\$\{env:`))
	if m.match(nil, "no dollar here") || !m.match(nil, "x ${env:path}") {
		t.Error("required literal check")
	}
}

func TestRegexLiteral(t *testing.T) {
	cases := map[string]string{
		`powershell.*-enc`:           "powershell",
		`(?i)\\Temp\\.*\.EXE`:        `\temp\`,
		`(?i)kernel32`:               "ernel32", // the Kelvin sign folds to k
		`(?i)\.exe\s+werfaultsecure`: "werfault",
		`a|b`:                        "",
		`(foo){2}`:                   "foo",
		`x?yz*`:                      "y",
		`[a-c]+`:                     "",
	}
	for src, want := range cases {
		if got := regexLiteral(regexp.MustCompile(src)); got != want {
			t.Errorf("%q: %q, want %q", src, got, want)
		}
	}
}

func TestCaselessRun(t *testing.T) {
	cases := map[string]string{
		"🦆":            "🦆",
		"ärger hier":   "rger h",
		"pi\u0307ng":   "\u0307ng",
		"abc-дом-1234": "-1234",
		"ѕ":            "", // Cyrillic dze has case
	}
	for in, want := range cases {
		if got := caselessRun(in); got != want {
			t.Errorf("caselessRun(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPrefilterScansEveryValueForKeywords checks that in a bucket with the
// prefilter on, keyword literals are found in fields no field matcher reads,
// and field literals in the fields that are read.
func TestPrefilterScansEveryValueForKeywords(t *testing.T) {
	var words []string
	for i := 0; i < 12; i++ {
		words = append(words, fmt.Sprintf("'kwword%02d'", i))
	}
	src := "title: k\nid: k\nlogsource: {product: windows, service: test}\ndetection:\n  k: [" + strings.Join(words, ", ") + "]\n  condition: k\n" +
		"---\ntitle: f\nid: f\nlogsource: {product: windows, service: test}\ndetection:\n  s: {A|contains: [alpha, beta, gamma]}\n  condition: s\n"
	rs := compileOne(t, src, Config{})
	b := rs.idx.lookup("Test", anyID)
	if b == nil || !b.prefilter || len(b.kwIDs) == 0 || len(b.fieldIDs) == 0 {
		t.Fatalf("bucket %+v: want the prefilter with both automata", b)
	}
	for ev, want := range map[string]string{"Z=x kwword07 y": "k", "A=the gamma ray": "f", "Z=gamma": "", "A=kwword03": "k"} {
		name, value, _ := strings.Cut(ev, "=")
		got := strings.Join(matches(rs, testEvent{name: value}), ",")
		if got != want {
			t.Errorf("%s: matched %q, want %q", ev, got, want)
		}
	}
}
