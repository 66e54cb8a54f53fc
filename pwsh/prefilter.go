package pwsh

import (
	"regexp/syntax"
	"strings"
)

// requiredLiterals returns strings of which at least one must occur in any
// text the expression matches, or nil when it cannot tell. Running
// strings.Contains first spares most texts the slower regular expression.
func requiredLiterals(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	need := literalsOf(re.Simplify())
	for _, s := range need {
		if len(s) < 3 {
			return nil
		}
	}
	return need
}

func literalsOf(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return []string{strings.ToLower(string(re.Rune))}
		}
		return []string{string(re.Rune)}
	case syntax.OpCapture:
		return literalsOf(re.Sub[0])
	case syntax.OpPlus:
		return literalsOf(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return literalsOf(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		bestLen := 0
		for _, sub := range re.Sub {
			need := literalsOf(sub)
			if need == nil {
				continue
			}
			shortest := len(need[0])
			for _, s := range need {
				shortest = min(shortest, len(s))
			}
			if shortest > bestLen {
				best, bestLen = need, shortest
			}
		}
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			need := literalsOf(sub)
			if need == nil {
				return nil
			}
			all = append(all, need...)
		}
		return all
	}
	return nil
}

// mayMatch reports whether text contains one of the required literals.
func mayMatch(need []string, text string) bool {
	if need == nil {
		return true
	}
	for _, s := range need {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}
