package pwsh

import (
	"strconv"
	"strings"
)

// The parser builds a loose syntax tree over the tokens: enough structure
// for the evaluator (statements, pipelines, commands and their arguments,
// expressions with PowerShell's operator precedence). It is tolerant: a
// construct it does not understand becomes an opaque node and parsing goes
// on.

type node interface{ span() (int, int) }

type base struct{ pos, end int }

func (b base) span() (int, int) { return b.pos, b.end }

type (
	block struct {
		base
		stmts []node
	}
	pipeline struct {
		base
		elems []node
	}
	assignment struct {
		base
		target node
		op     string
		value  node
	}
	command struct {
		base
		invoke string // "&", "." or ""
		name   node   // *wordNode for a bareword name, any expression otherwise
		args   []node // *paramNode or expressions
		stdin  bool   // powershell -, reading the script from the pipeline
	}
	paramNode struct {
		base
		name  string // without the dash, ticks removed
		value node   // -Name:value, else nil
	}
	ifStmt struct {
		base
		conds  []node
		bodies []*block
		els    *block
	}
	loopStmt struct {
		base
		kind       string // foreach, for, while, do
		variable   string // foreach
		collection node   // foreach
		init, cond node
		iter       node
		body       *block
	}
	funcDef struct {
		base
		name   string
		params []paramDecl
		body   *block
	}
	paramDecl struct {
		name string
		def  node
	}
	flowStmt struct {
		base
		kind  string // return, throw, exit, break, continue
		value node
	}
	tryStmt struct {
		base
		body    *block
		catches []*block
		finally *block
	}
	// opaque is text the parser skipped over.
	opaque struct{ base }

	literal struct {
		base
		v value
	}
	expandable struct {
		base
		parts []node // *literal and variable or subexpression nodes
	}
	wordNode struct {
		base
		text  string // token value: ticks and quotes removed
		raw   string // token text
		parts []node // set when the word expands variables
	}
	varRef struct {
		base
		name  string // lower case, scope prefix removed, env: kept
		raw   string
		splat bool
	}
	binary struct {
		base
		op   string
		l, r node
	}
	unary struct {
		base
		op string
		x  node
	}
	cast struct {
		base
		typ string
		x   node
	}
	typeLit struct {
		base
		name string
	}
	memberNode struct {
		base
		x      node
		name   node // *literal for a plain name
		static bool
	}
	invokeNode struct {
		base
		target *memberNode
		args   []node
	}
	indexNode struct {
		base
		x, idx node
	}
	arrayLit struct {
		base
		elems []node
	}
	subexpr struct {
		base
		kind string // "(", "$(", "@("
		body *block
	}
	hashLit struct {
		base
		keys []node
		vals []node
	}
	scriptBlock struct {
		base
		body   *block
		text   string // the source between the braces
		params []paramDecl
	}
)

// parser limits
const maxParseDepth = 200

type parser struct {
	src   string
	toks  []Token
	i     int
	depth int
	// noComma is set while parsing method arguments, where ',' separates
	// arguments instead of building an array.
	noComma int
	steps   int
	budget  int
}

// parseScript parses src. depth is the nesting of strings being parsed
// inside strings, bounded by the caller.
func parseScript(src string, budget int) *block {
	toks, _ := Tokenize(src)
	kept := toks[:0:0]
	for _, t := range toks {
		if t.Kind != Comment {
			kept = append(kept, t)
		}
	}
	p := &parser{src: src, toks: kept, budget: budget}
	return p.statements(false)
}

func (p *parser) eof() bool { return p.i >= len(p.toks) }

func (p *parser) tok() Token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return Token{Kind: Unknown, Pos: len(p.src), End: len(p.src)}
}

func (p *parser) peekTok(n int) Token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return Token{Kind: Unknown, Pos: len(p.src), End: len(p.src)}
}

func (p *parser) is(k Kind, v string) bool {
	t := p.tok()
	return !p.eof() && t.Kind == k && t.Value == v
}

func (p *parser) prevEnd() int {
	if p.i > 0 && p.i-1 < len(p.toks) {
		return p.toks[p.i-1].End
	}
	return 0
}

// adjacent reports whether the current token touches the previous one.
func (p *parser) adjacent() bool {
	return p.i > 0 && !p.eof() && p.toks[p.i].Pos == p.toks[p.i-1].End
}

func (p *parser) skipNewlines() {
	for !p.eof() && p.tok().Kind == NewLine {
		p.i++
	}
}

func (p *parser) isSeparator() bool {
	t := p.tok()
	return t.Kind == NewLine || t.Kind == Operator && t.Value == ";"
}

func (p *parser) isGroupEnd() bool { return !p.eof() && p.tok().Kind == GroupEnd }

// expectEnd consumes the closing token of a group if it is there.
func (p *parser) expectEnd(closer string) int {
	p.skipNewlines()
	if p.is(GroupEnd, closer) {
		p.i++
		return p.prevEnd()
	}
	return p.tok().Pos
}

func (p *parser) over() bool {
	p.steps++
	return p.steps > p.budget || p.depth > maxParseDepth
}

// statements parses statements up to the end of input, or up to a closing
// bracket when inGroup.
func (p *parser) statements(inGroup bool) *block {
	b := &block{base: base{pos: p.tok().Pos}}
	for !p.eof() {
		if p.isSeparator() {
			p.i++
			continue
		}
		if p.isGroupEnd() {
			if inGroup {
				break
			}
			p.i++ // a stray closer
			continue
		}
		if p.over() {
			p.i = len(p.toks)
			break
		}
		start := p.i
		if s := p.statement(); s != nil {
			b.stmts = append(b.stmts, s)
		}
		if p.i == start {
			p.i++
		}
	}
	b.end = p.tok().Pos
	if p.i > 0 && p.eof() {
		b.end = p.toks[len(p.toks)-1].End
	}
	return b
}

func (p *parser) statement() node {
	t := p.tok()
	if t.Kind == Label {
		p.i++
		p.skipNewlines()
		t = p.tok()
	}
	if t.Kind == Keyword {
		return p.keywordStatement()
	}
	return p.pipelineStatement()
}

func (p *parser) pipelineStatement() node {
	start := p.tok().Pos
	first := p.element()
	if first == nil {
		return nil
	}
	if t := p.tok(); t.Kind == Operator && isAssignOp(t.Value) {
		p.i++
		p.skipNewlines()
		val := p.statement()
		if val == nil {
			val = &opaque{base{p.tok().Pos, p.tok().Pos}}
		}
		_, end := val.span()
		return &assignment{base: base{start, end}, target: first, op: t.Value, value: val}
	}
	pl := &pipeline{base: base{pos: start}, elems: []node{first}}
	for p.is(Operator, "|") {
		p.i++
		p.skipNewlines()
		e := p.element()
		if e == nil {
			break
		}
		pl.elems = append(pl.elems, e)
	}
	pl.end = p.prevEnd()
	if p.is(Operator, "&&") || p.is(Operator, "||") || p.is(Operator, "&") {
		p.i++ // the chained pipeline is parsed as the next statement
	}
	if len(pl.elems) == 1 {
		return pl.elems[0]
	}
	return pl
}

func isAssignOp(v string) bool {
	switch v {
	case "=", "+=", "-=", "*=", "/=", "%=", "??=":
		return true
	}
	return false
}

// element parses one pipeline element: a command or an expression.
func (p *parser) element() node {
	t := p.tok()
	if p.eof() {
		return nil
	}
	var n node
	switch {
	case t.Kind == Command:
		n = p.command("")
	case t.Kind == Operator && (t.Value == "&" || t.Value == "."):
		p.i++
		n = p.command(t.Value)
	case t.Kind == Keyword:
		n = p.keywordStatement()
	default:
		n = p.expr()
	}
	p.skipRedirections()
	return n
}

func (p *parser) skipRedirections() {
	for !p.eof() && p.tok().Kind == Redirection {
		p.i++
		if !p.eof() && p.startsArgument() {
			p.commandArg()
		}
	}
}

// command parses a command; the invocation operator, if any, is consumed.
func (p *parser) command(invoke string) node {
	start := p.tok().Pos
	if invoke != "" {
		start = p.prevEnd() - 1
	}
	c := &command{base: base{pos: start}, invoke: invoke}
	t := p.tok()
	switch {
	case p.eof():
		c.end = p.prevEnd()
		return c
	case t.Kind == Command || t.Kind == Word:
		p.i++
		c.name = p.word(t)
	default:
		p.depth++
		c.name = p.postfix(p.primary())
		p.depth--
	}
	for !p.eof() && !p.endsCommand() {
		if p.over() {
			break
		}
		at := p.i
		t := p.tok()
		switch t.Kind {
		case Parameter:
			p.i++
			pn := &paramNode{base: base{t.Pos, t.End}, name: strings.TrimPrefix(t.Value, "-")}
			if strings.HasSuffix(t.Text, ":") && !p.eof() && !p.endsCommand() {
				pn.value = p.commandArg()
				_, pn.end = pn.value.span()
			}
			c.args = append(c.args, pn)
		case Redirection:
			p.skipRedirections()
		case StopParsing:
			p.i++
			rest := strings.TrimLeft(strings.TrimPrefix(t.Text, t.Text[:3]), " \t")
			c.args = append(c.args, &wordNode{base: base{t.Pos, t.End}, text: rest, raw: rest})
		default:
			if a := p.commandArg(); a != nil {
				c.args = append(c.args, a)
			}
		}
		if p.i == at {
			p.i++
		}
	}
	c.end = p.prevEnd()
	return c
}

func (p *parser) endsCommand() bool {
	t := p.tok()
	switch t.Kind {
	case NewLine, GroupEnd:
		return true
	case Operator:
		switch t.Value {
		case ";", "|", "||", "&&", "&":
			return true
		}
	}
	return false
}

func (p *parser) startsArgument() bool {
	switch p.tok().Kind {
	case NewLine, GroupEnd, Redirection:
		return false
	case Operator:
		switch p.tok().Value {
		case ";", "|", "||", "&&", "&":
			return false
		}
	}
	return true
}

// commandArg parses one argument in command mode: a primary with member
// access, and comma lists.
func (p *parser) commandArg() node {
	p.depth++
	defer func() { p.depth-- }()
	first := p.argPrimary()
	if !p.is(Operator, ",") {
		return first
	}
	fs, _ := first.span()
	arr := &arrayLit{base: base{pos: fs}, elems: []node{first}}
	for p.is(Operator, ",") {
		p.i++
		p.skipNewlines()
		if p.eof() || p.endsCommand() {
			break
		}
		arr.elems = append(arr.elems, p.argPrimary())
	}
	arr.end = p.prevEnd()
	return arr
}

// argPrimary parses one argument; pieces that touch, as in
// $env:TEMP\x.exe or "a"$b, are one argument made of their values.
func (p *parser) argPrimary() node {
	first := p.argPiece()
	var parts []node
	for !p.eof() && p.adjacent() && touchesArg(p.tok()) {
		if parts == nil {
			parts = []node{first}
		}
		parts = append(parts, p.argPiece())
	}
	if parts == nil {
		return first
	}
	s, _ := first.span()
	return &expandable{base: base{s, p.prevEnd()}, parts: parts}
}

func touchesArg(t Token) bool {
	switch t.Kind {
	case Word, Variable, String, ExpandableString, Number:
		return true
	case GroupStart:
		return t.Value == "$("
	}
	return false
}

func (p *parser) argPiece() node {
	t := p.tok()
	switch t.Kind {
	case Word, Command, Keyword:
		p.i++
		return p.postfix(p.word(t))
	case Parameter:
		p.i++
		return &literal{base: base{t.Pos, t.End}, v: str(t.Text)}
	case Operator:
		if t.Value == "," {
			p.i++
			return p.argPrimary()
		}
		p.i++
		return &literal{base: base{t.Pos, t.End}, v: str(t.Text)}
	}
	return p.postfix(p.primary())
}

// word turns a bareword token into a node; words with $ expand variables.
func (p *parser) word(t Token) *wordNode {
	w := &wordNode{base: base{t.Pos, t.End}, text: t.Value, raw: t.Text}
	if strings.ContainsRune(t.Text, '$') && p.depth < maxParseDepth {
		w.parts = p.expandParts(t.Text, t.Pos, true)
	}
	return w
}

// expr parses an expression with PowerShell's operator precedence.
func (p *parser) expr() node {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxParseDepth {
		t := p.tok()
		p.i++
		return &opaque{base{t.Pos, t.End}}
	}
	return p.binaryLevel(0)
}

// precedence levels, lowest first
var binaryLevels = [][]string{
	{"-and", "-or", "-xor"},
	nil, // comparison operators, see isComparison
	{"-band", "-bor", "-bxor", "-shl", "-shr"},
	{"+", "-"},
	{"*", "/", "%"},
}

func isComparison(op string) bool {
	switch strings.TrimLeft(op, "-") {
	case "join", "split", "replace", "creplace", "ireplace", "csplit", "isplit", "is", "isnot", "as":
		return true
	}
	o := strings.TrimPrefix(op, "-")
	if len(o) > 2 && (o[0] == 'c' || o[0] == 'i') {
		o = o[1:]
	}
	switch o {
	case "eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch", "contains", "notcontains", "in", "notin":
		return true
	}
	return false
}

func (p *parser) binaryLevel(level int) node {
	if level >= len(binaryLevels) {
		return p.unaryMinus()
	}
	l := p.binaryLevel(level + 1)
	for !p.eof() {
		t := p.tok()
		if t.Kind != Operator {
			break
		}
		ok := false
		if level == 1 {
			ok = isComparison(t.Value)
		} else {
			for _, op := range binaryLevels[level] {
				if t.Value == op {
					ok = true
					break
				}
			}
		}
		if !ok {
			break
		}
		p.i++
		p.skipNewlines()
		r := p.binaryLevel(level + 1)
		ls, _ := l.span()
		_, re := r.span()
		l = &binary{base: base{ls, re}, op: t.Value, l: l, r: r}
	}
	return l
}

func (p *parser) unaryMinus() node {
	t := p.tok()
	if t.Kind == Operator && (t.Value == "-" || t.Value == "+") {
		p.i++
		x := p.unaryMinus()
		_, e := x.span()
		return &unary{base: base{t.Pos, e}, op: t.Value, x: x}
	}
	return p.format()
}

func (p *parser) format() node {
	l := p.rangeExpr()
	for p.is(Operator, "-f") {
		p.i++
		p.skipNewlines()
		r := p.rangeExpr()
		ls, _ := l.span()
		_, re := r.span()
		l = &binary{base: base{ls, re}, op: "-f", l: l, r: r}
	}
	return l
}

func (p *parser) rangeExpr() node {
	l := p.notExpr()
	for p.is(Operator, "..") {
		p.i++
		p.skipNewlines()
		r := p.notExpr()
		ls, _ := l.span()
		_, re := r.span()
		l = &binary{base: base{ls, re}, op: "..", l: l, r: r}
	}
	return l
}

func (p *parser) notExpr() node {
	t := p.tok()
	if t.Kind == Operator && (t.Value == "!" || t.Value == "-not" || t.Value == "-bnot" || t.Value == "++" || t.Value == "--") {
		p.i++
		x := p.notExpr()
		_, e := x.span()
		return &unary{base: base{t.Pos, e}, op: t.Value, x: x}
	}
	return p.comma()
}

func (p *parser) comma() node {
	first := p.castLevel()
	if p.noComma > 0 || !p.is(Operator, ",") {
		return first
	}
	s, _ := first.span()
	arr := &arrayLit{base: base{pos: s}, elems: []node{first}}
	for p.is(Operator, ",") {
		p.i++
		p.skipNewlines()
		if p.eof() || p.isGroupEnd() {
			break
		}
		arr.elems = append(arr.elems, p.castLevel())
	}
	arr.end = p.prevEnd()
	return arr
}

// castLevel parses casts and the unary -join, -split and ',' operators.
func (p *parser) castLevel() node {
	t := p.tok()
	if p.eof() {
		return &opaque{base{t.Pos, t.Pos}}
	}
	if t.Kind == Operator {
		switch t.Value {
		case "-join", "-split", "-csplit", "-isplit":
			p.i++
			x := p.castLevel()
			_, e := x.span()
			return &unary{base: base{t.Pos, e}, op: t.Value, x: x}
		case ",":
			p.i++
			x := p.castLevel()
			_, e := x.span()
			return &arrayLit{base: base{t.Pos, e}, elems: []node{x}}
		case "-", "!", "-not", "-bnot":
			return p.unaryMinus()
		}
	}
	if t.Kind == Type {
		next := p.peekTok(1)
		if p.i+1 < len(p.toks) && !(next.Kind == Operator && (next.Value == "::" || next.Value == ".") && next.Pos == t.End) && startsOperand(next) {
			p.i++
			x := p.castLevel()
			_, e := x.span()
			return &cast{base: base{t.Pos, e}, typ: t.Value, x: x}
		}
	}
	return p.postfix(p.primary())
}

func startsOperand(t Token) bool {
	switch t.Kind {
	case Number, String, ExpandableString, Variable, Type, Splat:
		return true
	case GroupStart:
		return t.Value == "(" || t.Value == "$(" || t.Value == "@(" || t.Value == "@{"
	case Operator:
		return t.Value == "-" || t.Value == "-join" || t.Value == "-split" || t.Value == "," || t.Value == "!" || t.Value == "-not"
	}
	return false
}

// postfix parses member access, method calls and indexing after x.
func (p *parser) postfix(x node) node {
	for !p.eof() {
		t := p.tok()
		if t.Kind == Operator && (t.Value == "." || t.Value == "::" || t.Value == "?.") && p.adjacent() {
			p.i++
			name := p.memberName()
			xs, _ := x.span()
			m := &memberNode{base: base{xs, p.prevEnd()}, x: x, name: name, static: t.Value == "::"}
			if p.is(GroupStart, "(") && p.adjacent() {
				args, end := p.callArgs()
				x = &invokeNode{base: base{xs, end}, target: m, args: args}
				continue
			}
			x = m
			continue
		}
		if t.Kind == GroupStart && t.Value == "[" && p.adjacent() {
			p.i++
			p.skipNewlines()
			idx := p.expr()
			end := p.expectEnd("]")
			xs, _ := x.span()
			x = &indexNode{base: base{xs, end}, x: x, idx: idx}
			continue
		}
		if t.Kind == Operator && (t.Value == "++" || t.Value == "--") && p.adjacent() {
			p.i++
			xs, _ := x.span()
			x = &unary{base: base{xs, t.End}, op: t.Value, x: x}
			continue
		}
		break
	}
	return x
}

func (p *parser) memberName() node {
	t := p.tok()
	switch t.Kind {
	case Member, Word, Command, Keyword:
		p.i++
		return &literal{base: base{t.Pos, t.End}, v: str(t.Value)}
	case String, ExpandableString, Variable, GroupStart:
		p.depth++
		defer func() { p.depth-- }()
		return p.primary()
	}
	return &literal{base: base{t.Pos, t.Pos}, v: str("")}
}

// callArgs parses (a, b, c) after a method name.
func (p *parser) callArgs() ([]node, int) {
	p.i++ // (
	p.noComma++
	defer func() { p.noComma-- }()
	var args []node
	for !p.eof() {
		p.skipNewlines()
		if p.isGroupEnd() {
			break
		}
		at := p.i
		args = append(args, p.expr())
		p.skipNewlines()
		if p.is(Operator, ",") {
			p.i++
			continue
		}
		if p.i == at {
			p.i++
		}
		if !p.isGroupEnd() {
			// something unexpected: skip to the closer
			p.skipToCloser()
		}
		break
	}
	end := p.expectEnd(")")
	return args, end
}

// skipToCloser skips tokens up to the closer of the current group.
func (p *parser) skipToCloser() {
	depth := 0
	for !p.eof() {
		t := p.tok()
		if t.Kind == GroupStart {
			depth++
		} else if t.Kind == GroupEnd {
			if depth == 0 {
				return
			}
			depth--
		}
		p.i++
	}
}

func (p *parser) primary() node {
	t := p.tok()
	if p.eof() {
		return &opaque{base{t.Pos, t.Pos}}
	}
	switch t.Kind {
	case Number:
		p.i++
		return &literal{base: base{t.Pos, t.End}, v: parseNumber(t.Value)}
	case String:
		p.i++
		return &literal{base: base{t.Pos, t.End}, v: str(t.Value)}
	case ExpandableString:
		p.i++
		return p.expandableString(t)
	case Variable, Splat:
		p.i++
		return newVarRef(t)
	case Type:
		p.i++
		return &typeLit{base: base{t.Pos, t.End}, name: t.Value}
	case Word, Command, Member, Parameter:
		p.i++
		return &literal{base: base{t.Pos, t.End}, v: str(t.Value)}
	case GroupStart:
		return p.group()
	case Keyword:
		return p.keywordStatement()
	}
	p.i++
	return &opaque{base{t.Pos, t.End}}
}

func newVarRef(t Token) *varRef {
	name := lowerASCII(t.Value)
	for _, scope := range []string{"script:", "global:", "local:", "private:", "using:", "variable:"} {
		name = strings.TrimPrefix(name, scope)
	}
	return &varRef{base: base{t.Pos, t.End}, name: name, raw: t.Text, splat: t.Kind == Splat}
}

func (p *parser) group() node {
	t := p.tok()
	p.i++
	p.depth++
	defer func() { p.depth-- }()
	switch t.Value {
	case "(", "$(", "@(":
		body := p.statements(true)
		end := p.expectEnd(")")
		return &subexpr{base: base{t.Pos, end}, kind: t.Value, body: body}
	case "{":
		body := p.statements(true)
		end := p.expectEnd("}")
		textEnd := end - 1
		if textEnd < t.End {
			textEnd = t.End
		}
		sb := &scriptBlock{base: base{t.Pos, end}, body: body, text: p.src[t.End:textEnd]}
		sb.params = blockParams(body)
		return sb
	case "@{":
		return p.hash(t)
	case "[":
		// an attribute or a malformed type: skip it
		p.skipToCloser()
		end := p.expectEnd("]")
		return &opaque{base{t.Pos, end}}
	}
	return &opaque{base{t.Pos, t.End}}
}

func (p *parser) hash(open Token) node {
	h := &hashLit{base: base{pos: open.Pos}}
	for !p.eof() {
		if p.isSeparator() {
			p.i++
			continue
		}
		if p.isGroupEnd() {
			break
		}
		at := p.i
		key := p.postfix(p.primary())
		if p.is(Operator, "=") {
			p.i++
			p.skipNewlines()
			val := p.statement()
			if val == nil {
				val = &opaque{base{p.tok().Pos, p.tok().Pos}}
			}
			h.keys = append(h.keys, key)
			h.vals = append(h.vals, val)
		}
		if p.i == at {
			p.i++
		}
	}
	h.end = p.expectEnd("}")
	return h
}

// expandableString splits "..." content into literal text and expansions.
func (p *parser) expandableString(t Token) node {
	body, off := expandableBody(t.Text)
	e := &expandable{base: base{t.Pos, t.End}}
	if p.depth < maxParseDepth {
		e.parts = p.expandParts(body, t.Pos+off, false)
	}
	return e
}

// expandableBody returns the content of a double-quoted or here-string
// token and the offset of the content in the token text.
func expandableBody(text string) (string, int) {
	if strings.HasPrefix(text, "@") {
		nl := strings.IndexAny(text, "\r\n")
		if nl < 0 {
			return "", len(text)
		}
		start := nl + 1
		if text[nl] == '\r' && start < len(text) && text[start] == '\n' {
			start++
		}
		end := len(text)
		if strings.HasSuffix(text, "@") {
			end = strings.LastIndexAny(text[:len(text)-1], "\r\n")
			if end < start {
				end = start
			}
			if end > start && text[end] == '\n' && text[end-1] == '\r' {
				end--
			}
		}
		return text[start:end], start
	}
	_, w := firstRune(text)
	body := text[w:]
	if r, lw := lastRune(body); lw > 0 && isDoubleQuote(r) && !(len(body) >= lw+1 && body[len(body)-lw-1] == '`') {
		body = body[:len(body)-lw]
	}
	return body, w
}

// expandParts splits expandable text into literal runs and $var / $(...)
// expansions. In a bareword (word is true) quoted parts are unquoted too.
func (p *parser) expandParts(s string, offset int, word bool) []node {
	var parts []node
	var lit strings.Builder
	litStart := 0
	flush := func(at int) {
		if lit.Len() > 0 {
			parts = append(parts, &literal{base: base{offset + litStart, offset + at}, v: str(lit.String())})
			lit.Reset()
		}
		litStart = at
	}
	var quote rune
	for i := 0; i < len(s); {
		r, w := decodeRune(s[i:])
		switch {
		case r == '`' && quote != '\'':
			n, nw := decodeRune(s[i+w:])
			if nw == 0 {
				i += w
				continue
			}
			lit.WriteString(unescapeBackticks("`" + string(n)))
			i += w + nw
			continue
		case word && quote == 0 && isSingleQuote(r):
			quote = '\''
			i += w
			continue
		case word && quote == 0 && isDoubleQuote(r):
			quote = '"'
			i += w
			continue
		case word && (quote == '\'' && isSingleQuote(r) || quote == '"' && isDoubleQuote(r)):
			quote = 0
			i += w
			continue
		case !word && isDoubleQuote(r):
			// "" inside an expandable string is one quote
			if n, nw := decodeRune(s[i+w:]); isDoubleQuote(n) {
				lit.WriteRune(r)
				i += w + nw
				continue
			}
		case r == '$' && quote != '\'':
			n, nw := decodeRune(s[i+1:])
			switch {
			case n == '(':
				end := subexprEnd(s, i+2)
				flush(i)
				inner := s[i+2 : max(i+2, end-1)]
				sub := &parser{src: p.src, budget: p.budget - p.steps, depth: p.depth + 1}
				sub.toks = shiftTokens(inner, offset+i+2)
				body := sub.statements(false)
				p.steps += sub.steps
				parts = append(parts, &subexpr{base: base{offset + i, offset + end}, kind: "$(", body: body})
				i = end
				litStart = i
				continue
			case n == '{':
				end := strings.IndexByte(s[i:], '}')
				if end < 0 {
					break
				}
				flush(i)
				name := unescapeTicks(s[i+2 : i+end])
				parts = append(parts, newVarRef(Token{Kind: Variable, Pos: offset + i, End: offset + i + end + 1, Text: s[i : i+end+1], Value: name}))
				i += end + 1
				litStart = i
				continue
			case isVarChar(n) || n == '$' || n == '^' || n == ':':
				j := i + 1
				if n == '$' || n == '^' {
					j += nw
				} else {
					lx := lexer{src: s}
					j = lx.scanVarName(i + 1)
				}
				if j > i+1 {
					flush(i)
					parts = append(parts, newVarRef(Token{Kind: Variable, Pos: offset + i, End: offset + j, Text: s[i:j], Value: s[i+1 : j]}))
					i = j
					litStart = i
					continue
				}
			}
		}
		lit.WriteRune(r)
		i += w
	}
	flush(len(s))
	return parts
}

// subexprEnd returns the offset after the ')' closing a $( whose content
// starts at i in s.
func subexprEnd(s string, i int) int {
	l := &lexer{src: s, discard: true}
	return l.skipSubexpression(i)
}

// shiftTokens tokenizes src and moves the token offsets by off, so nodes
// built from text inside a string keep positions in the enclosing source.
func shiftTokens(src string, off int) []Token {
	toks, _ := Tokenize(src)
	out := toks[:0]
	for _, t := range toks {
		if t.Kind == Comment {
			continue
		}
		t.Pos += off
		t.End += off
		out = append(out, t)
	}
	return out
}

func firstRune(s string) (rune, int) { return decodeRune(s) }

// parseNumber converts a Number token value to a value.
func parseNumber(s string) value {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	low := strings.ToLower(s)
	mult := int64(1)
	for i, suf := range []string{"kb", "mb", "gb", "tb", "pb"} {
		if strings.HasSuffix(low, suf) {
			mult = 1 << (10 * (i + 1))
			low = low[:len(low)-2]
			break
		}
	}
	isHex := strings.HasPrefix(low, "0x")
	isBin := strings.HasPrefix(low, "0b")
	float := false
	for _, suf := range []string{"ul", "us", "uy", "l", "u", "y", "s", "n", "d"} {
		if strings.HasSuffix(low, suf) && !(isHex && suf != "l" && suf != "u" && suf != "ul" && suf != "us" && suf != "uy" && suf != "y" && suf != "s" && suf != "n") {
			if suf == "d" && isHex {
				continue
			}
			if suf == "d" {
				float = true
			}
			low = low[:len(low)-len(suf)]
			break
		}
	}
	var v value
	switch {
	case isHex:
		u, err := strconv.ParseUint(low[2:], 16, 64)
		if err != nil {
			return unknown
		}
		n := int64(u)
		// 0xFFFFFFFF is -1 as an [int] literal in PowerShell
		if u <= 0xffffffff && u > 0x7fffffff && len(low[2:]) <= 8 {
			n = int64(int32(uint32(u)))
		}
		v = num(n)
	case isBin:
		u, err := strconv.ParseUint(low[2:], 2, 64)
		if err != nil {
			return unknown
		}
		v = num(int64(u))
	case float || strings.ContainsAny(low, ".e"):
		f, err := strconv.ParseFloat(low, 64)
		if err != nil {
			return unknown
		}
		if f == float64(int64(f)) && !strings.ContainsAny(low, ".e") {
			v = num(int64(f))
		} else {
			v = value{k: vFloat, f: f}
		}
	default:
		n, err := strconv.ParseInt(low, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(low, 64)
			if ferr != nil {
				return unknown
			}
			return value{k: vFloat, f: f}
		}
		v = num(n)
	}
	if v.k == vInt {
		v.n *= mult
		if neg {
			v.n = -v.n
		}
	} else {
		v.f *= float64(mult)
		if neg {
			v.f = -v.f
		}
	}
	return v
}

// keywordStatement parses if, loops, function definitions, try, flow
// statements and skips the rest (class, enum, data, using ...).
func (p *parser) keywordStatement() node {
	t := p.tok()
	p.i++
	start := t.Pos
	p.depth++
	defer func() { p.depth-- }()
	switch t.Value {
	case "if":
		s := &ifStmt{base: base{pos: start}}
		for {
			p.skipNewlines()
			cond := p.parenCondition()
			p.skipNewlines()
			s.conds = append(s.conds, cond)
			s.bodies = append(s.bodies, p.blockBody())
			save := p.i
			p.skipNewlines()
			if p.is(Keyword, "elseif") {
				p.i++
				continue
			}
			if p.is(Keyword, "else") {
				p.i++
				p.skipNewlines()
				s.els = p.blockBody()
				break
			}
			p.i = save
			break
		}
		s.end = p.prevEnd()
		return s
	case "foreach":
		s := &loopStmt{base: base{pos: start}, kind: "foreach"}
		p.skipNewlines()
		for p.tok().Kind == Parameter {
			p.i++
		}
		if p.is(GroupStart, "(") {
			p.i++
			p.skipNewlines()
			if p.tok().Kind == Variable {
				s.variable = newVarRef(p.tok()).name
				p.i++
			}
			p.skipNewlines()
			if p.is(Keyword, "in") {
				p.i++
			}
			p.skipNewlines()
			s.collection = p.pipelineStatement()
			p.expectEnd(")")
		}
		p.skipNewlines()
		s.body = p.blockBody()
		s.end = p.prevEnd()
		return s
	case "for":
		s := &loopStmt{base: base{pos: start}, kind: "for"}
		p.skipNewlines()
		if p.is(GroupStart, "(") {
			p.i++
			parts := [3]node{}
			for k := 0; k < 3 && !p.eof() && !p.isGroupEnd(); k++ {
				p.skipNewlines()
				if !p.is(Operator, ";") && !p.isGroupEnd() {
					parts[k] = p.pipelineStatement()
				}
				p.skipNewlines()
				if p.is(Operator, ";") {
					p.i++
				}
			}
			p.skipToCloser()
			p.expectEnd(")")
			s.init, s.cond, s.iter = parts[0], parts[1], parts[2]
		}
		p.skipNewlines()
		s.body = p.blockBody()
		s.end = p.prevEnd()
		return s
	case "while":
		s := &loopStmt{base: base{pos: start}, kind: "while"}
		p.skipNewlines()
		s.cond = p.parenCondition()
		p.skipNewlines()
		s.body = p.blockBody()
		s.end = p.prevEnd()
		return s
	case "do":
		s := &loopStmt{base: base{pos: start}, kind: "do"}
		p.skipNewlines()
		s.body = p.blockBody()
		p.skipNewlines()
		if p.is(Keyword, "while") || p.is(Keyword, "until") {
			if p.tok().Value == "until" {
				s.kind = "dountil"
			}
			p.i++
			p.skipNewlines()
			s.cond = p.parenCondition()
		}
		s.end = p.prevEnd()
		return s
	case "function", "filter", "workflow", "configuration":
		f := &funcDef{base: base{pos: start}}
		if t := p.tok(); t.Kind == Word || t.Kind == Command {
			f.name = lowerASCII(t.Value)
			if i := strings.LastIndexByte(f.name, ':'); i >= 0 {
				f.name = f.name[i+1:]
			}
			p.i++
		}
		p.skipNewlines()
		if p.is(GroupStart, "(") {
			f.params = p.paramList()
		}
		p.skipNewlines()
		f.body = p.blockBody()
		if f.params == nil {
			f.params = blockParams(f.body)
		}
		f.end = p.prevEnd()
		return f
	case "param":
		p.skipNewlines()
		if p.is(GroupStart, "(") {
			decls := p.paramList()
			return &funcDef{base: base{start, p.prevEnd()}, name: "", params: decls}
		}
		return &opaque{base{start, p.prevEnd()}}
	case "try":
		s := &tryStmt{base: base{pos: start}}
		p.skipNewlines()
		s.body = p.blockBody()
		for {
			save := p.i
			p.skipNewlines()
			if p.is(Keyword, "catch") {
				p.i++
				for !p.eof() && (p.tok().Kind == Type || p.is(Operator, ",") || p.tok().Kind == NewLine) {
					p.i++
				}
				s.catches = append(s.catches, p.blockBody())
				continue
			}
			if p.is(Keyword, "finally") {
				p.i++
				p.skipNewlines()
				s.finally = p.blockBody()
			} else {
				p.i = save
			}
			break
		}
		s.end = p.prevEnd()
		return s
	case "trap":
		for !p.eof() && (p.tok().Kind == Type || p.tok().Kind == NewLine) {
			p.i++
		}
		b := p.blockBody()
		return &opaque{base{start, b.end}}
	case "return", "throw", "exit", "break", "continue":
		s := &flowStmt{base: base{pos: start}, kind: t.Value}
		if !p.eof() && !p.isSeparator() && !p.isGroupEnd() && !p.is(Operator, "|") {
			s.value = p.pipelineStatement()
		}
		s.end = p.prevEnd()
		return s
	case "begin", "process", "end", "dynamicparam", "else", "elseif", "finally", "sequence", "parallel", "inlinescript":
		p.skipNewlines()
		if t.Value == "elseif" {
			p.parenCondition()
			p.skipNewlines()
		}
		return p.blockBody()
	case "switch":
		for !p.eof() && p.tok().Kind == Parameter {
			p.i++
			if p.tok().Kind == Word || p.tok().Kind == String {
				p.i++ // -file name
			}
		}
		p.skipNewlines()
		var subject node
		if p.is(GroupStart, "(") {
			subject = p.parenCondition()
		}
		p.skipNewlines()
		body := p.blockBody()
		// the clauses are "condition { action }" pairs: evaluate them as
		// statements, which finds what the actions call
		return &ifStmt{base: base{start, p.prevEnd()}, conds: []node{subject}, bodies: []*block{body}}
	}
	// class, enum, data, using, hidden, static ... : skip to the end of the
	// statement, including one block
	for !p.eof() && !p.isSeparator() && !p.isGroupEnd() {
		if p.tok().Kind == GroupStart {
			p.i++
			p.skipToCloser()
			if p.isGroupEnd() {
				p.i++
			}
			continue
		}
		p.i++
	}
	return &opaque{base{start, p.prevEnd()}}
}

func (p *parser) parenCondition() node {
	if !p.is(GroupStart, "(") {
		return &opaque{base{p.tok().Pos, p.tok().Pos}}
	}
	return p.group()
}

func (p *parser) blockBody() *block {
	if !p.is(GroupStart, "{") {
		return &block{base: base{p.tok().Pos, p.tok().Pos}}
	}
	open := p.tok()
	p.i++
	p.depth++
	b := p.statements(true)
	p.depth--
	b.pos = open.Pos
	b.end = p.expectEnd("}")
	return b
}

// paramList parses (attributes $name = default, ...).
func (p *parser) paramList() []paramDecl {
	p.i++ // (
	var decls []paramDecl
	for !p.eof() && !p.isGroupEnd() {
		if p.over() {
			break
		}
		t := p.tok()
		switch {
		case t.Kind == Variable:
			d := paramDecl{name: newVarRef(t).name}
			p.i++
			p.skipNewlines()
			if p.is(Operator, "=") {
				p.i++
				p.skipNewlines()
				p.noComma++
				d.def = p.expr()
				p.noComma--
			}
			decls = append(decls, d)
		case t.Kind == GroupStart:
			p.i++
			p.skipToCloser()
			if p.isGroupEnd() {
				p.i++
			}
		default:
			p.i++
		}
	}
	p.expectEnd(")")
	if decls == nil {
		decls = []paramDecl{}
	}
	return decls
}

// blockParams returns the param(...) declarations at the top of a block.
func blockParams(b *block) []paramDecl {
	if b == nil || len(b.stmts) == 0 {
		return nil
	}
	if f, ok := b.stmts[0].(*funcDef); ok && f.name == "" {
		return f.params
	}
	return nil
}
