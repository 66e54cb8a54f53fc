package sigma

import (
	"strings"
	"unicode/utf8"
)

// lowerASCII maps A-Z to a-z and every other byte to itself. Rule literals
// are lowered once at compile time; event values are folded byte by byte
// through this table while comparing, so no value is copied.
var lowerASCII = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c + 'a' - 'A')
	}
	return t
}()

// foldLiteral lowers the ASCII letters of s.
func foldLiteral(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerASCII[b[j]]
			}
			return string(b)
		}
	}
	return s
}

// needsUnicodeFold reports whether s has non-ASCII letters whose case can
// differ, for which ASCII folding is not enough.
func needsUnicodeFold(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError && (strings.ToLower(string(r)) != string(r) || strings.ToUpper(string(r)) != string(r)) {
			return true
		}
		i += size
	}
	return false
}

// equalFold compares v to lit, a literal already lowered with foldLiteral.
func equalFold(v, lit string) bool {
	if len(v) != len(lit) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if lowerASCII[v[i]] != lit[i] {
			return false
		}
	}
	return true
}

func hasPrefixFold(v, lit string) bool {
	return len(v) >= len(lit) && equalFold(v[:len(lit)], lit)
}

func hasSuffixFold(v, lit string) bool {
	return len(v) >= len(lit) && equalFold(v[len(v)-len(lit):], lit)
}

// indexFold returns the first index of lit (lowered) in v, folding v's ASCII
// letters, or -1.
func indexFold(v, lit string) int {
	n := len(lit)
	switch {
	case n == 0:
		return 0
	case n > len(v):
		return -1
	}
	first := lit[0]
	upper := first
	if 'a' <= first && first <= 'z' {
		upper = first - ('a' - 'A')
	}
	last := len(v) - n
	// Jump from candidate to candidate with IndexByte for each case of the
	// first byte; each position found is kept until passed, so the whole
	// search stays linear in len(v).
	nextLo, nextUp := -2, -2
	if upper == first {
		nextUp = -1
	}
	for i := 0; i <= last; {
		if nextLo != -1 && nextLo < i {
			nextLo = indexFrom(v[:last+1], first, i)
		}
		if nextUp != -1 && nextUp < i {
			nextUp = indexFrom(v[:last+1], upper, i)
		}
		j := nextLo
		if j < 0 || (nextUp >= 0 && nextUp < j) {
			j = nextUp
		}
		if j < 0 {
			return -1
		}
		if equalFold(v[j+1:j+n], lit[1:]) {
			return j
		}
		i = j + 1
	}
	return -1
}

func indexFrom(s string, c byte, from int) int {
	if k := strings.IndexByte(s[from:], c); k >= 0 {
		return from + k
	}
	return -1
}

func containsFold(v, lit string) bool { return indexFold(v, lit) >= 0 }
