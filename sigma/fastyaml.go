package sigma

import (
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// parseFastYAML parses the plain block-style YAML that Sigma rules are
// written in, about five times faster than yaml.v3 on SigmaHQ's rules,
// into the same nodes yaml.v3 gives (kind, tag, value, style, line and
// column; comments are dropped). Loading thousands of rules was dominated
// by yaml.v3.
//
// It accepts only what it is sure of: anything else (anchors, tags, flow
// mappings, multi-line quoted strings, tabs, CR line ends, odd indentation,
// anything yaml.v3 might reject) makes it return ok == false, and the caller
// parses the file with yaml.v3 instead. FuzzFastYAML holds it to that
// promise against yaml.v3 itself.
func parseFastYAML(data []byte, arena *nodeArena) (docs []*yaml.Node, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, bail := r.(fastBail); !bail {
				panic(r)
			}
			docs, ok = nil, false
		}
	}()
	if !plainText(data) || len(data) > 0 && data[len(data)-1] != '\n' {
		return nil, false
	}
	p := &fastParser{lines: splitLines(string(data))}
	// A line of a rule makes one or two nodes.
	p.nodes = arena.get(2*len(p.lines) + 2)
	return p.stream(), true
}

// nodeArena is a block of nodes for the fast parser, kept from one file to
// the next: the nodes are dropped once a file's rules are built, and
// allocating and clearing a block for every file took a third of the
// parser's time.
type nodeArena struct{ nodes []yaml.Node }

// maxArenaNodes caps the block kept for the next file (about 10 MB); a
// larger file gets a block of its own.
const maxArenaNodes = 1 << 16

var nodeArenas = sync.Pool{New: func() any { return new(nodeArena) }}

// get returns the arena's block, empty, with room for n nodes.
func (a *nodeArena) get(n int) []yaml.Node {
	if cap(a.nodes) < n {
		b := make([]yaml.Node, 0, n)
		if n <= maxArenaNodes {
			a.nodes = b
		}
		return b
	}
	return a.nodes[:0]
}

// fastBail is raised to give up on the fast path.
type fastBail struct{}

func bail() { panic(fastBail{}) }

// plainText reports whether data is UTF-8 without the characters whose
// handling differs between YAML readers or needs care: control characters
// (tabs and CR included), C1 controls with NEL, the Unicode line and
// paragraph separators, and byte order marks.
func plainText(data []byte) bool {
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError || r < 0xa0 || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff {
			return false
		}
		i += n
	}
	return true
}

type fastLine struct {
	text   string
	indent int // leading spaces
}

func splitLines(s string) []fastLine {
	lines := make([]fastLine, 0, strings.Count(s, "\n")+1)
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		ind := 0
		for ind < len(line) && line[ind] == ' ' {
			ind++
		}
		lines = append(lines, fastLine{text: line, indent: ind})
	}
	return lines
}

// blank reports whether a line holds only spaces or a comment.
func (l fastLine) blank() bool { return l.indent == len(l.text) || l.text[l.indent] == '#' }

type fastParser struct {
	lines []fastLine
	i     int // the next line to read
	end   int // the end of the current document
	nodes []yaml.Node
}

// newNode returns a copy of n allocated from a block of nodes: one
// allocation for many nodes, where allocating each was a third of the time.
func (p *fastParser) newNode(n yaml.Node) *yaml.Node {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = make([]yaml.Node, 0, 64)
	}
	p.nodes = append(p.nodes, n)
	return &p.nodes[len(p.nodes)-1]
}

func (p *fastParser) stream() []*yaml.Node {
	var docs []*yaml.Node
	for p.i < len(p.lines) {
		start, explicit := p.i, false
		for start < len(p.lines) && p.lines[start].blank() {
			start++
		}
		if start == len(p.lines) {
			break
		}
		switch t := p.lines[start].text; {
		case t == "---" || strings.HasPrefix(t, "--- #"):
			explicit = true
		case strings.HasPrefix(t, "---") || strings.HasPrefix(t, "...") || t[0] == '%':
			bail()
		}
		p.end = start + 1
		for p.end < len(p.lines) && !docMarker(p.lines[p.end].text) {
			p.end++
		}
		p.i = start
		if explicit {
			p.i++
		}
		first := p.i
		for first < p.end && p.lines[first].blank() {
			first++
		}
		if first == p.end {
			bail() // an empty document: yaml.v3 gives it a null at an odd place
		}
		doc := p.newNode(yaml.Node{Kind: yaml.DocumentNode, Line: first + 1, Column: 1})
		if explicit {
			doc.Line = start + 1
		}
		if p.lines[first].indent != 0 {
			bail()
		}
		doc.Content = []*yaml.Node{p.block(-1)}
		p.skipBlank()
		if p.i != p.end {
			bail()
		}
		docs = append(docs, doc)
	}
	return docs
}

func docMarker(t string) bool {
	return strings.HasPrefix(t, "---") || strings.HasPrefix(t, "...")
}

// skipBlank moves past blank and comment lines of the current document.
func (p *fastParser) skipBlank() {
	for p.i < p.end && p.lines[p.i].blank() {
		p.i++
	}
}

// block parses the node that starts on the next non-blank line, which must
// be indented more than parent; there must be one.
func (p *fastParser) block(parent int) *yaml.Node {
	p.skipBlank()
	if p.i == p.end || p.lines[p.i].indent <= parent {
		bail()
	}
	l := p.lines[p.i]
	return p.node(l.indent, parent)
}

// node parses the node that starts at column col of the current line; the
// collection holding it is indented by parent.
func (p *fastParser) node(col, parent int) *yaml.Node {
	t := p.lines[p.i].text[col:]
	switch {
	case seqEntry(t):
		return p.sequence(col)
	case keyEnd(t) >= 0:
		return p.mapping(col)
	}
	return p.scalar(col, parent)
}

func seqEntry(t string) bool { return t == "-" || strings.HasPrefix(t, "- ") }

// keyEnd returns the index of the colon after a mapping key at the start
// of t, plain or quoted, or -1 if t does not start with one.
func keyEnd(t string) int {
	if t == "" {
		return -1
	}
	if t[0] == '\'' || t[0] == '"' {
		i := quotedEnd(t)
		if i > 0 && i < len(t) && t[i] == ':' && (i+1 == len(t) || t[i+1] == ' ') {
			if i > maxFastKey {
				bail()
			}
			return i
		}
		return -1
	}
	if !plainKeyStart(t[0]) {
		return -1
	}
	for i := 1; i < len(t); i++ {
		switch t[i] {
		case ':':
			if i+1 == len(t) || t[i+1] == ' ' {
				if t[i-1] == ' ' || i > maxFastKey {
					bail()
				}
				return i
			}
		case '#':
			if t[i-1] == ' ' {
				return -1
			}
		}
	}
	return -1
}

// quotedEnd returns the index after the closing quote of the quoted scalar
// at the start of t, or -1 if it does not close on this line.
func quotedEnd(t string) int {
	q := t[0]
	for i := 1; i < len(t); i++ {
		switch {
		case t[i] == '\\' && q == '"':
			i++
		case t[i] == q && q == '\'' && i+1 < len(t) && t[i+1] == '\'':
			i++
		case t[i] == q:
			return i + 1
		}
	}
	return -1
}

// maxFastKey keeps keys well under the 1,024 characters to which yaml.v3
// limits implicit keys.
const maxFastKey = 512

func plainKeyStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '\\' || c == '$' || c >= utf8.RuneSelf
}

// sequence parses a block sequence whose dashes are at column col.
func (p *fastParser) sequence(col int) *yaml.Node {
	seq := p.newNode(yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: p.i + 1, Column: column(p.lines[p.i].text, col)})
	for {
		line := p.i
		t := p.lines[line].text
		item := col + 1
		for item < len(t) && t[item] == ' ' {
			item++
		}
		switch {
		case item == len(t):
			p.i++
			p.skipBlank()
			if p.i < p.end && p.lines[p.i].indent > col {
				seq.Content = append(seq.Content, p.node(p.lines[p.i].indent, col))
			} else {
				seq.Content = append(seq.Content, p.newNode(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: line + 1, Column: column(t, col) + 1}))
			}
		case t[item] == '#' || seqEntry(t[item:]):
			bail()
		default:
			seq.Content = append(seq.Content, p.node(item, col))
		}
		p.skipBlank()
		if p.i == p.end || p.lines[p.i].indent != col || !seqEntry(p.lines[p.i].text[col:]) {
			if p.i < p.end && p.lines[p.i].indent > col {
				bail()
			}
			return seq
		}
	}
}

// mapping parses a block mapping whose keys are at column col.
func (p *fastParser) mapping(col int) *yaml.Node {
	m := p.newNode(yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: p.i + 1, Column: column(p.lines[p.i].text, col)})
	for {
		line := p.i
		t := p.lines[line].text
		end := col + keyEnd(t[col:])
		key := p.newNode(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t[col:end], Line: line + 1, Column: column(t, col)})
		if q := t[col]; q == '\'' || q == '"' {
			key.Value, _, key.Style = quoted(t, col)
		} else {
			key.Tag = plainTag(key.Value)
		}
		v := end + 1
		for v < len(t) && t[v] == ' ' {
			v++
		}
		var value *yaml.Node
		switch {
		case v == len(t) || t[v] == '#':
			p.i++
			p.skipBlank()
			switch {
			case p.i < p.end && p.lines[p.i].indent > col:
				value = p.node(p.lines[p.i].indent, col)
			case p.i < p.end && p.lines[p.i].indent == col && seqEntry(p.lines[p.i].text[col:]):
				value = p.sequence(col)
			default:
				value = p.newNode(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: line + 1, Column: column(t, end) + 1})
			}
		default:
			value = p.node(v, col)
			if value.Kind == yaml.MappingNode || value.Kind == yaml.SequenceNode && value.Style != yaml.FlowStyle {
				bail() // "key: other: value" and "key: - item" are errors
			}
		}
		m.Content = append(m.Content, key, value)
		p.skipBlank()
		if p.i == p.end || p.lines[p.i].indent != col {
			if p.i < p.end && p.lines[p.i].indent > col {
				bail()
			}
			return m
		}
		if keyEnd(p.lines[p.i].text[col:]) < 0 {
			bail()
		}
	}
}

// scalar parses a scalar, or a one-line flow sequence, at column col of
// the current line; continuation lines must be indented more than parent.
func (p *fastParser) scalar(col, parent int) *yaml.Node {
	t := p.lines[p.i].text
	n := p.newNode(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Line: p.i + 1, Column: column(t, col)})
	switch t[col] {
	case '|', '>':
		p.blockScalar(n, col, parent)
		return n
	case '\'', '"':
		var end int
		n.Value, end, n.Style = quoted(t, col)
		p.lineEnd(t, end)
		return n
	case '[':
		return p.flowSequence(n, col)
	case '-':
		if col+1 == len(t) || t[col+1] == ' ' || t[col+1] == '-' {
			bail()
		}
	case ',', ']', '{', '}', '#', '&', '*', '!', '%', '@', '`', '?', ':':
		bail()
	}
	n.Value = p.plain(col, parent)
	n.Tag = plainTag(n.Value)
	return n
}

// lineEnd checks that only spaces and a comment follow index i of t, then
// moves to the next line.
func (p *fastParser) lineEnd(t string, i int) {
	rest := strings.TrimLeft(t[i:], " ")
	if rest != "" && (rest[0] != '#' || len(rest) == len(t[i:])) {
		bail()
	}
	p.i++
}

// plain reads a plain scalar from column col with its continuation lines,
// folded as YAML folds them.
func (p *fastParser) plain(col, parent int) string {
	first, commented := plainPart(p.lines[p.i].text[col:])
	p.i++
	var b strings.Builder
	breaks := 0
	for p.i < p.end {
		l := p.lines[p.i]
		if l.indent == len(l.text) {
			breaks++
			p.i++
			continue
		}
		if l.indent <= parent || l.text[l.indent] == '#' {
			break
		}
		if commented {
			bail() // a comment ends a plain scalar: more of it is an error
		}
		if b.Len() == 0 {
			b.WriteString(first)
		}
		if breaks == 0 {
			b.WriteByte(' ')
		}
		for ; breaks > 0; breaks-- {
			b.WriteByte('\n')
		}
		var part string
		part, commented = plainPart(l.text[l.indent:])
		b.WriteString(part)
		p.i++
	}
	if b.Len() == 0 {
		return first
	}
	return b.String()
}

// plainPart returns the text of one line of a plain scalar without its
// comment and trailing spaces, and whether there was a comment. Text YAML
// would read as something else makes the fast path give up.
func plainPart(t string) (string, bool) {
	i := strings.Index(t, " #")
	if i >= 0 {
		t = t[:i]
	}
	t = strings.TrimRight(t, " ")
	if strings.Contains(t, ": ") || strings.HasSuffix(t, ":") || strings.HasPrefix(t, "- ") || t == "-" {
		bail()
	}
	return t, i >= 0
}

// quoted reads the single- or double-quoted scalar that starts at index i
// of t and returns its value and the index after the closing quote. A
// scalar that goes on to the next line makes the fast path give up.
func quoted(t string, i int) (string, int, yaml.Style) {
	q := t[i]
	// Most rule strings have nothing to unescape: their value is the text
	// between the quotes.
	if q == '\'' {
		if j := strings.IndexByte(t[i+1:], '\''); j >= 0 && (i+2+j == len(t) || t[i+2+j] != '\'') {
			return t[i+1 : i+1+j], i + 2 + j, yaml.SingleQuotedStyle
		}
	} else if j := strings.IndexAny(t[i+1:], `"\`); j >= 0 && t[i+1+j] == '"' {
		return t[i+1 : i+1+j], i + 2 + j, yaml.DoubleQuotedStyle
	}
	var b strings.Builder
	for j := i + 1; j < len(t); j++ {
		c := t[j]
		switch {
		case c == q && q == '\'' && j+1 < len(t) && t[j+1] == '\'':
			b.WriteByte('\'')
			j++
		case c == q:
			if q == '\'' {
				return b.String(), j + 1, yaml.SingleQuotedStyle
			}
			return b.String(), j + 1, yaml.DoubleQuotedStyle
		case c == '\\' && q == '"':
			j = unescape(&b, t, j)
		default:
			b.WriteByte(c)
		}
	}
	bail()
	return "", 0, 0
}

// simpleEscapes are the one-character escapes of double-quoted scalars
// that yaml.v3 knows: YAML 1.2's "\/" is not among them.
var simpleEscapes = map[byte]string{
	'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", 'n': "\n", 'v': "\v", 'f': "\f", 'r': "\r", 'e': "\x1b",
	' ': " ", '"': "\"", '\\': "\\", 'N': "\u0085", '_': "\u00a0", 'L': "\u2028", 'P': "\u2029",
}

// unescape writes the escape sequence at t[j] (a backslash) and returns
// the index of its last byte.
func unescape(b *strings.Builder, t string, j int) int {
	if j+1 == len(t) {
		bail()
	}
	e := t[j+1]
	if s, ok := simpleEscapes[e]; ok {
		b.WriteString(s)
		return j + 1
	}
	digits := 0
	switch e {
	case 'x':
		digits = 2
	case 'u':
		digits = 4
	case 'U':
		digits = 8
	}
	if digits == 0 || j+2+digits > len(t) {
		bail()
	}
	r, err := strconv.ParseUint(t[j+2:j+2+digits], 16, 32)
	if err != nil || r >= 0xd800 && r <= 0xdfff || r > utf8.MaxRune {
		bail()
	}
	b.WriteRune(rune(r))
	return j + 1 + digits
}

// flowSequence reads a one-line flow sequence of scalars, "[a, 'b']".
func (p *fastParser) flowSequence(n *yaml.Node, col int) *yaml.Node {
	t := p.lines[p.i].text
	n.Kind, n.Tag, n.Style = yaml.SequenceNode, "!!seq", yaml.FlowStyle
	i := col + 1
	for {
		for i < len(t) && t[i] == ' ' {
			i++
		}
		if i == len(t) {
			bail()
		}
		if t[i] == ']' {
			p.lineEnd(t, i+1)
			return n
		}
		item := p.newNode(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Line: p.i + 1, Column: column(t, i)})
		switch t[i] {
		case '\'', '"':
			item.Value, i, item.Style = quoted(t, i)
		case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`', '?', ':', '-':
			bail()
		default:
			// In a flow collection yaml.v3 ends a plain scalar at '?' too
			// (a key indicator), and then fails on what follows.
			j := i
			for j < len(t) && !strings.ContainsRune(",[]{}#:?", rune(t[j])) {
				j++
			}
			item.Value = strings.TrimRight(t[i:j], " ")
			item.Tag = plainTag(item.Value)
			i = j
		}
		n.Content = append(n.Content, item)
		for i < len(t) && t[i] == ' ' {
			i++
		}
		switch {
		case i < len(t) && t[i] == ',':
			i++
		case i < len(t) && t[i] == ']':
		default:
			bail()
		}
	}
}

// blockScalar reads a literal (|) or folded (>) scalar whose indicator is
// at column col.
func (p *fastParser) blockScalar(n *yaml.Node, col, parent int) {
	t := p.lines[p.i].text
	n.Style = yaml.LiteralStyle
	if t[col] == '>' {
		n.Style = yaml.FoldedStyle
	}
	chomp := byte(0)
	i := col + 1
	if i < len(t) && (t[i] == '-' || t[i] == '+') {
		chomp = t[i]
		i++
	}
	if i < len(t) && t[i] != ' ' {
		bail()
	}
	p.lineEnd(t, i)
	// yaml.v3 wants block scalar content indented by one space at least,
	// even at the top level.
	if p.i == p.end || p.lines[p.i].indent == len(p.lines[p.i].text) || p.lines[p.i].indent <= max(parent, 0) {
		bail() // leading empty lines, no content at all, or content too far left
	}
	indent := p.lines[p.i].indent
	var lines []string
	for p.i < p.end {
		l := p.lines[p.i]
		if l.indent == len(l.text) {
			if len(l.text) > indent {
				bail()
			}
			lines = append(lines, "")
			p.i++
			continue
		}
		if l.indent < indent {
			if l.indent > parent {
				bail()
			}
			break
		}
		lines = append(lines, l.text[indent:])
		p.i++
	}
	trailing := 0
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
		trailing++
	}
	// Folding joins two lines with a space, or with the empty lines between
	// them, except around more-indented lines, which keep every break.
	var b strings.Builder
	prev := -1
	for k, l := range lines {
		if l == "" {
			continue
		}
		if prev >= 0 {
			breaks := k - prev
			if n.Style == yaml.FoldedStyle && l[0] != ' ' && lines[prev][0] != ' ' {
				breaks--
			}
			if breaks == 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strings.Repeat("\n", breaks))
		}
		b.WriteString(l)
		prev = k
	}
	switch chomp {
	case 0:
		b.WriteByte('\n')
	case '+':
		b.WriteString(strings.Repeat("\n", trailing+1))
	}
	n.Value = b.String()
}

// column gives the 1-based column yaml.v3 reports for byte i of t: it
// counts characters, not bytes.
func column(t string, i int) int { return utf8.RuneCountInString(t[:i]) + 1 }

// plainTag resolves the tag of a plain scalar exactly as yaml.v3 does.
func plainTag(s string) string {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return "!!null"
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return "!!bool"
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return "!!float"
	case "<<":
		bail()
	}
	switch c := s[0]; {
	case c == '.':
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return "!!float"
		}
	case c == '+' || c == '-' || c >= '0' && c <= '9':
		return numberTag(s)
	}
	return "!!str"
}

var timestampLayouts = []string{"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00", "2006-1-2 15:4:5.999999999", "2006-1-2"}

func numberTag(s string) string {
	if len(s) > 4 && s[4] == '-' && strings.Trim(s[:4], "0123456789") == "" {
		layouts := timestampLayouts[:3]
		if !strings.ContainsAny(s, "Tt ") {
			layouts = timestampLayouts[3:] // only the date-only layout can fit
		}
		for _, layout := range layouts {
			if _, err := time.Parse(layout, s); err == nil {
				return "!!timestamp"
			}
		}
	}
	digits := strings.ReplaceAll(s, "_", "")
	if _, err := strconv.ParseInt(digits, 0, 64); err == nil {
		return "!!int"
	}
	if _, err := strconv.ParseUint(digits, 0, 64); err == nil {
		return "!!int"
	}
	if yamlFloat(digits) {
		if _, err := strconv.ParseFloat(digits, 64); err == nil {
			return "!!float"
		}
	}
	for _, prefix := range []struct {
		p    string
		base int
	}{{"0b", 2}, {"-0b", 2}, {"0o", 8}, {"-0o", 8}} {
		if rest, ok := strings.CutPrefix(digits, prefix.p); ok {
			if strings.HasPrefix(prefix.p, "-") {
				rest = "-" + rest
			}
			if _, err := strconv.ParseInt(rest, prefix.base, 64); err == nil {
				return "!!int"
			}
			if _, err := strconv.ParseUint(rest, prefix.base, 64); err == nil && !strings.HasPrefix(rest, "-") {
				return "!!int"
			}
		}
	}
	return "!!str"
}

// yamlFloat reports whether s has the shape yaml.v3 accepts as a float:
// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
func yamlFloat(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	digits := func() int {
		n := 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		s = s[n:]
		return n
	}
	if s != "" && s[0] == '.' {
		s = s[1:]
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if s != "" && s[0] == '.' {
			s = s[1:]
			digits()
		}
	}
	if s != "" && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s != "" && (s[0] == '-' || s[0] == '+') {
			s = s[1:]
		}
		if digits() == 0 {
			return false
		}
	}
	return s == ""
}
