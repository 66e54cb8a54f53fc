package sigma

import (
	"math/rand"
	"regexp"
	"slices"
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
		d := newDFACache(a)
		if round%2 == 1 {
			// A budget of three rows makes the table restart often.
			d.maxRows = 3
		}
		for probe := 0; probe < 20; probe++ {
			text := word(rng.Intn(40))
			gen := uint32(probe + 1)
			found := map[int32]bool{}
			d.scan(text, gen, func(i int32) {
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

// anyRunPatterns are length tests as SigmaHQ rules write them, and near
// misses that anyRun must leave to the regexp package.
var anyRunPatterns = []string{`.{5,}`, `(.){3,}`, `(?s).{4,}`, `.{3}`, `.{2,4}`, `(?s:(.)){6,}`, `^.{3,}`, `.{3,}x`, `a{3,}`, `.*`}

func TestAnyRunAgreesWithRegexp(t *testing.T) {
	values := []string{"", "abcd", "abcde", "ab\ncdefg", "ab\ncd\nef", "äöüßé", "ää\nää", "\xff\xfe\xfd\xfc\xfb", "\xffa\nbc", "\r\r\r\n", "x\n\n\nyyyyy\n"}
	fast := 0
	for _, src := range anyRunPatterns {
		re := regexp.MustCompile(src)
		m := newRegexMatcher(re)
		if m.run > 0 {
			fast++
		}
		for _, v := range values {
			if got, want := m.match(nil, v), re.MatchString(v); got != want {
				t.Errorf("%q on %q: %v, regexp says %v", src, v, got, want)
			}
		}
	}
	if fast != 6 {
		t.Errorf("%d patterns take the run path, want 6", fast)
	}
}

// FuzzAnyRun compares the run-length path with the regexp package.
func FuzzAnyRun(f *testing.F) {
	f.Add("abc\ndefgh", uint8(0))
	f.Add("\xff\xfe\n\xfd", uint8(2))
	f.Fuzz(func(t *testing.T, v string, which uint8) {
		src := anyRunPatterns[int(which)%len(anyRunPatterns)]
		re := regexp.MustCompile(src)
		if got, want := newRegexMatcher(re).match(nil, v), re.MatchString(v); got != want {
			t.Errorf("%q on %q: %v, regexp says %v", src, v, got, want)
		}
	})
}

func TestParseSigmaString(t *testing.T) {
	lit := func(s string) spart { return spart{partLit, s} }
	star, one := spart{kind: partStar}, spart{kind: partOne}
	cases := []struct {
		raw          string
		placeholders bool
		want         sstr
	}{
		{"plain text", false, sstr{lit("plain text")}},
		{"", false, nil},
		{"a*b?c", false, sstr{lit("a"), star, lit("b"), one, lit("c")}},
		{`a\*b\?c\\d`, false, sstr{lit(`a*b?c\d`)}},
		{`C:\Windows\*`, false, sstr{lit(`C:\Windows*`)}},
		{`C:\Windows\System32\`, false, sstr{lit(`C:\Windows\System32\`)}},
		{"**", false, sstr{star, star}},
		{"%var%", false, sstr{lit("%var%")}},
		{"x%var%y", true, sstr{lit("x"), {partPlaceholder, "var"}, lit("y")}},
		{`50% \%a%`, true, sstr{lit("50"), {partPlaceholder, ` \`}, lit("a%")}},
		{`50\% a%b%`, true, sstr{lit("50% a"), {partPlaceholder, "b"}}},
		{"%%", true, sstr{lit("%%")}},
	}
	for _, c := range cases {
		if got := parseSigmaString(c.raw, c.placeholders); !slices.Equal(got, c.want) {
			t.Errorf("parseSigmaString(%q, %v) = %v, want %v", c.raw, c.placeholders, got, c.want)
		}
	}
}
