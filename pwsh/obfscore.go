package pwsh

import (
	"strings"
)

// obfuscation holds token-level signs of obfuscation, in the spirit of
// Revoke-Obfuscation's feature families (character distributions of
// command, member and string tokens, operator use) but computed from the
// tokenizer alone.
type obfuscation struct {
	tokens       int // code tokens (no comments, newlines)
	ticks        int // escape ticks inside command, argument and member names
	randomCase   int // names whose letters flip case irregularly
	concats      int // '+' between two string literals
	formats      int // -f with a format string of {n} items only
	charCasts    int // [char] casts
	numberRuns   int // comma lists of 20 or more numbers
	stringOps    int // -join, -split, -replace, .Replace, .Split, [string]::Join, -bxor
	longBlobs    int // string literals of 200+ base64 or hex characters
	specialVars  int // ${...} names with non-word characters
	reordered    int // format strings whose indexes are out of order: "{2}{0}{1}"
	junkStrings  int // statements that are nothing but a string literal: 'xKq';
	caseVariants int // variables written with three or more different casings: $wc $wC $WC
	score        int // 0..100
}

func measureObfuscation(toks []Token) obfuscation {
	var o obfuscation
	numRun := 0
	spellings := map[string]map[string]bool{}
	for i, t := range toks {
		if t.Kind == Comment || t.Kind == NewLine {
			continue
		}
		o.tokens++
		switch t.Kind {
		case Command, Word, Member, Parameter:
			if strings.ContainsRune(t.Text, '`') {
				o.ticks += strings.Count(t.Text, "`")
			}
			if (t.Kind == Command || t.Kind == Member || t.Kind == Word) && irregularCase(t.Value) {
				o.randomCase++
			}
		case Type:
			if strings.EqualFold(t.Value, "char") || strings.EqualFold(t.Value, "system.char") {
				o.charCasts++
			}
			if irregularCase(t.Value) {
				o.randomCase++
			}
			if strings.ContainsRune(t.Text, '`') {
				o.ticks++
			}
		case Variable:
			if strings.HasPrefix(t.Text, "${") && strings.IndexFunc(t.Value, func(r rune) bool { return !isNameChar(r) && r != ':' }) >= 0 {
				o.specialVars++
			}
			k := strings.ToLower(t.Value)
			if spellings[k] == nil {
				spellings[k] = map[string]bool{}
			}
			if len(spellings[k]) < 8 {
				spellings[k][t.Value] = true
			}
		case Keyword:
			if irregularCase(t.Text) {
				o.randomCase++
			}
		case Operator:
			switch t.Value {
			case "+":
				if i > 0 && i+1 < len(toks) && isStringTok(toks[i-1]) && isStringTok(toks[i+1]) {
					o.concats++
				}
			case "-f":
				if i > 0 && isFormatString(toks[i-1]) {
					o.formats++
					if reorderedFormat(toks[i-1].Value) {
						o.reordered++
					}
				}
			case "-join", "-split", "-replace", "-creplace", "-ireplace", "-csplit", "-bxor":
				o.stringOps++
			}
			if irregularCase(t.Text) {
				o.randomCase++
			}
		case String, ExpandableString:
			if len(t.Value) >= 200 && isBlob(t.Value) {
				o.longBlobs++
			}
			if t.Kind == String && statementStart(toks, i) && i+1 < len(toks) && toks[i+1].Kind == Operator && toks[i+1].Value == ";" {
				o.junkStrings++
			}
		}
		if t.Kind == Member {
			switch strings.ToLower(t.Value) {
			case "replace", "split", "reverse", "join":
				o.stringOps++
			}
		}
		if t.Kind == Number {
			numRun++
		} else if !(t.Kind == Operator && t.Value == ",") {
			if numRun >= 20 {
				o.numberRuns++
			}
			numRun = 0
		}
	}
	if numRun >= 20 {
		o.numberRuns++
	}
	for _, s := range spellings {
		if len(s) >= 3 {
			o.caseVariants++
		}
	}
	o.score = o.computeScore()
	return o
}

// statementStart reports a token that begins a statement.
func statementStart(toks []Token, i int) bool {
	for j := i - 1; j >= 0; j-- {
		switch p := toks[j]; {
		case p.Kind == Comment:
			continue
		case p.Kind == NewLine, p.Kind == Operator && p.Value == ";", p.Kind == GroupStart && p.Value == "{":
			return true
		default:
			return false
		}
	}
	return true
}

func isStringTok(t Token) bool {
	return t.Kind == String || t.Kind == ExpandableString && !strings.Contains(t.Text, "$")
}

// isFormatString reports a string made only of {n} items, like "{1}{0}".
func isFormatString(t Token) bool {
	if t.Kind != String && t.Kind != ExpandableString {
		return false
	}
	v := t.Value
	if len(v) < 6 || !strings.HasPrefix(v, "{") {
		return false
	}
	items := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '{' || c == '}':
			if c == '{' {
				items++
			}
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return items >= 2
}

func reorderedFormat(v string) bool {
	last := -1
	for _, part := range strings.Split(v, "{") {
		part = strings.TrimSuffix(part, "}")
		if part == "" {
			continue
		}
		n := 0
		for _, c := range part {
			n = n*10 + int(c-'0')
		}
		if n < last {
			return true
		}
		last = n
	}
	return false
}

func isBlob(s string) bool {
	for _, r := range s {
		if !(isLetter(r) && r < 128 || isDigit(r) || r == '+' || r == '/' || r == '=' || r == '\r' || r == '\n') {
			return false
		}
	}
	return true
}

// computeScore weighs the signs into 0..100. Densities matter more than
// counts: a long honest script has some concatenation; a short line made
// of little else is obfuscated.
func (o obfuscation) computeScore() int {
	if o.tokens == 0 {
		return 0
	}
	per := func(n int) float64 { return float64(n) * 100 / float64(o.tokens) }
	s := 0.0
	s += min(40, per(o.ticks)*4)
	s += min(60, per(o.randomCase)*5)
	s += min(40, float64(o.caseVariants*15))
	if o.junkStrings >= 5 {
		s += min(40, float64(o.junkStrings)*2)
	}
	s += min(35, per(o.concats)*2)
	s += min(35, float64(o.formats*8)+float64(o.reordered*6))
	s += min(20, float64(o.charCasts)*1.5)
	s += min(20, float64(o.numberRuns*10))
	s += min(20, per(o.stringOps)*2)
	s += min(15, float64(o.specialVars*5))
	if s > 100 {
		s = 100
	}
	return int(s)
}
