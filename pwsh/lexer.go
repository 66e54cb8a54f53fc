package pwsh

import (
	"strings"
	"unicode/utf8"
)

// Tokenize splits a PowerShell script into tokens. It never fails: text it
// cannot make sense of still ends up in a token (of kind Unknown if nothing
// else fits) and the problems are returned as errors with their positions.
//
// The tokens cover the source in order without overlapping, and the gaps
// between them hold only whitespace and line continuations, so
// concatenating the gaps and the token texts gives back src exactly.
//
// Like PowerShell, the tokenizer switches between command mode (barewords are
// command names and arguments, -Name is a parameter) and expression mode
// (-join is an operator, .Name a member), from the context it has seen.
func Tokenize(src string) ([]Token, []Error) {
	l := &lexer{src: src, mode: modeStart}
	l.toks = make([]Token, 0, len(src)/5+4)
	l.run()
	l.finish()
	return l.toks, l.errs
}

type mode uint8

const (
	modeStart    mode = iota // start of a statement: keywords are keywords
	modePipe                 // start of a pipeline element after '|': foreach is a command
	modeArgs                 // command arguments
	modeExpr                 // after an operand in an expression: expecting an operator
	modeOperand              // in an expression, expecting an operand
	modeCmdName              // after the & or . invocation operator
	modeFuncName             // after function, filter, workflow or configuration
	modeHashKey              // at a key inside @{ }
)

type frame struct {
	open string // "(", "$(", "@(", "{", "@{", "["
	pos  int
	ret  mode // mode to return to after the closing character
	// index marks a '[' that indexes the operand before it; a '[' that
	// opens an attribute is not an operand when it closes.
	index bool
}

// maxNesting bounds the recursion the tokenizer uses to find the end of $(...)
// inside strings; deeper nests are skipped by counting parentheses.
const maxNesting = 16

// maxErrors bounds the errors reported for one source.
const maxErrors = 100

type lexer struct {
	src     string
	pos     int
	mode    mode
	stack   []frame
	toks    []Token
	errs    []Error
	discard bool // nested lexer that only finds where a $(...) ends
	depth   int
	// closeAt makes a nested lexer stop at the ')' that closes the
	// subexpression it was started in.
	stopped bool
	// operandEnd is where the last operand (variable, string, closing
	// bracket, member ...) ended: a '.', '::' or '[' right there is member
	// access or indexing.
	operandEnd int
	memberNext bool // the previous token was '.' or '::'
	lastKind   Kind
}

func (l *lexer) errorf(pos int, msg string) {
	if len(l.errs) >= maxErrors {
		return
	}
	line, col := lineCol(l.src, pos)
	l.errs = append(l.errs, Error{Pos: pos, Line: line, Col: col, Msg: msg})
}

func lineCol(src string, pos int) (int, int) {
	if pos > len(src) {
		pos = len(src)
	}
	line := 1 + strings.Count(src[:pos], "\n")
	start := strings.LastIndexByte(src[:pos], '\n') + 1
	return line, pos - start + 1
}

func (l *lexer) emit(k Kind, start, end int, value string) {
	l.lastKind = k
	if l.discard {
		return
	}
	l.toks = append(l.toks, Token{Kind: k, Pos: start, End: end, Text: l.src[start:end], Value: value})
}

// peek returns the rune at byte offset i and its width; 0, 0 at the end.
func (l *lexer) peek(i int) (rune, int) {
	if i >= len(l.src) {
		return 0, 0
	}
	if c := l.src[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(l.src[i:])
}

func (l *lexer) at(i int) rune {
	r, _ := l.peek(i)
	return r
}

func (l *lexer) finish() {
	if l.discard {
		return
	}
	for i := len(l.stack) - 1; i >= 0; i-- {
		f := l.stack[i]
		l.errorf(f.pos, "missing closing "+closerOf(f.open))
	}
}

func closerOf(open string) string {
	switch open {
	case "{", "@{":
		return "'}'"
	case "[":
		return "']'"
	}
	return "')'"
}

// baseMode is where a construct that began in the current mode returns to:
// command arguments stay command arguments, anything else continues as an
// expression.
func (l *lexer) baseMode() mode {
	if l.mode == modeArgs {
		return modeArgs
	}
	return modeExpr
}

func (l *lexer) afterOperand(end int) {
	l.operandEnd = end
	switch l.mode {
	case modeArgs, modeCmdName:
		l.mode = modeArgs
	case modeHashKey:
		// a key; '=' follows
	default:
		l.mode = modeExpr
	}
}

func (l *lexer) push(open string, pos int, ret, inner mode) {
	l.stack = append(l.stack, frame{open: open, pos: pos, ret: ret})
	l.mode = inner
}

func (l *lexer) top() string {
	if n := len(l.stack); n > 0 {
		return l.stack[n-1].open
	}
	return ""
}

// statementMode is the mode after a statement separator.
func (l *lexer) statementMode() mode {
	if n := len(l.stack); n > 0 && l.stack[n-1].open == "@{" {
		return modeHashKey
	}
	return modeStart
}

func (l *lexer) run() {
	for l.pos < len(l.src) && !l.stopped {
		l.skipGap()
		if l.pos >= len(l.src) {
			break
		}
		before := l.pos
		l.next()
		if l.pos <= before { // never loop without progress
			_, w := l.peek(before)
			if w == 0 {
				w = 1
			}
			l.pos = before + w
			l.emit(Unknown, before, l.pos, l.src[before:l.pos])
		}
	}
}

// skipGap skips whitespace and line continuations.
func (l *lexer) skipGap() {
	for l.pos < len(l.src) {
		r, w := l.peek(l.pos)
		switch {
		case isSpace(r):
			l.pos += w
		case r == '\ufeff' && l.pos == 0:
			l.pos += w
		case r == '`':
			n, nw := l.peek(l.pos + 1)
			if !isNewline(n) {
				return
			}
			l.pos += 1 + nw
			if n == '\r' && l.at(l.pos) == '\n' {
				l.pos++
			}
		default:
			return
		}
	}
}

func (l *lexer) next() {
	start := l.pos
	r, w := l.peek(start)
	adjacent := start == l.operandEnd && start > 0

	// Member access and indexing right after an operand, in any mode.
	if adjacent {
		if r == '.' && l.at(start+1) != '.' {
			n := l.at(start + 1)
			if isNameChar(n) || isQuote(n) || n == '$' || n == '(' || n == '`' {
				l.pos = start + 1
				l.emit(Operator, start, l.pos, ".")
				l.memberNext = true
				return
			}
		}
		if r == ':' && l.at(start+1) == ':' {
			l.pos = start + 2
			l.emit(Operator, start, l.pos, "::")
			l.memberNext = true
			return
		}
		if r == '?' && l.at(start+1) == '.' && l.mode != modeArgs {
			l.pos = start + 2
			l.emit(Operator, start, l.pos, "?.")
			l.memberNext = true
			return
		}
		if r == '[' && l.lastKind != Type {
			l.pos = start + 1
			l.emit(GroupStart, start, l.pos, "[")
			l.push("[", start, l.baseMode(), modeOperand)
			l.stack[len(l.stack)-1].index = true
			return
		}
	}
	if l.memberNext {
		l.memberNext = false
		if isNameChar(r) || r == '`' {
			l.scanMember()
			return
		}
	}

	switch {
	case isNewline(r):
		l.pos = start + 1
		if r == '\r' && l.at(l.pos) == '\n' {
			l.pos++
		}
		l.emit(NewLine, start, l.pos, "\n")
		if l.mode != modeOperand {
			l.mode = l.statementMode()
		}
		return
	case r == '#':
		l.scanLineComment()
		return
	case r == '<' && l.at(start+1) == '#':
		l.scanBlockComment()
		return
	case r == '$':
		l.scanDollar()
		return
	case r == '@':
		l.scanAt()
		return
	case isSingleQuote(r):
		end, contentEnd := l.skipVerbatim(start + w)
		l.pos = end
		l.emit(String, start, end, verbatimValue(l.src[start+w:contentEnd]))
		l.afterOperand(end)
		return
	case isDoubleQuote(r):
		end, contentEnd := l.skipExpandable(start + w)
		l.pos = end
		l.emit(ExpandableString, start, end, unescapeBackticks(collapseDoubledQuotes(l.src[start+w:contentEnd])))
		l.afterOperand(end)
		return
	case r == '(':
		l.pos = start + 1
		l.emit(GroupStart, start, l.pos, "(")
		l.push("(", start, l.groupReturn(), modeStart)
		return
	case r == '{':
		l.pos = start + 1
		l.emit(GroupStart, start, l.pos, "{")
		ret := modeStart
		if l.mode == modeArgs || l.mode == modeCmdName {
			ret = modeArgs
		}
		l.push("{", start, ret, modeStart)
		return
	case r == ')' || r == '}' || r == ']' && (l.mode != modeArgs || l.top() == "["):
		l.closeGroup(r)
		return
	case r == ';':
		l.pos = start + 1
		l.emit(Operator, start, l.pos, ";")
		l.mode = l.statementMode()
		return
	case r == '|':
		l.pos = start + 1
		v := "|"
		if l.at(l.pos) == '|' {
			l.pos++
			v = "||"
		}
		l.emit(Operator, start, l.pos, v)
		l.mode = modePipe
		if v == "||" {
			l.mode = modeStart
		}
		return
	case r == '&':
		l.pos = start + 1
		if l.at(l.pos) == '&' {
			l.pos++
			l.emit(Operator, start, l.pos, "&&")
			l.mode = modeStart
			return
		}
		l.emit(Operator, start, l.pos, "&")
		if l.mode == modeArgs || l.mode == modeExpr {
			l.mode = modeStart // PowerShell 7 background operator
		} else {
			l.mode = modeCmdName
		}
		return
	}
	if l.scanRedirection() {
		return
	}
	switch l.mode {
	case modeArgs:
		l.nextArg(r)
	case modeHashKey:
		l.nextHashKey(r)
	default:
		l.nextExpr(r)
	}
}

func (l *lexer) groupReturn() mode {
	switch l.mode {
	case modeArgs, modeCmdName:
		return modeArgs
	case modeHashKey:
		return modeHashKey
	}
	return modeExpr
}

func (l *lexer) closeGroup(r rune) {
	start := l.pos
	l.pos++
	want := map[rune]string{')': "(", '}': "{", ']': "["}[r]
	matches := func(open string) bool {
		switch want {
		case "(":
			return open == "(" || open == "$(" || open == "@("
		case "{":
			return open == "{" || open == "@{"
		}
		return open == want
	}
	idx := -1
	for i := len(l.stack) - 1; i >= 0; i-- {
		if matches(l.stack[i].open) {
			idx = i
			break
		}
	}
	if idx < 0 {
		if l.discard && r == ')' {
			// the ')' that ends the $( this nested lexer was started for
			l.stopped = true
			return
		}
		l.errorf(start, "unexpected '"+string(r)+"'")
		l.emit(GroupEnd, start, l.pos, string(r))
		l.mode = l.statementMode()
		return
	}
	for i := len(l.stack) - 1; i > idx; i-- {
		l.errorf(l.stack[i].pos, "missing closing "+closerOf(l.stack[i].open))
	}
	f := l.stack[idx]
	l.stack = l.stack[:idx]
	l.emit(GroupEnd, start, l.pos, string(r))
	l.mode = f.ret
	if f.open != "[" || f.index {
		l.operandEnd = l.pos
	} else if l.mode == modeExpr {
		l.mode = modeOperand // after an attribute comes what it applies to
	}
}

func (l *lexer) scanLineComment() {
	start := l.pos
	end := strings.IndexAny(l.src[start:], "\r\n")
	if end < 0 {
		l.pos = len(l.src)
	} else {
		l.pos = start + end
	}
	l.emit(Comment, start, l.pos, l.src[start:l.pos])
}

func (l *lexer) scanBlockComment() {
	start := l.pos
	end := strings.Index(l.src[start+2:], "#>")
	if end < 0 {
		l.errorf(start, "missing '#>' at the end of a block comment")
		l.pos = len(l.src)
	} else {
		l.pos = start + 2 + end + 2
	}
	l.emit(Comment, start, l.pos, l.src[start:l.pos])
}

// scanRedirection recognises > >> 2> 2>> 2>&1 *> < at the current position.
func (l *lexer) scanRedirection() bool {
	start := l.pos
	i := start
	c := l.at(i)
	if c == '<' {
		l.pos = i + 1
		l.emit(Redirection, start, l.pos, "<")
		l.mode = modeArgs
		return true
	}
	if (c >= '1' && c <= '6' || c == '*') && l.at(i+1) == '>' {
		i++
	} else if c != '>' {
		return false
	}
	i++ // '>'
	if l.at(i) == '>' {
		i++
	} else if l.at(i) == '&' && (l.at(i+1) == '1' || l.at(i+1) == '2') {
		i += 2
	}
	l.pos = i
	l.emit(Redirection, start, i, l.src[start:i])
	l.mode = modeArgs
	return true
}

// scanDollar scans a variable, $( subexpression, or a lone '$'.
func (l *lexer) scanDollar() {
	start := l.pos
	n, nw := l.peek(start + 1)
	switch {
	case n == '(':
		l.pos = start + 2
		l.emit(GroupStart, start, l.pos, "$(")
		l.push("$(", start, l.groupReturn(), modeStart)
		return
	case n == '{':
		end, ok := l.skipBracedName(start + 2)
		if !ok {
			l.errorf(start, "missing '}' at the end of a variable name")
		}
		l.pos = end
		inner := l.src[start+2 : end]
		if ok {
			inner = inner[:len(inner)-1]
		}
		l.emit(Variable, start, end, unescapeTicks(inner))
		l.afterOperand(end)
		return
	case n == '$' || n == '^' || n == '?':
		l.pos = start + 1 + nw
		l.emit(Variable, start, l.pos, string(n))
		l.afterOperand(l.pos)
		return
	case isVarChar(n) || n == ':':
		end := l.scanVarName(start + 1)
		if end == start+1 { // "$:" alone
			break
		}
		l.pos = end
		l.emit(Variable, start, end, l.src[start+1:end])
		l.afterOperand(end)
		return
	}
	// A lone '$' is literal text in command mode.
	l.pos = start + 1
	l.emit(Word, start, l.pos, "$")
	l.afterOperand(l.pos)
}

// scanVarName scans name characters with optional scope or drive prefix
// (env:, script:, global:, variable: ...).
func (l *lexer) scanVarName(i int) int {
	scoped := false
	for i < len(l.src) {
		r, w := l.peek(i)
		if isVarChar(r) {
			i += w
			continue
		}
		if r == ':' && !scoped && i+1 < len(l.src) {
			n := l.at(i + 1)
			if n != ':' && isVarChar(n) {
				scoped = true
				i++
				continue
			}
		}
		break
	}
	return i
}

// skipBracedName returns the offset after the '}' of ${...} starting at i.
func (l *lexer) skipBracedName(i int) (int, bool) {
	for i < len(l.src) {
		switch l.src[i] {
		case '`':
			_, w := l.peek(i + 1)
			i += 1 + w
			continue
		case '}':
			return i + 1, true
		}
		i++
	}
	return len(l.src), false
}

func (l *lexer) scanAt() {
	start := l.pos
	n, nw := l.peek(start + 1)
	switch {
	case n == '(':
		l.pos = start + 2
		l.emit(GroupStart, start, l.pos, "@(")
		l.push("@(", start, l.groupReturn(), modeStart)
		return
	case n == '{':
		l.pos = start + 2
		l.emit(GroupStart, start, l.pos, "@{")
		l.push("@{", start, l.groupReturn(), modeHashKey)
		return
	case isQuote(n):
		l.scanHereString(start, start+1+nw, isDoubleQuote(n))
		return
	case isVarChar(n):
		end := l.scanVarName(start + 1)
		l.pos = end
		l.emit(Splat, start, end, l.src[start+1:end])
		l.afterOperand(end)
		return
	}
	if l.mode == modeArgs || l.mode == modeStart || l.mode == modePipe {
		l.scanWord(Word)
		return
	}
	l.pos = start + 1
	l.errorf(start, "unexpected '@'")
	l.emit(Unknown, start, l.pos, "@")
}

// scanHereString scans @'...'@ or @"..."@. body is the offset after the
// opening quote.
func (l *lexer) scanHereString(start, body int, expandable bool) {
	i := body
	for i < len(l.src) {
		r, w := l.peek(i)
		if !isSpace(r) {
			break
		}
		i += w
	}
	if i < len(l.src) && !isNewline(l.at(i)) {
		l.errorf(start, "missing newline after the here-string header")
	}
	// The content starts on the line after the header.
	if nl := strings.IndexAny(l.src[i:], "\r\n"); nl >= 0 {
		i += nl
		if l.src[i] == '\r' && i+1 < len(l.src) && l.src[i+1] == '\n' {
			i++
		}
		i++
	} else {
		i = len(l.src)
	}
	contentStart := i
	isClose := isSingleQuote
	if expandable {
		isClose = isDoubleQuote
	}
	end, contentEnd := -1, -1
	for j := contentStart; j < len(l.src); {
		// a terminator is a quote and '@' at the very start of a line
		if j == contentStart || l.src[j-1] == '\n' || l.src[j-1] == '\r' {
			r, w := l.peek(j)
			if isClose(r) && l.at(j+w) == '@' {
				end = j + w + 1
				contentEnd = j
				break
			}
		}
		k := strings.IndexAny(l.src[j:], "\r\n")
		if k < 0 {
			break
		}
		j += k + 1
	}
	value := ""
	if end < 0 {
		l.errorf(start, "missing the end of a here-string")
		end = len(l.src)
		value = l.src[contentStart:]
	} else {
		// the newline before the terminator is not part of the value
		ce := contentEnd
		if ce > contentStart && l.src[ce-1] == '\n' {
			ce--
		}
		if ce > contentStart && l.src[ce-1] == '\r' {
			ce--
		}
		if ce < contentStart {
			ce = contentStart
		}
		value = l.src[contentStart:ce]
	}
	l.pos = end
	if expandable {
		l.emit(ExpandableString, start, end, unescapeBackticks(value))
	} else {
		l.emit(String, start, end, value)
	}
	l.afterOperand(end)
}

// skipVerbatim scans a single-quoted string whose content starts at i and
// returns the offsets after the closing quote and of the closing quote (both
// the end of the source when it is missing). Two quotes in a row are one.
func (l *lexer) skipVerbatim(i int) (end, contentEnd int) {
	for i < len(l.src) {
		r, w := l.peek(i)
		if isSingleQuote(r) {
			n, nw := l.peek(i + w)
			if isSingleQuote(n) {
				i += w + nw
				continue
			}
			return i + w, i
		}
		i += w
	}
	l.errorf(i, "missing the terminating quote of a string")
	return len(l.src), len(l.src)
}

// verbatimValue turns doubled quotes in single-quoted string content into one.
func verbatimValue(s string) string {
	if !strings.ContainsAny(s, "'\u2018\u2019\u201a\u201b") {
		return s
	}
	var b strings.Builder
	prevQuote := false
	for _, r := range s {
		if isSingleQuote(r) {
			if prevQuote {
				prevQuote = false
				continue
			}
			prevQuote = true
			b.WriteRune(r)
			continue
		}
		prevQuote = false
		b.WriteRune(r)
	}
	return b.String()
}

// skipExpandable scans a double-quoted string whose content starts at i,
// skipping $(...) subexpressions, which may contain quotes of their own. It
// returns the offsets after the closing quote and of the closing quote.
func (l *lexer) skipExpandable(i int) (end, contentEnd int) {
	for i < len(l.src) {
		r, w := l.peek(i)
		switch {
		case r == '`':
			_, nw := l.peek(i + 1)
			i += 1 + nw
			continue
		case isDoubleQuote(r):
			n, nw := l.peek(i + w)
			if isDoubleQuote(n) {
				i += w + nw
				continue
			}
			return i + w, i
		case r == '$':
			switch l.at(i + 1) {
			case '(':
				i = l.skipSubexpression(i + 2)
				continue
			case '{':
				i, _ = l.skipBracedName(i + 2)
				continue
			}
		}
		i += w
	}
	if i > len(l.src) {
		i = len(l.src)
	}
	l.errorf(i, "missing the terminating quote of a string")
	return len(l.src), len(l.src)
}

// skipSubexpression returns the offset after the ')' that closes a $( whose
// content starts at i.
func (l *lexer) skipSubexpression(i int) int {
	if l.depth >= maxNesting {
		depth := 1
		for i < len(l.src) {
			switch l.src[i] {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(l.src)
	}
	sub := &lexer{src: l.src, pos: i, mode: modeStart, discard: true, depth: l.depth + 1, operandEnd: -1}
	sub.run()
	for _, e := range sub.errs {
		if len(l.errs) < maxErrors {
			l.errs = append(l.errs, e)
		}
	}
	if !sub.stopped {
		l.errorf(i-2, "missing closing ')' of a subexpression")
	}
	return sub.pos
}

// collapseDoubledQuotes turns "" (any double-quote characters) into one.
func collapseDoubledQuotes(s string) string {
	if !strings.ContainsAny(s, "\"\u201c\u201d\u201e") {
		return s
	}
	var b strings.Builder
	prev := false
	tick := false
	for _, r := range s {
		if tick {
			tick = false
			b.WriteRune(r)
			continue
		}
		if r == '`' {
			tick = true
			b.WriteRune(r)
			continue
		}
		if isDoubleQuote(r) {
			if prev {
				prev = false
				continue
			}
			prev = true
			b.WriteRune(r)
			continue
		}
		prev = false
		b.WriteRune(r)
	}
	return b.String()
}

// unescapeBackticks applies Windows PowerShell 5.1 escape sequences: `0 `a
// `b `f `n `r `t `v are control characters, a backtick before anything else
// stands for that character.
func unescapeBackticks(s string) string {
	if strings.IndexByte(s, '`') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	esc := false
	for _, r := range s {
		if esc {
			esc = false
			switch r {
			case '0':
				r = 0
			case 'a':
				r = 7
			case 'b':
				r = 8
			case 'f':
				r = 12
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			case 'v':
				r = 11
			}
			b.WriteRune(r)
			continue
		}
		if r == '`' {
			esc = true
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// unescapeTicks removes escape ticks from a bareword: `x stands for x.
func unescapeTicks(s string) string {
	if strings.IndexByte(s, '`') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	esc := false
	for _, r := range s {
		if !esc && r == '`' {
			esc = true
			continue
		}
		esc = false
		b.WriteRune(r)
	}
	return b.String()
}

// wordValue is a bareword with escape ticks and embedded quotes removed, the
// way PowerShell reads po"wer"sh`ell as powershell.
func wordValue(s string) string {
	if !strings.ContainsAny(s, "`'\"\u2018\u2019\u201a\u201b\u201c\u201d\u201e") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	esc := false
	var quote rune // the kind of quote we are inside, 0 outside
	for _, r := range s {
		switch {
		case esc:
			esc = false
			b.WriteRune(r)
		case r == '`' && quote != '\'':
			esc = true
		case quote == 0 && isSingleQuote(r):
			quote = '\''
		case quote == 0 && isDoubleQuote(r):
			quote = '"'
		case quote == '\'' && isSingleQuote(r), quote == '"' && isDoubleQuote(r):
			quote = 0
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// scanWord scans a bareword and emits it as kind k.
func (l *lexer) scanWord(k Kind) {
	start := l.pos
	end := l.skipGeneric(start)
	l.pos = end
	l.emit(k, start, end, wordValue(l.src[start:end]))
	l.operandEnd = end
}

// skipGeneric returns the end of a bareword starting at i. Quoted parts and
// $(...) inside a bareword belong to it.
func (l *lexer) skipGeneric(i int) int {
	start := i
	for i < len(l.src) {
		r, w := l.peek(i)
		switch {
		case r == '`':
			n, nw := l.peek(i + 1)
			if isNewline(n) || nw == 0 {
				if i == start {
					return i + 1
				}
				return i
			}
			i += 1 + nw
			continue
		case isSingleQuote(r) && i > start:
			i, _ = l.skipVerbatim(i + w)
			continue
		case isDoubleQuote(r) && i > start:
			i, _ = l.skipExpandable(i + w)
			continue
		case r == '$' && l.at(i+1) == '(':
			i = l.skipSubexpression(i + 2)
			continue
		case endsGeneric(r):
			if i == start {
				return i + w
			}
			return i
		}
		i += w
	}
	return i
}

// wordEnd reports whether offset i ends a number or bareword in command mode.
func (l *lexer) wordEnd(i int) bool {
	if i >= len(l.src) {
		return true
	}
	r := l.at(i)
	return endsGeneric(r) || r == '`' && isNewline(l.at(i+1))
}

// scanNumber returns the end of a number literal at i, or -1.
func (l *lexer) scanNumber(i int) int {
	s := l.src
	j := i
	if j < len(s) && (s[j] == '0') && j+1 < len(s) && (s[j+1] == 'x' || s[j+1] == 'X') {
		k := j + 2
		for k < len(s) && isHexDigit(rune(s[k])) {
			k++
		}
		if k == j+2 {
			return -1
		}
		return l.numberSuffix(k, true)
	}
	if j < len(s) && s[j] == '0' && j+1 < len(s) && (s[j+1] == 'b' || s[j+1] == 'B') && j+2 < len(s) && (s[j+2] == '0' || s[j+2] == '1') {
		k := j + 2
		for k < len(s) && (s[k] == '0' || s[k] == '1') {
			k++
		}
		return l.numberSuffix(k, true)
	}
	digits := 0
	for j < len(s) && isDigit(rune(s[j])) {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' && j+1 < len(s) && isDigit(rune(s[j+1])) {
		j++
		for j < len(s) && isDigit(rune(s[j])) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return -1
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(rune(s[k])) {
			for k < len(s) && isDigit(rune(s[k])) {
				k++
			}
			j = k
		}
	}
	return l.numberSuffix(j, false)
}

// numberSuffix skips a type suffix (l, d, u, ul, us, uy, y, s, n) and a
// multiplier (kb, mb, gb, tb, pb).
func (l *lexer) numberSuffix(j int, hex bool) int {
	s := l.src
	low := func(k int) byte {
		if k < len(s) {
			c := s[k]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			return c
		}
		return 0
	}
	switch low(j) {
	case 'u':
		j++
		switch low(j) {
		case 'l', 's', 'y':
			j++
		}
	case 'l', 'y', 's', 'n':
		j++
	case 'd':
		if !hex {
			j++
		}
	}
	switch low(j) {
	case 'k', 'm', 'g', 't', 'p':
		if low(j+1) == 'b' {
			j += 2
		}
	}
	return j
}

// numberEnds reports whether a number may end at i in the current mode.
func (l *lexer) numberEnds(i int) bool {
	if l.mode == modeArgs || l.mode == modeStart || l.mode == modePipe || l.mode == modeCmdName {
		return l.wordEnd(i)
	}
	if i >= len(l.src) {
		return true
	}
	r := l.at(i)
	return !isNameChar(r) && r != '`' && !(r == '.' && isDigit(l.at(i+1)))
}

func (l *lexer) nextArg(r rune) {
	start := l.pos
	switch {
	case r == ',':
		l.pos++
		l.emit(Operator, start, l.pos, ",")
		return
	case isDash(r):
		l.scanDashInArgs()
		return
	case isDigit(r) || r == '.' && isDigit(l.at(start+1)):
		if end := l.scanNumber(start); end > 0 && l.wordEnd(end) {
			l.pos = end
			l.emit(Number, start, end, l.src[start:end])
			l.operandEnd = end
			return
		}
	}
	l.scanWord(Word)
}

// scanDashInArgs handles a dash in command mode: a parameter, a negative
// number, the stop-parsing token or a plain word.
func (l *lexer) scanDashInArgs() {
	start := l.pos
	_, w := l.peek(start)
	n, nw := l.peek(start + w)
	if isDash(n) && l.at(start+w+nw) == '%' && l.wordEnd(start+w+nw+1) {
		end := strings.IndexAny(l.src[start:], "\r\n|")
		if end < 0 {
			end = len(l.src)
		} else {
			end += start
		}
		l.pos = end
		l.emit(StopParsing, start, end, "--%")
		return
	}
	if isDigit(n) || n == '.' && isDigit(l.at(start+w+1)) {
		if end := l.scanNumber(start + w); end > 0 && l.wordEnd(end) {
			l.pos = end
			l.emit(Number, start, end, "-"+l.src[start+w:end])
			l.operandEnd = end
			return
		}
	}
	if isLetter(n) || n == '_' || n == '?' || n == '`' {
		l.scanParameter(start, start+w)
		return
	}
	l.scanWord(Word)
}

// scanParameter scans -Name or -Name: starting at start; name is the offset
// after the dash.
func (l *lexer) scanParameter(start, name int) {
	i := name
	for i < len(l.src) {
		r, w := l.peek(i)
		if r == '`' {
			n, nw := l.peek(i + 1)
			if isNewline(n) || nw == 0 {
				break
			}
			i += 1 + nw
			continue
		}
		if endsGeneric(r) || r == ':' || isQuote(r) || r == '$' && i > name {
			break
		}
		i += w
	}
	end := i
	if l.at(i) == ':' {
		end = i + 1
	}
	l.pos = end
	l.emit(Parameter, start, end, "-"+unescapeTicks(l.src[name:i]))
}

func (l *lexer) nextHashKey(r rune) {
	start := l.pos
	switch {
	case r == '=':
		l.pos++
		l.emit(Operator, start, l.pos, "=")
		l.mode = modeStart
		return
	case isDigit(r):
		if end := l.scanNumber(start); end > 0 && l.numberEnds(end) {
			l.pos = end
			l.emit(Number, start, end, l.src[start:end])
			l.operandEnd = end
			return
		}
	case r == '[':
		if l.scanType() {
			return
		}
	}
	// keys are barewords up to '=' or a separator
	i := start
	for i < len(l.src) {
		c, w := l.peek(i)
		if c == '=' || c == ';' || c == '}' || isSpace(c) || isNewline(c) || c == '`' {
			break
		}
		i += w
	}
	if i == start {
		_, w := l.peek(i)
		i += w
	}
	l.pos = i
	l.emit(Word, start, i, l.src[start:i])
	l.operandEnd = i
}

// nextExpr handles statement starts and expressions.
func (l *lexer) nextExpr(r rune) {
	start := l.pos
	m := l.mode
	expectOperand := m != modeExpr

	switch {
	case isDash(r):
		l.scanDashInExpr(expectOperand)
		return
	case isDigit(r) || r == '.' && isDigit(l.at(start+1)) && expectOperand:
		if end := l.scanNumber(start); end > 0 && l.numberEnds(end) {
			l.pos = end
			l.emit(Number, start, end, l.src[start:end])
			l.afterOperand(end)
			return
		}
	case r == '[' && m != modeFuncName:
		if l.scanType() {
			return
		}
		l.pos = start + 1
		l.emit(GroupStart, start, l.pos, "[")
		l.push("[", start, l.baseMode(), modeOperand)
		return
	case r == '.':
		if l.at(start+1) == '.' && !expectOperand {
			l.pos = start + 2
			l.emit(Operator, start, l.pos, "..")
			l.mode = modeOperand
			return
		}
		if expectOperand && m != modeOperand {
			// '.' as the dot-source operator, or the start of a path
			n := l.at(start + 1)
			if n == 0 || isSpace(n) || n == '(' || n == '$' || isQuote(n) || n == '{' || n == '&' {
				l.pos = start + 1
				l.emit(Operator, start, l.pos, ".")
				l.mode = modeCmdName
				return
			}
			l.scanWord(Command)
			l.mode = modeArgs
			return
		}
		l.pos = start + 1
		l.emit(Operator, start, l.pos, ".")
		l.memberNext = true
		return
	case r == ':' && l.at(start+1) == ':':
		l.pos = start + 2
		l.emit(Operator, start, l.pos, "::")
		l.memberNext = true
		return
	case r == ':' && (m == modeStart) && isNameChar(l.at(start+1)):
		i := start + 1
		for i < len(l.src) && isNameChar(l.at(i)) {
			_, w := l.peek(i)
			i += w
		}
		l.pos = i
		l.emit(Label, start, i, l.src[start+1:i])
		return
	}
	if op, n := l.matchSymbolOperator(); n > 0 && !(expectOperand && isCommandChar(r) && m != modeOperand) {
		l.pos = start + n
		l.emit(Operator, start, l.pos, op)
		switch op {
		case "=", "+=", "-=", "*=", "/=", "%=", "??=":
			l.mode = modeStart
		case "++", "--":
			if expectOperand {
				l.mode = modeOperand
			}
		default:
			l.mode = modeOperand
		}
		return
	}
	// A bareword.
	switch m {
	case modeFuncName:
		l.scanWord(Word)
		l.mode = modeStart
		return
	case modeExpr, modeOperand:
		end := l.skipGeneric(start)
		v := wordValue(l.src[start:end])
		if isKeyword(l.src[start:end]) {
			l.pos = end
			l.emit(Keyword, start, end, lowerASCII(v))
			l.mode = modeStart
			return
		}
		if m == modeOperand && l.top() == "[" {
			// an attribute name: [CmdletBinding()], [Parameter(...)]
			l.pos = end
			l.emit(Word, start, end, v)
			l.afterOperand(end)
			return
		}
		if m == modeOperand {
			// a command where an operand is expected, as after '=' inside
			// parentheses or after a unary operator: PowerShell would
			// reject most of these, but the text is clearly a command
			l.pos = end
			l.emit(Command, start, end, v)
			l.operandEnd = end
			l.mode = modeArgs
			return
		}
		l.pos = end
		l.emit(Word, start, end, v)
		l.operandEnd = end
		return
	}
	end := l.skipGeneric(start)
	text := l.src[start:end]
	if m == modeStart && isKeyword(text) && l.wordEnd(end) {
		l.pos = end
		kw := lowerASCII(text)
		l.emit(Keyword, start, end, kw)
		switch kw {
		case "function", "filter", "workflow", "configuration":
			l.mode = modeFuncName
		case "using", "class", "enum":
			l.mode = modeArgs
		default:
			l.mode = modeStart
		}
		return
	}
	l.pos = end
	l.emit(Command, start, end, wordValue(text))
	l.operandEnd = end
	l.mode = modeArgs
}

// isCommandChar reports characters that, at the start of a statement, begin
// a command name rather than an operator: % and ? are the ForEach-Object and
// Where-Object aliases.
func isCommandChar(r rune) bool {
	return r == '%' || r == '?' || r == '*' || r == '/' || r == '\\' || r == '='
}

var symbolOperators = []string{
	"??=", "++", "--", "+=", "-=", "*=", "/=", "%=", "??", "?.", "..", "&&", "||",
	"+", "*", "/", "%", "=", "!", ",", "?", ":",
}

func (l *lexer) matchSymbolOperator() (string, int) {
	rest := l.src[l.pos:]
	for _, op := range symbolOperators {
		if strings.HasPrefix(rest, op) {
			return op, len(op)
		}
	}
	return "", 0
}

// scanDashInExpr handles a dash in an expression or at a statement start: an
// operator (-join, -f, -, --, -=), a negative number, or a parameter.
func (l *lexer) scanDashInExpr(expectOperand bool) {
	start := l.pos
	_, w := l.peek(start)
	n, nw := l.peek(start + w)
	if isLetter(n) {
		i := start + w
		for i < len(l.src) && isLetter(l.at(i)) {
			_, cw := l.peek(i)
			i += cw
		}
		name := lowerASCII(l.src[start+w : i])
		if _, ok := dashOperators[name]; ok && !isNameChar(l.at(i)) && l.at(i) != ':' {
			l.pos = i
			l.emit(Operator, start, i, "-"+name)
			l.mode = modeOperand
			return
		}
		// Not an operator: a parameter, as in "-Name" after a command we
		// did not recognise as one.
		l.scanParameter(start, start+w)
		l.mode = modeArgs
		return
	}
	if expectOperand && (isDigit(n) || n == '.' && isDigit(l.at(start+w+1))) {
		if end := l.scanNumber(start + w); end > 0 && l.numberEnds(end) {
			l.pos = end
			l.emit(Number, start, end, "-"+l.src[start+w:end])
			l.afterOperand(end)
			return
		}
	}
	switch {
	case isDash(n):
		l.pos = start + w + nw
		l.emit(Operator, start, l.pos, "--")
	case n == '=':
		l.pos = start + w + 1
		l.emit(Operator, start, l.pos, "-=")
		l.mode = modeStart
		return
	default:
		l.pos = start + w
		l.emit(Operator, start, l.pos, "-")
	}
	l.mode = modeOperand
}

// scanType tries to scan a type literal [Name.Space.Type[Generic]] at the
// current position. Attributes such as [Parameter(...)] are not type
// literals; for them it returns false.
func (l *lexer) scanType() bool {
	start := l.pos
	i := start + 1
	for i < len(l.src) && (l.src[i] == ' ' || l.src[i] == '\t') {
		i++
	}
	if r := l.at(i); !isLetter(r) && r != '_' {
		return false
	}
	depth := 0
	for i < len(l.src) {
		r, w := l.peek(i)
		switch {
		case isNameChar(r) || r == '.' || r == '+' || r == '`' || r == ' ' || r == '\t' || r == '&' || r == '*':
			i += w
			continue
		case r == ',' && depth > 0:
			i++
			continue
		case r == '[':
			depth++
			i++
			continue
		case r == ']':
			if depth == 0 {
				end := i + 1
				name := strings.Map(func(r rune) rune {
					if r == ' ' || r == '\t' || r == '`' {
						return -1
					}
					return r
				}, l.src[start+1:i])
				l.pos = end
				l.emit(Type, start, end, name)
				l.operandEnd = end
				l.mode = modeOperand
				return true
			}
			depth--
			i++
			continue
		}
		return false
	}
	return false
}

// scanMember scans a member name after '.' or '::'.
func (l *lexer) scanMember() {
	start := l.pos
	i := start
	for i < len(l.src) {
		r, w := l.peek(i)
		if r == '`' {
			n, nw := l.peek(i + 1)
			if nw == 0 || isNewline(n) {
				break
			}
			i += 1 + nw
			continue
		}
		if !isNameChar(r) {
			break
		}
		i += w
	}
	if i == start {
		_, w := l.peek(i)
		i += w
	}
	l.pos = i
	l.emit(Member, start, i, unescapeTicks(l.src[start:i]))
	l.operandEnd = i
	if l.mode != modeArgs && l.mode != modeHashKey {
		l.mode = modeExpr
	}
}

var dashOperators = map[string]struct{}{}

func init() {
	for _, op := range strings.Fields(`and or xor not band bor bxor bnot shl shr f join split replace
		is isnot as eq ne gt ge lt le like notlike match notmatch contains notcontains in notin`) {
		dashOperators[op] = struct{}{}
	}
	for _, op := range strings.Fields(`eq ne gt ge lt le like notlike match notmatch contains notcontains in notin replace split`) {
		dashOperators["c"+op] = struct{}{}
		dashOperators["i"+op] = struct{}{}
	}
}

var keywords = map[string]struct{}{}

func init() {
	for _, k := range strings.Fields(`begin break catch class continue data define do dynamicparam else
		elseif end enum exit filter finally for foreach from function hidden if in inlinescript
		parallel param process return sequence static switch throw trap try until using var while
		workflow configuration`) {
		keywords[k] = struct{}{}
	}
}

func isKeyword(s string) bool {
	if len(s) > 16 {
		return false
	}
	_, ok := keywords[lowerASCII(s)]
	return ok
}
