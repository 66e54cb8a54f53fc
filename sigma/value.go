package sigma

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits on how far modifiers may multiply one value.
const (
	maxExpansions  = 4096 // values after windash and placeholder expansion
	maxWindashFast = 25   // windash variants expanded into plain literals; above, a dash class is used
)

// partKind is the kind of one piece of a Sigma string value.
type partKind uint8

const (
	partLit partKind = iota
	partStar
	partOne
	partPlaceholder
	partDash // windash: one of - / – — ―
)

type spart struct {
	kind partKind
	s    string // literal text, or placeholder name
}

// sstr is a Sigma string value after escapes are resolved: literal text
// interleaved with wildcards.
type sstr []spart

func (s sstr) add(kind partKind, text string) sstr {
	if kind == partLit {
		if text == "" {
			return s
		}
		if n := len(s); n > 0 && s[n-1].kind == partLit {
			s[n-1].s += text
			return s
		}
	}
	return append(s, spart{kind, text})
}

// parseSigmaString resolves escapes: a backslash escapes '*', '?', another
// backslash (and '%' when placeholders are on); any other backslash is kept.
func parseSigmaString(raw string, placeholders bool) sstr {
	special := `\*?`
	if placeholders {
		special += "%"
	}
	if !strings.ContainsAny(raw, special) {
		// Most values are plain text: it is the literal as is.
		return sstr{}.add(partLit, raw)
	}
	var out sstr
	var lit strings.Builder
	flush := func() {
		out = out.add(partLit, lit.String())
		lit.Reset()
	}
	for i := 0; i < len(raw); i++ {
		if j := strings.IndexAny(raw[i:], special); j != 0 {
			// Text up to the next special character goes in at once.
			if j < 0 {
				j = len(raw) - i
			}
			lit.WriteString(raw[i : i+j])
			i += j - 1
			continue
		}
		c := raw[i]
		switch {
		case c == '\\' && i+1 < len(raw) && (raw[i+1] == '*' || raw[i+1] == '?' || raw[i+1] == '\\' || placeholders && raw[i+1] == '%'):
			lit.WriteByte(raw[i+1])
			i++
		case c == '*':
			flush()
			out = out.add(partStar, "")
		case c == '?':
			flush()
			out = out.add(partOne, "")
		case placeholders && c == '%':
			if j := strings.IndexByte(raw[i+1:], '%'); j > 0 {
				flush()
				out = out.add(partPlaceholder, raw[i+1:i+1+j])
				i += j + 1
				continue
			}
			lit.WriteByte(c)
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out
}

// withStars returns s with a '*' before and after it, where asked and
// missing, in a new slice allocated once.
func (s sstr) withStars(before, after bool) sstr {
	before = before && (len(s) == 0 || s[0].kind != partStar)
	after = after && (len(s) == 0 || s[len(s)-1].kind != partStar)
	if !before && !after {
		return s
	}
	out := make(sstr, 0, len(s)+2)
	if before {
		out = append(out, spart{kind: partStar})
	}
	out = append(out, s...)
	if after && (len(out) == 0 || out[len(out)-1].kind != partStar) {
		out = append(out, spart{kind: partStar})
	}
	return out
}

func (s sstr) plain() (string, bool) {
	switch {
	case len(s) == 0:
		return "", true
	case len(s) == 1 && s[0].kind == partLit:
		return s[0].s, true
	}
	return "", false
}

// transform applies f to every literal part.
func (s sstr) transform(f func(string) string) sstr {
	out := make(sstr, 0, len(s))
	for _, p := range s {
		if p.kind == partLit {
			p.s = f(p.s)
		}
		out = append(out, p)
	}
	return out
}

// modifierSet is the parsed modifier chain of an item.
type modifierSet struct {
	chain    []string // in order, for transformations
	all      bool
	cased    bool
	neq      bool
	exists   bool
	fieldref bool
	expand   bool
	re       bool
	reFlags  string
	cidr     bool
	compare  string // lt, lte, gt, gte
	timePart string
	position string // contains, startswith, endswith
	encoded  bool   // base64 output: compared case-sensitively
}

var knownModifiers = map[string]bool{
	"contains": true, "startswith": true, "endswith": true, "all": true, "exists": true, "cased": true, "neq": true,
	"windash": true, "re": true, "i": true, "m": true, "s": true, "ignorecase": true, "multiline": true, "dotall": true,
	"base64": true, "base64offset": true, "utf16le": true, "utf16be": true, "utf16": true, "wide": true,
	"lt": true, "lte": true, "gt": true, "gte": true,
	"minute": true, "hour": true, "day": true, "week": true, "month": true, "year": true,
	"cidr": true, "expand": true, "fieldref": true,
}

func parseModifiers(it *Item) (*modifierSet, *ruleError) {
	ms := &modifierSet{}
	bad := func(format string, args ...any) *ruleError {
		return &ruleError{reason: ReasonBadModifier, line: it.Line, column: it.Column, msg: fmt.Sprintf(format, args...)}
	}
	for _, m := range it.Modifiers {
		lm := strings.ToLower(m)
		if !knownModifiers[lm] {
			return nil, &ruleError{reason: ReasonUnknownModifier, line: it.Line, column: it.Column, msg: fmt.Sprintf("unknown modifier %q", m)}
		}
		switch lm {
		case "all":
			ms.all = true
		case "cased":
			ms.cased = true
		case "neq":
			ms.neq = true
		case "exists":
			ms.exists = true
		case "fieldref":
			ms.fieldref = true
		case "expand":
			ms.expand = true
		case "re":
			ms.re = true
		case "i", "ignorecase", "m", "multiline", "s", "dotall":
			if !ms.re {
				return nil, bad("modifier %q must follow re", m)
			}
			ms.reFlags += lm[:1]
		case "cidr":
			ms.cidr = true
		case "lt", "lte", "gt", "gte":
			if ms.compare != "" {
				return nil, bad("two comparison modifiers (%s and %s)", ms.compare, lm)
			}
			ms.compare = lm
		case "minute", "hour", "day", "week", "month", "year":
			ms.timePart = lm
		case "contains", "startswith", "endswith":
			if ms.position != "" && ms.position != lm {
				return nil, bad("modifiers %s and %s exclude each other", ms.position, lm)
			}
			ms.position = lm
			ms.chain = append(ms.chain, lm)
		default:
			ms.chain = append(ms.chain, lm)
		}
	}
	special := 0
	for _, b := range []bool{ms.re, ms.cidr, ms.compare != "" || ms.timePart != "", ms.exists, ms.fieldref && ms.compare == ""} {
		if b {
			special++
		}
	}
	switch {
	case special > 1:
		return nil, bad("modifiers %s cannot be combined", strings.Join(it.Modifiers, "|"))
	case ms.re && len(ms.chain) > 0:
		return nil, bad("re cannot be combined with %s", strings.Join(ms.chain, "|"))
	case ms.cidr && len(ms.chain) > 0, ms.compare != "" && len(ms.chain) > 0, ms.exists && len(it.Modifiers) > 1:
		return nil, bad("modifiers %s cannot be combined", strings.Join(it.Modifiers, "|"))
	case ms.fieldref && (ms.expand || len(ms.chain) > 0 && ms.chain[0] != ms.position || len(ms.chain) > 1):
		return nil, bad("fieldref combines only with contains, startswith, endswith, cased and neq")
	}
	return ms, nil
}

// compileValues turns the values of an item into matchers.
func (cc *compiler) compileValues(it *Item, ms *modifierSet, keyword bool) ([]valueMatcher, bool, *ruleError) {
	badValue := func(v Value, format string, args ...any) *ruleError {
		return &ruleError{reason: ReasonBadValue, line: v.Line, column: it.Column, msg: fmt.Sprintf(format, args...)}
	}
	var out []valueMatcher
	hasNull := false
	for _, v := range it.Values {
		if v.Kind == ValueNull {
			if len(it.Modifiers) > 0 {
				return nil, false, badValue(v, "null cannot take modifiers")
			}
			hasNull = true
			out = append(out, nullMatcher{})
			continue
		}
		switch {
		case ms.re:
			flags := ""
			for _, f := range "ims" {
				if strings.ContainsRune(ms.reFlags, f) {
					flags += string(f)
				}
			}
			src := v.Text
			if flags != "" {
				src = "(?" + flags + ")" + src
			}
			re, err := regexp.Compile(src)
			if err != nil {
				return nil, false, &ruleError{reason: ReasonBadRegex, line: v.Line, column: it.Column, msg: fmt.Sprintf("regular expression %q: %s", v.Text, regexReason(err))}
			}
			out = append(out, newRegexMatcher(re))
		case ms.cidr:
			p, err := netip.ParsePrefix(strings.TrimSpace(v.Text))
			if err != nil {
				a, aerr := netip.ParseAddr(strings.TrimSpace(v.Text))
				if aerr != nil {
					return nil, false, badValue(v, "%q is not a CIDR network", v.Text)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			out = append(out, cidrMatcher{p.Masked()})
		case ms.compare != "" || ms.timePart != "":
			n, ok := parseNumber(v.Text)
			if !ok {
				return nil, false, badValue(v, "%s needs a number, not %q", ms.compare+ms.timePart, v.Text)
			}
			op := ms.compare
			if op == "" {
				op = "eq"
			}
			out = append(out, numberMatcher{op: op, want: n, part: ms.timePart})
		case ms.fieldref:
			kind := map[string]string{"": "equal", "contains": "contains", "startswith": "prefix", "endswith": "suffix"}[ms.position]
			out = append(out, fieldrefMatcher{field: cc.fieldID(v.Text), kind: kind, cased: ms.cased})
		default:
			vals, err := cc.expandString(it, ms, v, keyword)
			if err != nil {
				return nil, false, err
			}
			for _, s := range vals {
				out = append(out, literalMatcher(s, ms.cased || ms.encoded))
			}
		}
	}
	return out, hasNull, nil
}

func regexReason(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "invalid or unsupported Perl syntax") {
		return msg + " (lookaround and backreferences are not RE2; Sigma's regular expression subset does not include them)"
	}
	return msg
}

// expandString applies the transformation modifiers, in rule order, to one
// string value and returns the resulting alternatives.
func (cc *compiler) expandString(it *Item, ms *modifierSet, v Value, keyword bool) ([]sstr, *ruleError) {
	vals := []sstr{parseSigmaString(v.Text, ms.expand)}
	if ms.expand {
		var err *ruleError
		if vals, err = cc.expandPlaceholders(it, v, vals[0]); err != nil {
			return nil, err
		}
	}
	ms.encoded = false
	for _, m := range ms.chain {
		next := vals[:0:0]
		for _, s := range vals {
			switch m {
			case "contains":
				next = append(next, s.withStars(true, true))
			case "startswith":
				next = append(next, s.withStars(false, true))
			case "endswith":
				next = append(next, s.withStars(true, false))
			case "base64", "base64offset":
				p, ok := s.plain()
				if !ok {
					return nil, &ruleError{reason: ReasonBadValue, line: v.Line, column: it.Column, msg: fmt.Sprintf("%s cannot encode a value with wildcards (%q)", m, v.Text)}
				}
				if m == "base64" {
					next = append(next, sstr{{kind: partLit, s: base64.StdEncoding.EncodeToString([]byte(p))}})
				} else {
					for _, e := range base64Offsets(p) {
						next = append(next, sstr{{kind: partLit, s: e}})
					}
				}
				ms.encoded = true
			case "utf16le", "wide":
				next = append(next, s.transform(func(x string) string { return encodeUTF16(x, false) }))
			case "utf16be":
				next = append(next, s.transform(func(x string) string { return encodeUTF16(x, true) }))
			case "utf16":
				t := s.transform(func(x string) string { return encodeUTF16(x, false) })
				next = append(next, append(sstr{{kind: partLit, s: "\xff\xfe"}}, t...))
			case "windash":
				next = append(next, windash(s)...)
			}
			if len(next) > maxExpansions {
				return nil, &ruleError{reason: ReasonTooComplex, line: v.Line, column: it.Column, msg: fmt.Sprintf("%q expands to more than %d values", it.Field, maxExpansions)}
			}
		}
		vals = next
	}
	if keyword && ms.position == "" {
		// A keyword is searched for anywhere in the event's values.
		for i, s := range vals {
			if len(s) == 0 || s[0].kind != partStar {
				s = append(sstr{{kind: partStar}}, s...)
			}
			if s[len(s)-1].kind != partStar {
				s = append(s, spart{kind: partStar})
			}
			vals[i] = s
		}
	}
	return vals, nil
}

func (cc *compiler) expandPlaceholders(it *Item, v Value, s sstr) ([]sstr, *ruleError) {
	out := []sstr{nil}
	for _, p := range s {
		if p.kind != partPlaceholder {
			for i := range out {
				out[i] = append(out[i], p)
			}
			continue
		}
		repl, ok := cc.placeholders[p.s]
		if !ok {
			return nil, &ruleError{reason: ReasonMissingPlaceholder, line: v.Line, column: it.Column, msg: fmt.Sprintf("placeholder %%%s%% has no values; give them in a rules configuration file", p.s)}
		}
		if len(out)*len(repl) > maxExpansions {
			return nil, &ruleError{reason: ReasonTooComplex, line: v.Line, column: it.Column, msg: fmt.Sprintf("placeholders of %q expand to more than %d values", it.Field, maxExpansions)}
		}
		var next []sstr
		for _, prefix := range out {
			for _, r := range repl {
				alt := append(append(sstr(nil), prefix...), parseSigmaString(r, false)...)
				next = append(next, alt)
			}
		}
		out = next
	}
	for i := range out {
		out[i] = normalize(out[i])
	}
	return out, nil
}

// normalize merges adjacent literal parts.
func normalize(s sstr) sstr {
	var out sstr
	for _, p := range s {
		out = out.add(p.kind, p.s)
	}
	return out
}

// base64Offsets gives the three encodings of p as it may appear at any byte
// offset inside a longer base64 text: p is shifted by zero, one and two bytes,
// and the characters that depend on unknown neighbours are cut off.
func base64Offsets(p string) []string {
	var out []string
	starts := [3]int{0, 2, 3}
	for shift := 0; shift < 3; shift++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", shift) + p))
		end := len(enc)
		switch (len(p) + shift) % 3 {
		case 1:
			end -= 3
		case 2:
			end -= 2
		}
		if starts[shift] < end {
			out = append(out, enc[starts[shift]:end])
		}
	}
	return out
}

func encodeUTF16(s string, bigEndian bool) string {
	var b strings.Builder
	for _, r := range s {
		for _, u := range utf16.Encode([]rune{r}) {
			if bigEndian {
				b.WriteByte(byte(u >> 8))
				b.WriteByte(byte(u))
			} else {
				b.WriteByte(byte(u))
				b.WriteByte(byte(u >> 8))
			}
		}
	}
	return b.String()
}

var dashes = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// windashPositions returns the offsets of the option dashes of a literal:
// a '-' or '/' that starts a word (the character before it, if any, is not a
// word character, and a word character follows), as in pySigma. Dashes
// inside words ("x-y") are left alone.
func windashPositions(lit string) []int {
	var out []int
	for i := 0; i < len(lit); i++ {
		if lit[i] != '-' && lit[i] != '/' {
			continue
		}
		if i > 0 && isWordChar(lit[i-1]) {
			continue
		}
		if i+1 < len(lit) && isWordChar(lit[i+1]) {
			out = append(out, i)
		}
	}
	return out
}

func isWordChar(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= utf8.RuneSelf
}

// windash makes every option dash of the literal parts any of - / – — ―.
// Values with up to two such dashes are expanded into plain alternatives
// (fast literal matchers); more get a dash class instead of 5^n
// alternatives.
func windash(s sstr) []sstr {
	n := 0
	for _, p := range s {
		if p.kind == partLit {
			n += len(windashPositions(p.s))
		}
	}
	if n == 0 {
		return []sstr{s}
	}
	variants := 1
	for i := 0; i < n; i++ {
		variants *= len(dashes)
	}
	expand := variants <= maxWindashFast
	out := []sstr{nil}
	appendAll := func(kind partKind, text string) {
		for i := range out {
			out[i] = out[i].add(kind, text)
		}
	}
	for _, p := range s {
		if p.kind != partLit {
			appendAll(p.kind, p.s)
			continue
		}
		prev := 0
		for _, pos := range windashPositions(p.s) {
			appendAll(partLit, p.s[prev:pos])
			prev = pos + 1
			if !expand {
				appendAll(partDash, "")
				continue
			}
			var next []sstr
			for _, o := range out {
				for _, alt := range dashes {
					c := append(sstr(nil), o...)
					next = append(next, c.add(partLit, alt))
				}
			}
			out = next
		}
		appendAll(partLit, p.s[prev:])
	}
	return out
}

// literalMatcher picks the cheapest matcher for a Sigma string.
func literalMatcher(s sstr, cased bool) valueMatcher {
	if len(s) == 0 {
		if cased {
			return casedEqual{""}
		}
		return equalMatcher{""}
	}
	lead := s[0].kind == partStar
	trail := len(s) > 1 && s[len(s)-1].kind == partStar
	inner := s
	if lead {
		inner = inner[1:]
	}
	if trail {
		inner = inner[:len(inner)-1]
	}
	if len(inner) == 0 {
		return anyMatcher{}
	}
	if len(inner) == 1 && inner[0].kind == partLit {
		lit := inner[0].s
		var m valueMatcher
		if cased {
			switch {
			case lead && trail:
				m = casedContains{lit}
			case lead:
				m = casedSuffix{lit}
			case trail:
				m = casedPrefix{lit}
			default:
				m = casedEqual{lit}
			}
			return m
		}
		unicode := needsUnicodeFold(lit)
		if unicode {
			lit = strings.ToLower(lit)
		} else {
			lit = foldLiteral(lit)
		}
		switch {
		case lead && trail:
			m = containsMatcher{lit}
		case lead:
			m = suffixMatcher{lit}
		case trail:
			m = prefixMatcher{lit}
		default:
			m = equalMatcher{lit}
		}
		if unicode {
			return unicodeFold{inner: m, nonASCII: !isASCII(lit)}
		}
		return m
	}
	g := &globMatcher{cased: cased}
	unicode := false
	for _, p := range s {
		switch p.kind {
		case partStar:
			g.elems = append(g.elems, globElem{kind: globStar})
		case partOne:
			g.elems = append(g.elems, globElem{kind: globOne})
		case partDash:
			g.elems = append(g.elems, globElem{kind: globDash})
		case partLit:
			lit := p.s
			if !cased {
				if needsUnicodeFold(lit) {
					unicode = true
					lit = strings.ToLower(lit)
				} else {
					lit = foldLiteral(lit)
				}
			}
			for i := 0; i < len(lit); i++ {
				g.elems = append(g.elems, globElem{kind: globByte, b: lit[i]})
			}
		}
	}
	if unicode {
		nonASCII := false
		for _, e := range g.elems {
			nonASCII = nonASCII || e.kind == globByte && e.b >= utf8.RuneSelf
		}
		return unicodeFold{inner: g, nonASCII: nonASCII}
	}
	return g
}

// dashAt reports the length of a windash dash at the start of v, or 0.
func dashAt(v string) int {
	if v == "" {
		return 0
	}
	if v[0] == '-' || v[0] == '/' {
		return 1
	}
	if r, size := utf8.DecodeRuneInString(v); r == '\u2013' || r == '\u2014' || r == '\u2015' {
		return size
	}
	return 0
}
