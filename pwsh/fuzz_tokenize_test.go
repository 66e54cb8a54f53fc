package pwsh

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// checkTokens asserts the tokenizer's contract on src: tokens in order, not
// overlapping, Text equal to the source slice, gaps holding only whitespace
// and line continuations, so that tokens and gaps give back src exactly.
func checkTokens(t *testing.T, src string) {
	t.Helper()
	toks, errs := Tokenize(src)
	var b strings.Builder
	prev := 0
	for i, tk := range toks {
		if tk.Pos < prev || tk.End < tk.Pos || tk.End > len(src) {
			t.Fatalf("token %d %v [%d,%d) out of order (prev end %d)", i, tk.Kind, tk.Pos, tk.End, prev)
		}
		if tk.End == tk.Pos {
			t.Fatalf("token %d %v at %d is empty", i, tk.Kind, tk.Pos)
		}
		if tk.Text != src[tk.Pos:tk.End] {
			t.Fatalf("token %d Text %q != source %q", i, tk.Text, src[tk.Pos:tk.End])
		}
		if gap := src[prev:tk.Pos]; !isGap(gap, prev == 0) {
			t.Fatalf("gap %q before token %d (%v %q) is not whitespace", gap, i, tk.Kind, tk.Text)
		}
		b.WriteString(src[prev:tk.Pos])
		b.WriteString(tk.Text)
		prev = tk.End
	}
	if gap := src[prev:]; !isGap(gap, prev == 0) {
		t.Fatalf("trailing gap %q is not whitespace", gap)
	}
	b.WriteString(src[prev:])
	if b.String() != src {
		t.Fatalf("round trip differs")
	}
	if len(errs) > maxErrors {
		t.Fatalf("%d errors, more than the cap", len(errs))
	}
	for _, e := range errs {
		if e.Pos < 0 || e.Pos > len(src) {
			t.Fatalf("error %v has position outside the source", e)
		}
	}
}

func isGap(s string, atStart bool) bool {
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case isSpace(r):
		case r == '\ufeff' && atStart && i == 0:
		case r == '`' && i+1 < len(s) && isNewline(rune(s[i+1])):
			if s[i+1] == '\r' && i+2 < len(s) && s[i+2] == '\n' {
				w = 3
			} else {
				w = 2
			}
		default:
			return false
		}
		i += w
	}
	return true
}

func FuzzTokenize(f *testing.F) {
	for _, s := range tokenizerSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		checkTokens(t, src)
	})
}
