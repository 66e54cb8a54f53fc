package sigma

import (
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is what rules read. Implementations must be cheap to query: Field is
// called for each field a rule looks at (once per event and rule set, thanks
// to the matcher's cache), Values once per event.
type Event interface {
	// Field returns the value of the named field and whether the event has
	// it. Names are the event's own (after log source field mapping).
	Field(name string) (string, bool)
	// Values calls fn with the name and value of every payload field (not
	// the header fields listed by [LogSources.HeaderFields]) until fn
	// returns false. Keyword searches and the literal prefilter read
	// these. Field(name) must find each value under its name, or under
	// the name with its spaces removed.
	Values(fn func(name, value string) bool)
}

// node is a compiled condition or search.
type node interface {
	eval(c *evalCtx) bool
	// collect appends the fields that made a true node true.
	collect(c *evalCtx, out *[]MatchedField)
}

// MatchedField is one field that took part in a match, by the rule's name
// for it, with the event's value.
type MatchedField struct {
	Name  string
	Value string
}

type andNode []node

func (n andNode) eval(c *evalCtx) bool {
	for _, x := range n {
		if !x.eval(c) {
			return false
		}
	}
	return true
}

func (n andNode) collect(c *evalCtx, out *[]MatchedField) {
	for _, x := range n {
		x.collect(c, out)
	}
}

type orNode []node

func (n orNode) eval(c *evalCtx) bool {
	for _, x := range n {
		if x.eval(c) {
			return true
		}
	}
	return false
}

func (n orNode) collect(c *evalCtx, out *[]MatchedField) {
	for _, x := range n {
		if x.eval(c) {
			x.collect(c, out)
			return
		}
	}
}

// sourceCheck wraps the provider test a log source adds to a rule: it is
// not part of what the rule author wrote, so it is not reported.
type sourceCheck struct{ x node }

func (n sourceCheck) eval(c *evalCtx) bool                    { return n.x.eval(c) }
func (n sourceCheck) collect(c *evalCtx, out *[]MatchedField) {}

type notNode struct{ x node }

func (n notNode) eval(c *evalCtx) bool                    { return !n.x.eval(c) }
func (n notNode) collect(c *evalCtx, out *[]MatchedField) {}

// fieldNode matches one field against values: any of them, or all of them
// with the all modifier; neq inverts the result for a present field.
type fieldNode struct {
	name   string // the rule's field name, for reports
	field  int    // index in the ruleset's field table
	values []valueMatcher
	all    bool
	neq    bool
	// absent is the result when the event lacks the field.
	absent bool
	// unicode is true when some value needs Unicode case folding.
	unicode bool
}

func (n *fieldNode) eval(c *evalCtx) bool {
	v, ok := c.field(n.field)
	if !ok {
		return n.absent
	}
	return n.test(c, v)
}

func (n *fieldNode) test(c *evalCtx, v string) bool {
	if n.unicode {
		return n.testUnicode(c, v)
	}
	var r bool
	if n.all {
		r = true
		for _, m := range n.values {
			if !m.match(c, v) {
				r = false
				break
			}
		}
	} else {
		for _, m := range n.values {
			if m.match(c, v) {
				r = true
				break
			}
		}
	}
	return r != n.neq
}

// testUnicode is test for nodes with non-ASCII literals.
func (n *fieldNode) testUnicode(c *evalCtx, v string) bool {
	var u unicodeState
	r := n.all
	for _, m := range n.values {
		if u.match(c, m, v) != n.all {
			r = !n.all
			break
		}
	}
	return r != n.neq
}

func (n *fieldNode) collect(c *evalCtx, out *[]MatchedField) {
	v, _ := c.field(n.field)
	*out = append(*out, MatchedField{Name: n.name, Value: v})
}

// keywordNode searches every payload value of the event.
type keywordNode struct {
	values []valueMatcher
	all    bool
}

func (n *keywordNode) eval(c *evalCtx) bool {
	if n.all {
		for _, m := range n.values {
			if !c.anyValue(m) {
				return false
			}
		}
		return true
	}
	for _, m := range n.values {
		if c.anyValue(m) {
			return true
		}
	}
	return false
}

func (n *keywordNode) collect(c *evalCtx, out *[]MatchedField) {
	for _, m := range n.values {
		found := ""
		ok := false
		c.ev.Values(func(_, v string) bool {
			if m.match(c, v) {
				found, ok = v, true
				return false
			}
			return true
		})
		if ok {
			*out = append(*out, MatchedField{Name: "keywords", Value: found})
			if !n.all {
				return
			}
		}
	}
}

// existsNode implements the exists modifier.
type existsNode struct {
	name  string
	field int
	want  bool
}

func (n *existsNode) eval(c *evalCtx) bool {
	_, ok := c.field(n.field)
	return ok == n.want
}

func (n *existsNode) collect(c *evalCtx, out *[]MatchedField) {
	v, _ := c.field(n.field)
	*out = append(*out, MatchedField{Name: n.name, Value: v})
}

// valueMatcher tests one field value.
type valueMatcher interface {
	match(c *evalCtx, v string) bool
}

// Literal matchers; lit is folded unless the matcher is cased.
type (
	equalMatcher    struct{ lit string }
	prefixMatcher   struct{ lit string }
	suffixMatcher   struct{ lit string }
	containsMatcher struct{ lit string }
	anyMatcher      struct{} // "*": any value, even empty
	casedEqual      struct{ lit string }
	casedPrefix     struct{ lit string }
	casedSuffix     struct{ lit string }
	casedContains   struct{ lit string }
	nullMatcher     struct{} // null: the field is empty (absence is handled by fieldNode)
)

func (m equalMatcher) match(_ *evalCtx, v string) bool    { return equalFold(v, m.lit) }
func (m prefixMatcher) match(_ *evalCtx, v string) bool   { return hasPrefixFold(v, m.lit) }
func (m suffixMatcher) match(_ *evalCtx, v string) bool   { return hasSuffixFold(v, m.lit) }
func (m containsMatcher) match(_ *evalCtx, v string) bool { return containsFold(v, m.lit) }
func (anyMatcher) match(_ *evalCtx, _ string) bool        { return true }
func (m casedEqual) match(_ *evalCtx, v string) bool      { return v == m.lit }
func (m casedPrefix) match(_ *evalCtx, v string) bool     { return strings.HasPrefix(v, m.lit) }
func (m casedSuffix) match(_ *evalCtx, v string) bool     { return strings.HasSuffix(v, m.lit) }
func (m casedContains) match(_ *evalCtx, v string) bool   { return strings.Contains(v, m.lit) }
func (nullMatcher) match(_ *evalCtx, v string) bool       { return v == "" }

// litGate skips a literal matcher when the prefilter saw its literal in no
// payload value of the event: most values of most rules are then rejected
// without reading the field.
type litGate struct {
	lid   int32
	inner valueMatcher
}

func (g litGate) match(c *evalCtx, v string) bool {
	if c.litSeen != nil && c.litSeen[g.lid] != c.gen {
		return false
	}
	return g.inner.match(c, v)
}

// unicodeFold wraps a matcher whose literal has non-ASCII letters: the value
// is lowered with Unicode rules first. It allocates, but only for non-ASCII
// values.
type unicodeFold struct {
	inner valueMatcher
	// nonASCII is true when the lowered literal has non-ASCII bytes: then no
	// ASCII value can match.
	nonASCII bool
}

func (m unicodeFold) match(c *evalCtx, v string) bool {
	if isASCII(v) {
		// For ASCII text, Unicode lowering is the ASCII folding the
		// inner matcher does anyway.
		return !m.nonASCII && m.inner.match(c, v)
	}
	return m.inner.match(c, strings.ToLower(v))
}

func isASCII(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// unicodeState remembers, during one fieldNode test, whether the value is
// ASCII and its Unicode-lowered form, so that a long list of non-ASCII
// literals costs one pass over the value.
type unicodeState struct {
	known bool
	ascii bool
	lower string
}

func (u *unicodeState) match(c *evalCtx, m valueMatcher, v string) bool {
	g, gated := m.(litGate)
	if gated {
		if c.litSeen != nil && c.litSeen[g.lid] != c.gen {
			return false
		}
		m = g.inner
	}
	uf, ok := m.(unicodeFold)
	if !ok {
		return m.match(c, v)
	}
	if !u.known {
		u.known, u.ascii = true, isASCII(v)
		if !u.ascii {
			u.lower = strings.ToLower(v)
		}
	}
	if u.ascii {
		return !uf.nonASCII && uf.inner.match(c, v)
	}
	return uf.inner.match(c, u.lower)
}

// globMatcher handles values with wildcards inside. '*' matches any run of
// characters, '?' one character (one UTF-8 sequence). Matching is the classic
// two-pointer algorithm that backtracks only to the last star: O(len(pattern)
// * len(value)) at worst, whatever the rule.
type globMatcher struct {
	elems []globElem
	cased bool
}

type globKind uint8

const (
	globByte globKind = iota
	globStar
	globOne
	globDash // windash: one of - / – — ―
)

type globElem struct {
	kind globKind
	b    byte // folded unless the matcher is cased
}

func (m *globMatcher) match(_ *evalCtx, v string) bool {
	return globMatch(m.elems, v, m.cased)
}

func globMatch(elems []globElem, v string, cased bool) bool {
	pi, vi := 0, 0
	star, mark := -1, 0
	for vi < len(v) {
		if pi < len(elems) {
			e := elems[pi]
			switch e.kind {
			case globStar:
				star, mark = pi, vi
				pi++
				continue
			case globOne:
				_, size := utf8.DecodeRuneInString(v[vi:])
				vi += size
				pi++
				continue
			case globDash:
				if n := dashAt(v[vi:]); n > 0 {
					vi += n
					pi++
					continue
				}
			default:
				c := v[vi]
				if !cased {
					c = lowerASCII[c]
				}
				if c == e.b {
					vi++
					pi++
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		_, size := utf8.DecodeRuneInString(v[mark:])
		mark += size
		pi, vi = star+1, mark
	}
	for pi < len(elems) && elems[pi].kind == globStar {
		pi++
	}
	return pi == len(elems)
}

// regexMatcher runs a regular expression, after two cheap checks that
// reject most values: the shortest possible match, and a literal every match
// contains (however short).
type regexMatcher struct {
	re       *regexp.Regexp
	need     string
	needFold bool
	minLen   int
	// run > 0 when the expression only asks for run characters in a row
	// (see anyRun); runNL when newlines count.
	run   int
	runNL bool
}

func newRegexMatcher(re *regexp.Regexp) regexMatcher {
	need, fold, minLen := regexFacts(re)
	run, runNL := anyRun(re)
	return regexMatcher{re: re, need: need, needFold: fold, minLen: minLen, run: run, runNL: runNL}
}

func (m regexMatcher) match(_ *evalCtx, v string) bool {
	if len(v) < m.minLen {
		return false
	}
	if m.run > 0 {
		return hasRun(v, m.run, m.runNL)
	}
	if m.need != "" {
		if m.needFold {
			if indexFold(v, m.need) < 0 {
				return false
			}
		} else if !strings.Contains(v, m.need) {
			return false
		}
	}
	return m.re.MatchString(v)
}

type cidrMatcher struct{ prefix netip.Prefix }

func (m cidrMatcher) match(_ *evalCtx, v string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(v))
	if err != nil {
		return false
	}
	return m.prefix.Contains(a.Unmap())
}

// numberMatcher compares the value as a number (decimal, or hex with 0x).
type numberMatcher struct {
	op   string
	want float64
	// part extracts a time component instead of reading a number.
	part string
}

func (m numberMatcher) match(_ *evalCtx, v string) bool {
	var x float64
	var ok bool
	if m.part != "" {
		x, ok = timePart(v, m.part)
	} else {
		x, ok = parseNumber(v)
	}
	if !ok {
		return false
	}
	return compare(m.op, x, m.want)
}

func compare(op string, x, want float64) bool {
	switch op {
	case "lt":
		return x < want
	case "lte":
		return x <= want
	case "gt":
		return x > want
	case "gte":
		return x >= want
	case "neq":
		return x != want
	}
	return x == want
}

func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		u, err := strconv.ParseUint(s[2:], 16, 64)
		return float64(u), err == nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.0000000Z",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

func timePart(v, part string) (float64, bool) {
	v = strings.TrimSpace(v)
	var t time.Time
	var err error
	for _, l := range timeLayouts {
		if t, err = time.Parse(l, v); err == nil {
			break
		}
	}
	if err != nil {
		return 0, false
	}
	switch part {
	case "minute":
		return float64(t.Minute()), true
	case "hour":
		return float64(t.Hour()), true
	case "day":
		return float64(t.Day()), true
	case "week":
		_, w := t.ISOWeek()
		return float64(w), true
	case "month":
		return float64(t.Month()), true
	}
	return float64(t.Year()), true
}

// fieldrefMatcher compares the value with another field of the same event.
type fieldrefMatcher struct {
	field int
	kind  string // equal, prefix, suffix, contains
	cased bool
}

func (m fieldrefMatcher) match(c *evalCtx, v string) bool {
	other, ok := c.field(m.field)
	if !ok {
		return false
	}
	if !m.cased {
		other = strings.ToLower(other)
		v = strings.ToLower(v)
	}
	switch m.kind {
	case "prefix":
		return strings.HasPrefix(v, other)
	case "suffix":
		return strings.HasSuffix(v, other)
	case "contains":
		return strings.Contains(v, other)
	}
	return v == other
}
