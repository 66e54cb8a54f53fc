package sigma

import (
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
	"unicode/utf8"
)

// order is a pass over a compiled tree: the operands of every and/or node
// are sorted by estimated cost, so that cheap, selective tests (literal
// gates, equality) run before regular expressions and keyword searches.
// Boolean operands have no side effects, so the result is unchanged.
func order(n node) node {
	switch x := n.(type) {
	case andNode:
		for i := range x {
			x[i] = order(x[i])
		}
		sort.SliceStable(x, func(i, j int) bool { return cost(x[i]) < cost(x[j]) })
	case orNode:
		for i := range x {
			x[i] = order(x[i])
		}
		sort.SliceStable(x, func(i, j int) bool { return cost(x[i]) < cost(x[j]) })
	case notNode:
		x.x = order(x.x)
		return x
	case sourceCheck:
		x.x = order(x.x)
		return x
	}
	return n
}

// cost estimates the work of evaluating n, in units of one literal test.
func cost(n node) int {
	switch x := n.(type) {
	case *fieldNode:
		return 2 + valuesCost(x.values)
	case *keywordNode:
		return 50 + 10*valuesCost(x.values)
	case *existsNode:
		return 2
	case notNode:
		return cost(x.x)
	case sourceCheck:
		return cost(x.x)
	case andNode:
		c := 0
		for _, y := range x {
			c += cost(y)
		}
		return c
	case orNode:
		c := 0
		for _, y := range x {
			c += cost(y)
		}
		return c
	}
	return 10
}

func valuesCost(vals []valueMatcher) int {
	c := 0
	for _, v := range vals {
		switch m := v.(type) {
		case litGate:
			c++
		case regexMatcher:
			c += 40
		case *globMatcher, unicodeFold, fieldrefMatcher:
			c += 10
		case cidrMatcher, numberMatcher:
			c += 5
		default:
			_ = m
			c += 3
		}
	}
	return c
}

// regexLiteral returns a literal, folded, that every match of re contains,
// or "". It lets the prefilter gate regular expressions like any literal.
func regexLiteral(re *regexp.Regexp) string {
	lit, _, _ := regexFacts(re)
	return foldLiteral(lit)
}

// regexFacts returns a literal every match of re contains (exact text, or
// ASCII-folded when fold is set; "" when none is known) and the fewest bytes
// a match can have, so that most values are rejected before the regular
// expression runs.
func regexFacts(re *regexp.Regexp) (lit string, fold bool, minLen int) {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return "", false, 0
	}
	t = t.Simplify()
	lit, fold = requiredLiteral(t)
	return lit, fold, minMatchLen(t)
}

func requiredLiteral(t *syntax.Regexp) (string, bool) {
	switch t.Op {
	case syntax.OpLiteral:
		lit := string(t.Rune)
		for _, r := range lit {
			if r >= 0x80 {
				return "", false
			}
		}
		if t.Flags&syntax.FoldCase == 0 {
			return lit, false
		}
		// (?i)k also matches the Kelvin sign and (?i)s the long s, which
		// ASCII folding does not see: keep the longest run without them.
		best := ""
		for _, run := range strings.FieldsFunc(lit, func(r rune) bool { return strings.ContainsRune("kKsS", r) }) {
			if len(run) > len(best) {
				best = run
			}
		}
		return foldLiteral(best), true
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min >= 1 {
			return requiredLiteral(t.Sub[0])
		}
	case syntax.OpConcat:
		best, bestFold := "", false
		for _, s := range t.Sub {
			if l, f := requiredLiteral(s); len(l) > len(best) {
				best, bestFold = l, f
			}
		}
		return best, bestFold
	}
	return "", false
}

// minMatchLen is the fewest characters (so at least as few bytes) a match of
// t has.
func minMatchLen(t *syntax.Regexp) int {
	switch t.Op {
	case syntax.OpLiteral:
		return len(t.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minMatchLen(t.Sub[0])
	case syntax.OpRepeat:
		n := t.Min * minMatchLen(t.Sub[0])
		if n > 1<<20 {
			n = 1 << 20
		}
		return n
	case syntax.OpConcat:
		n := 0
		for _, s := range t.Sub {
			n += minMatchLen(s)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, s := range t.Sub {
			if m := minMatchLen(s); n < 0 || m < n {
				n = m
			}
		}
		if n < 0 {
			n = 0
		}
		return n
	}
	return 0
}

// anyRun recognises the length test rules write as a regular expression,
// '.{1000,}' or '(.){200,}': n or more of any character, unanchored. It
// returns n and whether newlines count as characters ((?s) mode), or n == 0
// for any other expression. Go compiles such a repetition into n copies of
// its operand, which then costs n steps per byte of the value; counting the
// longest run answers the same question in one pass.
func anyRun(re *regexp.Regexp) (n int, newlines bool) {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return 0, false
	}
	for t.Op == syntax.OpCapture {
		t = t.Sub[0]
	}
	if t.Op != syntax.OpRepeat || t.Min < 1 {
		return 0, false
	}
	sub := t.Sub[0]
	for sub.Op == syntax.OpCapture {
		sub = sub.Sub[0]
	}
	switch sub.Op {
	case syntax.OpAnyChar:
		return t.Min, true
	case syntax.OpAnyCharNotNL:
		return t.Min, false
	}
	return 0, false
}

// hasRun reports whether v holds n characters in a row, not counting across
// newlines unless newlines is set. A byte that is not valid UTF-8 counts as
// one character, as the regexp package reads it.
func hasRun(v string, n int, newlines bool) bool {
	if newlines {
		return utf8.RuneCountInString(v) >= n
	}
	for len(v) >= n {
		line := v
		if i := strings.IndexByte(v, '\n'); i >= 0 {
			line, v = v[:i], v[i+1:]
		} else {
			v = ""
		}
		if len(line) >= n && utf8.RuneCountInString(line) >= n {
			return true
		}
	}
	return false
}
