package pwsh

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Operators of the evaluator, with PowerShell's conversions: the left
// operand decides (string + anything concatenates, array + x appends,
// number + string parses the string), string comparisons ignore case unless
// the operator starts with c.

func unknownOf(vs ...value) value {
	v := unknown
	for _, x := range vs {
		v.tech |= x.tech
	}
	return v
}

func (e *evaluator) binop(op string, l, r value) value {
	if !l.known() || !r.known() {
		return unknownOf(l, r)
	}
	t := l.tech | r.tech
	var v value
	switch op {
	case "+":
		v = e.add(l, r)
	case "-", "*", "/", "%":
		v = e.arith(op, l, r)
	case "-f":
		v = e.format(l, r)
	case "-join":
		v = e.join(l, r)
	case "-split", "-isplit", "-csplit":
		v = e.split(l, r, op == "-csplit")
	case "-replace", "-ireplace", "-creplace":
		v = e.replace(l, r, op == "-creplace")
	case "-band", "-bor", "-bxor", "-shl", "-shr":
		v = bitwise(op, l, r)
	case "..":
		v = e.rangeOp(l, r)
	case "-and", "-or", "-xor":
		a, ok1 := truthy(l)
		b, ok2 := truthy(r)
		if !ok1 || !ok2 {
			return unknownOf(l, r)
		}
		switch op {
		case "-and":
			v = boolean(a && b)
		case "-or":
			v = boolean(a || b)
		default:
			v = boolean(a != b)
		}
	case "-as":
		if r.k == vType {
			v = e.castTo(r.s, l)
		} else if s, ok := toString(r); ok {
			v = e.castTo(s, l)
		} else {
			v = unknown
		}
	case "-is", "-isnot":
		v = unknown
	default:
		v = compare(op, l, r)
	}
	if !v.known() {
		return unknownOf(l, r)
	}
	v.tech |= t
	return e.limit(v)
}

func (e *evaluator) add(l, r value) value {
	switch l.k {
	case vChar:
		// PowerShell adds to a [char] as to a string: $s[9]+$s[2] spells
		return e.add(str(string(rune(l.n))), r)
	case vString:
		s, ok := toString(r)
		if !ok {
			return unknown
		}
		return str(l.s + s).with(techConcat)
	case vArray, vBytes:
		// a += in a loop copies the array every time: charge for it
		e.steps += (l.length() + r.length()) / 64
		if l.length()+r.length() > e.lim.maxBytes/16 {
			return unknown
		}
		out := append(append(make([]value, 0, l.length()+r.length()), l.elems()...), r.elems()...)
		return array(out)
	case vNull:
		return r
	case vHash:
		return unknown
	}
	return e.arith("+", l, r)
}

func (e *evaluator) arith(op string, l, r value) value {
	if op == "*" {
		switch l.k {
		case vString:
			n, ok := toInt(r)
			if !ok || n < 0 || int64(len(l.s))*n > int64(e.lim.maxBytes) {
				return unknown
			}
			return str(strings.Repeat(l.s, int(n)))
		case vArray, vBytes:
			n, ok := toInt(r)
			if !ok || n < 0 || int64(l.length())*n*16 > int64(e.lim.maxBytes) {
				return unknown
			}
			var out []value
			for i := int64(0); i < n; i++ {
				out = append(out, l.elems()...)
			}
			return array(out)
		}
	}
	if l.k == vFloat || r.k == vFloat || op == "/" {
		a, ok1 := toFloat(l)
		b, ok2 := toFloat(r)
		if !ok1 || !ok2 {
			return unknown
		}
		var f float64
		switch op {
		case "+":
			f = a + b
		case "-":
			f = a - b
		case "*":
			f = a * b
		case "/":
			if b == 0 {
				return unknown
			}
			f = a / b
		case "%":
			if b == 0 {
				return unknown
			}
			f = math.Mod(a, b)
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 && l.k != vFloat && r.k != vFloat {
			return num(int64(f))
		}
		return value{k: vFloat, f: f}
	}
	if r.k == vString && strings.ContainsAny(r.s, ".eE") {
		if _, err := strconv.ParseInt(strings.TrimSpace(r.s), 10, 64); err != nil {
			return e.arith(op, value{k: vFloat, f: mustFloat(l)}, r)
		}
	}
	a, ok1 := toInt(l)
	b, ok2 := toInt(r)
	if !ok1 || !ok2 {
		return unknown
	}
	switch op {
	case "+":
		return num(a + b)
	case "-":
		return num(a - b)
	case "*":
		return num(a * b)
	case "%":
		if b == 0 {
			return unknown
		}
		return num(a % b)
	}
	return unknown
}

func mustFloat(v value) float64 {
	f, _ := toFloat(v)
	return f
}

func bitwise(op string, l, r value) value {
	a, ok1 := toInt(l)
	b, ok2 := toInt(r)
	if !ok1 || !ok2 {
		return unknown
	}
	switch op {
	case "-band":
		return num(a & b)
	case "-bor":
		return num(a | b)
	case "-bxor":
		return num(a ^ b).with(techBxor)
	case "-shl":
		if b < 0 || b > 63 {
			return unknown
		}
		return num(a << uint(b))
	case "-shr":
		if b < 0 || b > 63 {
			return unknown
		}
		return num(a >> uint(b))
	}
	return unknown
}

func (e *evaluator) rangeOp(l, r value) value {
	if l.k == vChar || l.k == vString && utf8.RuneCountInString(l.s) == 1 && !isDigit(rune(l.s[0])) {
		a, ok1 := toChar(l)
		b, ok2 := toChar(r)
		if !ok1 || !ok2 {
			return unknown
		}
		return e.intRange(int64(a), int64(b), func(n int64) value { return char(rune(n)) })
	}
	a, ok1 := toInt(l)
	b, ok2 := toInt(r)
	if !ok1 || !ok2 {
		return unknown
	}
	return e.intRange(a, b, num)
}

func (e *evaluator) intRange(a, b int64, mk func(int64) value) value {
	n := b - a
	if n < 0 {
		n = -n
	}
	if n+1 > int64(e.lim.maxBytes/16) || n < 0 {
		return unknown
	}
	out := make([]value, 0, n+1)
	step := int64(1)
	if b < a {
		step = -1
	}
	for i := a; ; i += step {
		out = append(out, mk(i))
		if i == b {
			break
		}
	}
	return array(out)
}

// join implements -join: elements converted to strings, separated by r.
func (e *evaluator) join(l, r value) value {
	sep, ok := toString(r)
	if !ok {
		return unknown
	}
	return e.joinWith(l, sep)
}

func (e *evaluator) joinWith(l value, sep string) value {
	var b strings.Builder
	n := l.length()
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(sep)
		}
		s, ok := toString(l.elem(i))
		if !ok {
			return unknownOf(l)
		}
		b.WriteString(s)
		if b.Len() > e.lim.maxBytes {
			return unknown
		}
	}
	return str(b.String()).with(techJoin | l.tech)
}

// split implements -split: a regular expression, case-insensitive unless
// csplit, with an optional maximum count and SimpleMatch option.
func (e *evaluator) split(l, r value, caseSensitive bool) value {
	pattern, max, simple := "", 0, false
	opts := r.elems()
	if r.k != vArray {
		opts = []value{r}
	}
	if len(opts) == 0 {
		return unknown
	}
	var ok bool
	if pattern, ok = toString(opts[0]); !ok {
		return unknown
	}
	if len(opts) > 1 {
		n, ok := toInt(opts[1])
		if !ok {
			return unknown
		}
		max = int(n)
	}
	if len(opts) > 2 {
		o, _ := toString(opts[2])
		simple = strings.Contains(strings.ToLower(o), "simplematch")
		if strings.Contains(strings.ToLower(o), "ignorecase") {
			caseSensitive = false
		}
	}
	if simple {
		pattern = regexp.QuoteMeta(pattern)
	}
	re, ok := compileDotNetRegex(pattern, !caseSensitive)
	if !ok {
		return unknown
	}
	var out []value
	for _, item := range l.elems() {
		s, ok := toString(item)
		if !ok {
			return unknown
		}
		n := -1
		if max > 0 {
			n = max
		}
		for _, part := range re.Split(s, n) {
			out = append(out, str(part))
		}
		if len(out) > e.lim.maxBytes/16 {
			return unknown
		}
	}
	return array(out).with(techSplit)
}

func (e *evaluator) replace(l, r value, caseSensitive bool) value {
	opts := r.elems()
	if r.k != vArray {
		opts = []value{r}
	}
	if len(opts) == 0 || len(opts) > 2 {
		return unknown
	}
	pattern, ok := toString(opts[0])
	if !ok {
		return unknown
	}
	repl := ""
	if len(opts) == 2 {
		if repl, ok = toString(opts[1]); !ok {
			return unknown
		}
	}
	re, ok := compileDotNetRegex(pattern, !caseSensitive)
	if !ok {
		return unknown
	}
	repl = dotNetReplacement(repl)
	do := func(v value) value {
		s, ok := toString(v)
		if !ok {
			return unknown
		}
		out := re.ReplaceAllString(s, repl)
		if len(out) > e.lim.maxBytes {
			return unknown
		}
		return str(out).with(techReplace)
	}
	if l.k == vArray {
		out := make([]value, 0, len(l.arr))
		for _, x := range l.arr {
			v := do(x)
			if !v.known() {
				return unknown
			}
			out = append(out, v)
		}
		return array(out).with(techReplace)
	}
	return do(l)
}

// dotNetReplacement converts a .NET replacement pattern to Go's: both use
// $1 and ${name}; .NET's $$ is a literal dollar, as in Go. $0 is the match in
// both. $_ (the whole input) and $` $' have no Go equivalent and stay text.
func dotNetReplacement(s string) string {
	return s
}

var regexCache sync.Map // pattern + flags -> *regexp.Regexp or nil

// compileDotNetRegex compiles a .NET regular expression with Go's RE2
// engine, which runs in linear time on any input. Constructs RE2 lacks
// (backreferences, lookaround) make it fail: the caller then gives up.
func compileDotNetRegex(pattern string, ignoreCase bool) (*regexp.Regexp, bool) {
	if len(pattern) > 4096 {
		return nil, false
	}
	key := pattern
	if ignoreCase {
		key = "i\x00" + pattern
	} else {
		key = "c\x00" + pattern
	}
	if v, ok := regexCache.Load(key); ok {
		re, _ := v.(*regexp.Regexp)
		return re, re != nil
	}
	p := pattern
	if ignoreCase {
		p = "(?i)" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		re = nil
	}
	regexCache.Store(key, re)
	return re, re != nil
}

var wildcardCache sync.Map

// wildcardRegexp converts a -like pattern to an anchored, case-insensitive
// regular expression.
func wildcardRegexp(pattern string) (*regexp.Regexp, bool) {
	if v, ok := wildcardCache.Load(pattern); ok {
		re, _ := v.(*regexp.Regexp)
		return re, re != nil
	}
	var b strings.Builder
	b.WriteString("(?is)^")
	inClass := false
	for _, r := range pattern {
		switch {
		case inClass:
			if r == ']' {
				inClass = false
				b.WriteByte(']')
			} else if r == '\\' || r == '^' {
				b.WriteString(regexp.QuoteMeta(string(r)))
			} else {
				b.WriteRune(r)
			}
		case r == '*':
			b.WriteString(".*")
		case r == '?':
			b.WriteByte('.')
		case r == '[':
			inClass = true
			b.WriteByte('[')
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if inClass {
		b.WriteByte(']')
	}
	b.WriteByte('$')
	re, err := regexp.Compile(b.String())
	if err != nil {
		re = nil
	}
	if len(pattern) < 256 {
		wildcardCache.Store(pattern, re)
	}
	return re, re != nil
}

// compare implements the comparison operators; an array on the left
// filters, as in PowerShell.
func compare(op string, l, r value) value {
	o := strings.TrimPrefix(op, "-")
	cs := false
	if len(o) > 2 && (o[0] == 'c' || o[0] == 'i') && o != "contains" && o != "in" {
		cs = o[0] == 'c'
		o = o[1:]
	}
	switch o {
	case "contains", "notcontains":
		found := false
		for _, x := range l.elems() {
			if b, ok := equal(x, r, cs); ok && b {
				found = true
			}
		}
		return boolean(found == (o == "contains"))
	case "in", "notin":
		found := false
		for _, x := range r.elems() {
			if b, ok := equal(l, x, cs); ok && b {
				found = true
			}
		}
		return boolean(found == (o == "in"))
	}
	if l.k == vArray {
		var out []value
		for _, x := range l.arr {
			b := compare(op, x, r)
			if !b.known() {
				return unknown
			}
			if b.n != 0 {
				out = append(out, x)
			}
		}
		return array(out)
	}
	switch o {
	case "eq", "ne":
		b, ok := equal(l, r, cs)
		if !ok {
			return unknown
		}
		return boolean(b == (o == "eq"))
	case "gt", "ge", "lt", "le":
		c, ok := order(l, r, cs)
		if !ok {
			return unknown
		}
		switch o {
		case "gt":
			return boolean(c > 0)
		case "ge":
			return boolean(c >= 0)
		case "lt":
			return boolean(c < 0)
		}
		return boolean(c <= 0)
	case "like", "notlike":
		s, ok1 := toString(l)
		p, ok2 := toString(r)
		if !ok1 || !ok2 {
			return unknown
		}
		re, ok := wildcardRegexp(p)
		if !ok {
			return unknown
		}
		m := re.MatchString(s)
		if cs {
			m = m && caseSensitiveLike(p, s)
		}
		return boolean(m == (o == "like"))
	case "match", "notmatch":
		s, ok1 := toString(l)
		p, ok2 := toString(r)
		if !ok1 || !ok2 {
			return unknown
		}
		re, ok := compileDotNetRegex(p, !cs)
		if !ok {
			return unknown
		}
		return boolean(re.MatchString(s) == (o == "match"))
	}
	return unknown
}

func caseSensitiveLike(p, s string) bool {
	re, err := regexp.Compile(strings.TrimPrefix(mustWildcard(p), "(?is)"))
	return err == nil && re.MatchString(s)
}

func mustWildcard(p string) string {
	re, ok := wildcardRegexp(p)
	if !ok {
		return "$^"
	}
	return re.String()
}

func equal(l, r value, cs bool) (bool, bool) {
	switch l.k {
	case vString, vChar:
		a, ok1 := toString(l)
		b, ok2 := toString(r)
		if !ok1 || !ok2 {
			return false, false
		}
		if cs {
			return a == b, true
		}
		return strings.EqualFold(a, b), true
	case vInt, vFloat, vBool:
		a, ok1 := toFloat(l)
		b, ok2 := toFloat(r)
		if !ok1 || !ok2 {
			return false, true
		}
		return a == b, true
	case vNull:
		return r.k == vNull, true
	}
	return false, false
}

func order(l, r value, cs bool) (int, bool) {
	switch l.k {
	case vString:
		a := l.s
		b, ok := toString(r)
		if !ok {
			return 0, false
		}
		if !cs {
			a, b = strings.ToLower(a), strings.ToLower(b)
		}
		return strings.Compare(a, b), true
	case vInt, vFloat, vChar, vBool, vNull:
		a, ok1 := toFloat(l)
		b, ok2 := toFloat(r)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch {
		case a < b:
			return -1, true
		case a > b:
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func (e *evaluator) unop(op string, x value) value {
	if !x.known() {
		return unknownOf(x)
	}
	var v value
	switch op {
	case "!", "-not":
		b, ok := truthy(x)
		if !ok {
			return unknownOf(x)
		}
		v = boolean(!b)
	case "-bnot":
		n, ok := toInt(x)
		if !ok {
			return unknownOf(x)
		}
		v = num(^n)
	case "-":
		if x.k == vFloat {
			v = value{k: vFloat, f: -x.f}
		} else if n, ok := toInt(x); ok {
			v = num(-n)
		} else {
			return unknownOf(x)
		}
	case "+":
		v = x
	case "-join":
		v = e.joinWith(x, "")
	case "-split", "-isplit", "-csplit":
		var out []value
		for _, item := range x.elems() {
			s, ok := toString(item)
			if !ok {
				return unknownOf(x)
			}
			for _, f := range strings.Fields(s) {
				out = append(out, str(f))
			}
		}
		v = array(out).with(techSplit)
	case "++", "--":
		return unknownOf(x)
	default:
		return unknownOf(x)
	}
	v.tech |= x.tech
	return v
}

// normType reduces a type name to its lower-case short form: "System."
// dropped and accelerator spellings folded, so that [System.Text.Encoding],
// [Text.Encoding] and [TEXT.ENCODING] compare equal.
func normType(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "system.")
	switch n {
	case "int32", "int":
		return "int"
	case "int64", "long":
		return "long"
	case "int16", "short":
		return "short"
	case "uint32", "uint":
		return "uint"
	case "uint64", "ulong":
		return "ulong"
	case "uint16", "ushort":
		return "ushort"
	case "boolean":
		return "bool"
	case "single", "float":
		return "float"
	case "object[]":
		return "array"
	case "management.automation.scriptblock":
		return "scriptblock"
	case "text.regularexpressions.regex":
		return "regex"
	case "collections.arraylist":
		return "arraylist"
	case "management.automation.pscustomobject":
		return "pscustomobject"
	}
	return n
}

// castTo converts v to the named type.
func (e *evaluator) castTo(typ string, v value) value {
	if !v.known() {
		return unknownOf(v)
	}
	t := normType(typ)
	out := e.convert(t, v)
	if !out.known() {
		return unknownOf(v)
	}
	out.tech |= v.tech
	return e.limit(out)
}

func (e *evaluator) convert(t string, v value) value {
	switch t {
	case "string":
		s, ok := toString(v)
		if !ok {
			return unknown
		}
		return str(s)
	case "char":
		r, ok := toChar(v)
		if !ok {
			return unknown
		}
		out := char(r)
		if v.k == vInt || v.k == vFloat || v.k == vString && v.s != "" && isDigit(rune(v.s[0])) {
			out.tech |= techCharCodes
		}
		return out
	case "char[]":
		if v.k == vString {
			out := make([]value, 0, len(v.s))
			for _, r := range v.s {
				out = append(out, char(r))
			}
			return array(out)
		}
		var out []value
		coded := false
		for _, x := range v.elems() {
			r, ok := toChar(x)
			if !ok {
				return unknown
			}
			if x.k == vInt {
				coded = true
			}
			out = append(out, char(r))
		}
		a := array(out)
		if coded {
			a.tech |= techCharCodes
		}
		return a
	case "int", "long", "short", "uint", "ulong", "ushort", "byte", "sbyte", "decimal":
		if v.k == vArray && len(v.arr) != 1 || v.k == vBytes {
			return unknown
		}
		n, ok := toInt(v)
		if !ok {
			return unknown
		}
		switch t {
		case "byte":
			if n < 0 || n > 255 {
				return unknown
			}
		case "sbyte":
			if n < -128 || n > 127 {
				return unknown
			}
		case "short":
			if n < math.MinInt16 || n > math.MaxInt16 {
				return unknown
			}
		case "ushort":
			if n < 0 || n > math.MaxUint16 {
				return unknown
			}
		case "int":
			if n < math.MinInt32 || n > math.MaxInt32 {
				return unknown
			}
		case "uint":
			if n < 0 || n > math.MaxUint32 {
				return unknown
			}
		}
		return num(n)
	case "double", "float":
		f, ok := toFloat(v)
		if !ok {
			return unknown
		}
		return value{k: vFloat, f: f}
	case "bool":
		b, ok := truthy(v)
		if !ok {
			return unknown
		}
		return boolean(b)
	case "byte[]":
		if v.k == vBytes {
			return v
		}
		if v.k == vString {
			return unknown
		}
		b, ok := valueBytes(v)
		if !ok {
			return unknown
		}
		return bytesVal(b)
	case "int[]", "long[]", "int32[]", "int64[]", "uint32[]", "int16[]":
		var out []value
		for _, x := range v.elems() {
			n, ok := toInt(x)
			if !ok {
				return unknown
			}
			out = append(out, num(n))
		}
		return array(out)
	case "string[]":
		var out []value
		for _, x := range v.elems() {
			s, ok := toString(x)
			if !ok {
				return unknown
			}
			out = append(out, str(s))
		}
		return array(out)
	case "array", "object", "psobject", "arraylist", "collections.generic.list[object]", "collections.generic.list[string]":
		if t == "object" || t == "psobject" {
			return v
		}
		return array(append([]value{}, v.elems()...))
	case "scriptblock":
		s, ok := toString(v)
		if !ok {
			return unknown
		}
		return e.scriptValue(s, v.tech|techScriptBlock)
	case "type":
		s, ok := toString(v)
		if !ok {
			return unknown
		}
		return typeVal(s)
	case "regex":
		s, ok := toString(v)
		if !ok {
			return unknown
		}
		return objVal(&object{class: "regex", name: s})
	case "void":
		return null
	case "io.memorystream":
		b, ok := valueBytes(v)
		if !ok {
			return unknown
		}
		return objVal(&object{class: "memorystream", data: b})
	case "hashtable", "ordered":
		return v
	case "xml", "pscustomobject", "datetime", "guid", "uri", "ipaddress", "net.ipaddress", "version":
		return unknown
	}
	if v.k == vObject || v.k == vHash {
		return v
	}
	return unknown
}

// limit turns values larger than the output budget into unknowns.
func (e *evaluator) limit(v value) value {
	if sizeOf(v) > e.lim.maxBytes {
		return unknownOf(v)
	}
	return v
}
