package sigma

import (
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
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
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return ""
	}
	return requiredLiteral(t.Simplify())
}

func requiredLiteral(t *syntax.Regexp) string {
	switch t.Op {
	case syntax.OpLiteral:
		lit := string(t.Rune)
		for _, r := range lit {
			if r >= 0x80 {
				return ""
			}
		}
		if t.Flags&syntax.FoldCase != 0 {
			// (?i)k also matches the Kelvin sign and (?i)s the long s,
			// which ASCII folding does not see: keep the longest run
			// without them.
			best := ""
			for _, run := range strings.FieldsFunc(lit, func(r rune) bool { return strings.ContainsRune("kKsS", r) }) {
				if len(run) > len(best) {
					best = run
				}
			}
			lit = best
		}
		return foldLiteral(lit)
	case syntax.OpCapture:
		return requiredLiteral(t.Sub[0])
	case syntax.OpPlus:
		return requiredLiteral(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min >= 1 {
			return requiredLiteral(t.Sub[0])
		}
	case syntax.OpConcat:
		best := ""
		for _, s := range t.Sub {
			if l := requiredLiteral(s); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return ""
}
