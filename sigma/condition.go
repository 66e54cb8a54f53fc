package sigma

import (
	"fmt"
	"strconv"
	"strings"
)

// condOp is the kind of a condition node.
type condOp int

const (
	condIdent condOp = iota // a search identifier
	condAnd
	condOr
	condNot
	condOneOf // 1 of / any of pattern
	condAllOf // all of pattern
)

// cond is the syntax tree of a detection condition. Precedence from loosest
// to tightest: or, and, not, "x of", parentheses.
type cond struct {
	op   condOp
	name string  // identifier or pattern ("them" for every search)
	args []*cond // operands of and/or (two or more), or the one of not
	col  int     // 0-based offset in the condition text
}

// String prints the condition fully parenthesised; parsing the result gives
// the same tree.
func (c *cond) String() string {
	switch c.op {
	case condIdent:
		return c.name
	case condNot:
		return "not " + c.args[0].String()
	case condOneOf:
		return "1 of " + c.name
	case condAllOf:
		return "all of " + c.name
	}
	sep := " and "
	if c.op == condOr {
		sep = " or "
	}
	parts := make([]string, len(c.args))
	for i, a := range c.args {
		parts[i] = a.String()
	}
	return "(" + strings.Join(parts, sep) + ")"
}

// conditionError is a syntax error at a byte offset of the condition.
type conditionError struct {
	col int
	msg string
}

func (e *conditionError) Error() string { return fmt.Sprintf("column %d: %s", e.col+1, e.msg) }

// maxConditionDepth caps nesting of parentheses and not, so that a hostile
// condition cannot exhaust the stack.
const maxConditionDepth = 100

// maxConditionLength caps the condition text.
const maxConditionLength = 64 << 10

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokLParen
	tokRParen
	tokPipe
)

type token struct {
	kind tokKind
	text string
	col  int
}

func tokenize(s string) ([]token, *conditionError) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")", i})
			i++
		case c == '|':
			toks = append(toks, token{tokPipe, "|", i})
			i++
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			toks = append(toks, token{tokWord, s[i:j], i})
			i = j
		default:
			return nil, &conditionError{i, fmt.Sprintf("unexpected character %q", c)}
		}
	}
	return append(toks, token{tokEOF, "", len(s)}), nil
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c == '*' || c == '?' || c == ':' || c == '/' || c == '\\' ||
		'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80
}

type condParser struct {
	toks  []token
	pos   int
	depth int
}

// parseCondition parses one condition string.
func parseCondition(s string) (*cond, *conditionError) {
	if len(s) > maxConditionLength {
		return nil, &conditionError{0, fmt.Sprintf("condition longer than %d bytes", maxConditionLength)}
	}
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks}
	if p.peek().kind == tokEOF {
		return nil, &conditionError{0, "empty condition"}
	}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		if t.kind == tokPipe {
			return nil, &conditionError{t.col, "aggregations after '|' belong to Sigma 1; use a correlation rule"}
		}
		return nil, &conditionError{t.col, fmt.Sprintf("unexpected %q", t.text)}
	}
	return c, nil
}

func (p *condParser) peek() token { return p.toks[p.pos] }

func (p *condParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func isKeyword(t token, kw string) bool {
	return t.kind == tokWord && strings.EqualFold(t.text, kw)
}

func (p *condParser) or() (*cond, *conditionError) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	args := []*cond{left}
	for isKeyword(p.peek(), "or") {
		p.next()
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		args = append(args, right)
	}
	if len(args) == 1 {
		return left, nil
	}
	return &cond{op: condOr, args: args, col: left.col}, nil
}

func (p *condParser) and() (*cond, *conditionError) {
	left, err := p.not()
	if err != nil {
		return nil, err
	}
	args := []*cond{left}
	for isKeyword(p.peek(), "and") {
		p.next()
		right, err := p.not()
		if err != nil {
			return nil, err
		}
		args = append(args, right)
	}
	if len(args) == 1 {
		return left, nil
	}
	return &cond{op: condAnd, args: args, col: left.col}, nil
}

func (p *condParser) enter(col int) *conditionError {
	p.depth++
	if p.depth > maxConditionDepth {
		return &conditionError{col, fmt.Sprintf("condition nested deeper than %d levels", maxConditionDepth)}
	}
	return nil
}

func (p *condParser) not() (*cond, *conditionError) {
	t := p.peek()
	if !isKeyword(t, "not") {
		return p.primary()
	}
	p.next()
	if err := p.enter(t.col); err != nil {
		return nil, err
	}
	x, err := p.not()
	p.depth--
	if err != nil {
		return nil, err
	}
	return &cond{op: condNot, args: []*cond{x}, col: t.col}, nil
}

func (p *condParser) primary() (*cond, *conditionError) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		if err := p.enter(t.col); err != nil {
			return nil, err
		}
		x, err := p.or()
		p.depth--
		if err != nil {
			return nil, err
		}
		if r := p.next(); r.kind != tokRParen {
			return nil, &conditionError{r.col, fmt.Sprintf("expected ')' to close the '(' at column %d", t.col+1)}
		}
		return x, nil
	case tokEOF:
		return nil, &conditionError{t.col, "condition ends where a search identifier was expected"}
	case tokRParen, tokPipe:
		return nil, &conditionError{t.col, fmt.Sprintf("unexpected %q where a search identifier was expected", t.text)}
	}
	low := strings.ToLower(t.text)
	switch low {
	case "and", "or", "not", "of", "them":
		return nil, &conditionError{t.col, fmt.Sprintf("unexpected %q where a search identifier was expected", t.text)}
	case "near":
		return nil, &conditionError{t.col, "near belongs to Sigma 1; use a temporal correlation rule"}
	}
	if isKeyword(p.peek(), "of") {
		p.next()
		target := p.next()
		if target.kind != tokWord || isKeyword(target, "and") || isKeyword(target, "or") || isKeyword(target, "not") {
			return nil, &conditionError{target.col, fmt.Sprintf("%q needs a search identifier pattern or 'them' after it", t.text+" of")}
		}
		name := target.text
		if strings.EqualFold(name, "them") {
			name = "them"
		}
		switch {
		case low == "all":
			return &cond{op: condAllOf, name: name, col: t.col}, nil
		case low == "any":
			return &cond{op: condOneOf, name: name, col: t.col}, nil
		}
		n, err := strconv.Atoi(t.text)
		if err != nil || n != 1 {
			return nil, &conditionError{t.col, fmt.Sprintf("%q of: Sigma allows only '1 of', 'any of' and 'all of'", t.text)}
		}
		return &cond{op: condOneOf, name: name, col: t.col}, nil
	}
	return &cond{op: condIdent, name: t.text, col: t.col}, nil
}
