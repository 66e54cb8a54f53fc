package pwsh

import (
	"context"
	"strings"
	"time"
)

// The evaluator walks a script the way PowerShell would, but it only
// computes values: strings, characters, numbers, arrays, bytes and a few
// modelled objects (streams, encodings). It never runs a command, never
// touches the network or the file system. Commands that would have an
// effect are recorded as facts; text handed to Invoke-Expression,
// powershell.exe or cmd.exe is recorded as a sink, which becomes the next
// layer. Values it cannot know (a download, a random number) are unknown
// and stay unknown.

type sinkKind uint8

const (
	sinkScript     sinkKind = iota // PowerShell text run by Invoke-Expression and friends
	sinkCmdLine                    // a Windows command line: powershell.exe, cmd.exe, WScript.Shell.Run
	sinkHostScript                 // VBScript or JScript text (mshta vbscript:..., rundll32 javascript:...)
	sinkDecoded                    // decoded text that was not visibly run
)

type sink struct {
	kind sinkKind
	text string
	tech tech
	via  string // how it ran: "Invoke-Expression", "powershell.exe", ...
	pos  int    // span of the expression in the layer text
	end  int
}

type factKind uint8

const (
	factCommand     factKind = iota // a command call, name resolved
	factDownload                    // content fetched from the network
	factRun                         // a program or file started
	factWrite                       // a file written
	factExecNet                     // downloaded content executed
	factExecUnknown                 // text of unknown origin executed
	factLoad                        // an assembly loaded from bytes
)

type fact struct {
	kind   factKind
	name   string   // canonical command name, or the method ("DownloadString")
	params []string // parameter names as written, lower case, without dash
	pvals  []string // the value of each parameter, "" when unknown or a switch
	args   []string // known argument values
	url    string
	path   string
	pos    int
	end    int
}

type fold struct {
	pos, end int
	text     string
	tech     tech
}

type evalLimits struct {
	maxSteps     int
	maxBytes     int
	maxCallDepth int
	deadline     time.Time
}

type evaluator struct {
	ctx       context.Context
	lim       evalLimits
	src       string
	vars      map[string]value
	funcs     map[string]*funcDef
	steps     int
	aborted   bool
	callDepth int
	flow      string // "return", "break", "continue", "exit", "throw" while unwinding
	sinks     []sink
	facts     []fact
	folds     []fold
	downloads map[string]bool   // lower-case destination paths of downloads
	aliases   map[string]string // Set-Alias done by the script
	// curPos and curEnd are the span of the expression being evaluated,
	// for facts and sinks found deep inside member calls.
	curPos, curEnd int
	// lastOutput is what the last program of a cmd.exe line writes to a
	// pipe: downloads print what they fetched.
	lastOutput value
}

func newEvaluator(ctx context.Context, src string, lim evalLimits) *evaluator {
	return &evaluator{
		ctx:       ctx,
		lim:       lim,
		src:       src,
		vars:      map[string]value{},
		funcs:     map[string]*funcDef{},
		downloads: map[string]bool{},
		aliases:   map[string]string{},
	}
}

// run parses and evaluates the layer text.
func (e *evaluator) run() {
	b := parseScript(e.src, e.lim.maxSteps)
	e.exec(b)
}

// tick counts one step and reports whether the evaluation must stop.
func (e *evaluator) tick() bool {
	if e.aborted {
		return true
	}
	e.steps++
	if e.steps > e.lim.maxSteps {
		e.aborted = true
		return true
	}
	if e.steps&1023 == 0 {
		if e.ctx.Err() != nil || !e.lim.deadline.IsZero() && time.Now().After(e.lim.deadline) {
			e.aborted = true
			return true
		}
	}
	return false
}

// exec runs a statement and returns its output.
func (e *evaluator) exec(n node) []value {
	if n == nil || e.tick() {
		return nil
	}
	switch n := n.(type) {
	case *block:
		var out []value
		for _, s := range n.stmts {
			out = append(out, e.exec(s)...)
			if e.flow != "" || e.aborted {
				break
			}
		}
		return out
	case *pipeline:
		return e.runPipeline(n)
	case *assignment:
		e.assign(n)
		return nil
	case *command:
		return e.runCommand(n, nil, false)
	case *ifStmt:
		return e.execIf(n)
	case *loopStmt:
		return e.execLoop(n)
	case *funcDef:
		if n.name != "" {
			e.funcs[n.name] = n
			return nil
		}
		for _, d := range n.params {
			if _, set := e.vars[d.name]; !set && d.def != nil {
				e.vars[d.name] = e.eval(d.def)
			}
		}
		return nil
	case *flowStmt:
		var out []value
		if n.value != nil {
			out = e.exec(n.value)
		}
		e.flow = n.kind
		if n.kind == "throw" {
			return nil
		}
		return out
	case *tryStmt:
		out := e.exec(n.body)
		if e.flow == "throw" {
			e.flow = ""
			for _, c := range n.catches {
				out = append(out, e.exec(c)...)
				break
			}
		}
		if n.finally != nil {
			saved := e.flow
			e.flow = ""
			out = append(out, e.exec(n.finally)...)
			if e.flow == "" {
				e.flow = saved
			}
		}
		return out
	case *opaque:
		return nil
	}
	v := e.eval(n)
	if v.k == vNull {
		return nil
	}
	if v.k == vArray || v.k == vBytes {
		return v.elems()
	}
	return []value{v}
}

func (e *evaluator) execIf(n *ifStmt) []value {
	var out []value
	for i, c := range n.conds {
		cv := e.valueOf(c)
		b, ok := truthy(cv)
		if ok && !b {
			continue
		}
		out = append(out, e.exec(n.bodies[i])...)
		if ok {
			return out
		}
		// An unknown condition: follow every branch, so that what each
		// would do is seen.
	}
	if n.els != nil {
		out = append(out, e.exec(n.els)...)
	}
	return out
}

// maxIterations bounds one loop, on top of the step budget.
const maxIterations = 20000

func (e *evaluator) execLoop(n *loopStmt) []value {
	var out []value
	body := func() bool {
		out = append(out, e.exec(n.body)...)
		switch e.flow {
		case "break":
			e.flow = ""
			return false
		case "continue":
			e.flow = ""
		case "":
		default:
			return false
		}
		return !e.aborted
	}
	switch n.kind {
	case "foreach":
		coll := e.valueOf(n.collection)
		if !coll.known() {
			e.vars[n.variable] = coll
			body()
			return out
		}
		for i, x := range coll.elems() {
			if i >= maxIterations {
				break
			}
			e.vars[n.variable] = x
			if !body() {
				break
			}
		}
	case "for", "while", "do", "dountil":
		if n.init != nil {
			e.exec(n.init)
		}
		limit := maxIterations
		if constantCondition(n.cond) {
			// while ($true) { ... Start-Sleep ... }: a beacon or a wait loop,
			// whose body shows what it does after one or two rounds
			limit = 2
		}
		for i := 0; i < limit; i++ {
			if n.kind == "for" || n.kind == "while" || i > 0 {
				if n.cond != nil {
					b, ok := truthy(e.valueOf(n.cond))
					if n.kind == "dountil" {
						b = !b
					}
					if !ok {
						// run the body once to see what it does
						if i == 0 {
							body()
						}
						break
					}
					if !b {
						break
					}
				} else if n.kind == "while" {
					break
				}
			}
			if !body() {
				break
			}
			if n.iter != nil {
				e.exec(n.iter)
			}
		}
	}
	return out
}

// constantCondition reports a loop condition that cannot change: none,
// $true, 1 or another literal.
func constantCondition(n node) bool {
	switch c := n.(type) {
	case nil:
		return true
	case *literal:
		return true
	case *varRef:
		return c.name == "true"
	case *subexpr:
		if len(c.body.stmts) == 1 {
			return constantCondition(c.body.stmts[0])
		}
	}
	return false
}

// valueOf evaluates a statement or expression to one value.
func (e *evaluator) valueOf(n node) value {
	switch n.(type) {
	case *command, *pipeline, *ifStmt, *loopStmt, *block, *tryStmt, *assignment, *flowStmt, *funcDef, *opaque:
		out := e.exec(n)
		return flatten(out)
	case nil:
		return null
	}
	return e.eval(n)
}

func (e *evaluator) assign(a *assignment) {
	v := e.valueOf(a.value)
	if a.op != "=" {
		cur := e.eval(a.target)
		switch a.op {
		case "+=":
			v = e.binop("+", cur, v)
		case "-=":
			v = e.binop("-", cur, v)
		case "*=":
			v = e.binop("*", cur, v)
		case "/=":
			v = e.binop("/", cur, v)
		case "%=":
			v = e.binop("%", cur, v)
		case "??=":
			if cur.k != vNull {
				return
			}
		}
	}
	e.assignTo(a.target, v)
}

func (e *evaluator) assignTo(target node, v value) {
	switch t := target.(type) {
	case *varRef:
		e.setVar(t.name, v)
	case *cast:
		v = e.castTo(t.typ, v)
		e.assignTo(t.x, v)
	case *arrayLit:
		elems := v.elems()
		for i, x := range t.elems {
			switch {
			case i == len(t.elems)-1 && len(elems) > i+1:
				e.assignTo(x, array(elems[i:]))
			case i < len(elems):
				e.assignTo(x, elems[i])
			default:
				e.assignTo(x, null)
			}
		}
	case *indexNode, *memberNode:
		// Element and property assignments: the evaluator does not model
		// them, so the variable they change becomes unknown.
		if root := rootVar(target); root != nil {
			cur, ok := e.vars[root.name]
			m, direct := target.(*memberNode)
			direct = direct && m.x == node(root)
			switch {
			case ok && cur.k == vHash && direct:
				if name, ok := toString(e.memberNameOf(m)); ok {
					cur.h.set(name, v)
					return
				}
			case ok && cur.k == vObject:
				// an object keeps its identity; a property set on it
				// directly is remembered (ProcessStartInfo.Arguments)
				if direct {
					if name, ok := toString(e.memberNameOf(m)); ok {
						if cur.obj.props == nil {
							cur.obj.props = map[string]value{}
						}
						cur.obj.props[strings.ToLower(name)] = v
					}
				}
				return
			}
			e.vars[root.name] = unknownOf(v)
		}
	}
}

func rootVar(n node) *varRef {
	for {
		switch t := n.(type) {
		case *varRef:
			return t
		case *indexNode:
			n = t.x
		case *memberNode:
			n = t.x
		default:
			return nil
		}
	}
}

func (e *evaluator) setVar(name string, v value) {
	if strings.HasPrefix(name, "env:") {
		e.vars[name] = v
		return
	}
	e.vars[name] = v
}

func (e *evaluator) getVar(name string) value {
	if v, ok := e.vars[name]; ok {
		return v
	}
	if strings.HasPrefix(name, "env:") {
		if s, ok := environment[name[4:]]; ok {
			return str(s).with(techEnvSource)
		}
		return unknown
	}
	if v, ok := automaticVariables[name]; ok {
		return v.with(techEnvSource)
	}
	return unknown
}

// eval computes the value of an expression.
func (e *evaluator) eval(n node) value {
	if n == nil {
		return null
	}
	if e.tick() {
		return unknown
	}
	var v value
	switch n := n.(type) {
	case *literal:
		return n.v
	case *expandable:
		return e.expand(n.parts)
	case *wordNode:
		if n.parts != nil {
			return e.expand(n.parts)
		}
		return str(n.text)
	case *varRef:
		return e.getVar(n.name)
	case *typeLit:
		return typeVal(n.name)
	case *scriptBlock:
		return value{k: vScript, s: n.text, obj: &object{class: "scriptblock", block: n}}
	case *binary:
		if strings.HasSuffix(n.op, "match") {
			l, r := e.eval(n.l), e.eval(n.r)
			v = e.binop(n.op, l, r)
			e.setMatches(n.op, l, r, v)
			break
		}
		if n.op == "-and" || n.op == "-or" {
			l := e.eval(n.l)
			if b, ok := truthy(l); ok && b == (n.op == "-or") {
				return boolean(b)
			}
			v = e.binop(n.op, l, e.eval(n.r))
		} else {
			v = e.binop(n.op, e.eval(n.l), e.eval(n.r))
		}
	case *unary:
		if n.op == "++" || n.op == "--" {
			cur := e.eval(n.x)
			d := int64(1)
			if n.op == "--" {
				d = -1
			}
			v = e.binop("+", cur, num(d))
			e.assignTo(n.x, v)
			return v
		}
		v = e.unop(n.op, e.eval(n.x))
	case *cast:
		v = e.castTo(n.typ, e.eval(n.x))
	case *memberNode:
		sp, se := e.curPos, e.curEnd
		e.curPos, e.curEnd = n.pos, n.end
		v = e.member(n, nil, false)
		e.curPos, e.curEnd = sp, se
	case *invokeNode:
		sp, se := e.curPos, e.curEnd
		e.curPos, e.curEnd = n.pos, n.end
		v = e.member(n.target, n.args, true)
		e.curPos, e.curEnd = sp, se
	case *indexNode:
		v = e.index(e.eval(n.x), e.eval(n.idx))
	case *arrayLit:
		out := make([]value, 0, len(n.elems))
		var t tech
		for _, x := range n.elems {
			ev := e.eval(x)
			t |= ev.tech
			out = append(out, ev)
		}
		return value{k: vArray, arr: out, tech: t}
	case *subexpr:
		switch n.kind {
		case "@(":
			out := e.exec(n.body)
			var t tech
			for _, x := range out {
				t |= x.tech
			}
			return value{k: vArray, arr: out, tech: t}
		case "(":
			if len(n.body.stmts) == 1 {
				v = e.valueOf(n.body.stmts[0])
				break
			}
			v = flatten(e.exec(n.body))
		default:
			v = flatten(e.exec(n.body))
		}
	case *hashLit:
		h := &hashtable{vals: map[string]value{}}
		for i, k := range n.keys {
			ks, ok := toString(e.eval(k))
			if !ok {
				continue
			}
			h.set(ks, e.valueOf(n.vals[i]))
		}
		return value{k: vHash, h: h}
	case *command, *pipeline, *ifStmt, *loopStmt, *tryStmt, *block, *assignment, *flowStmt, *funcDef:
		return e.valueOf(n)
	default:
		return unknown
	}
	if (v.k == vString || v.k == vChar) && v.tech&^(techEnvSource|techNetwork) != 0 {
		e.recordFold(n, v)
	}
	return v
}

// setMatches sets $matches after -match, as PowerShell does: the groups of
// a known match, or an unknown carrying the operands' origin (text from a
// DNS TXT record stays "from the network").
func (e *evaluator) setMatches(op string, l, r, result value) {
	if !l.known() || !r.known() {
		e.vars["matches"] = unknownOf(l, r)
		return
	}
	if op == "-notmatch" || result.k != vBool || result.n == 0 {
		return
	}
	s, ok1 := toString(l)
	p, ok2 := toString(r)
	if !ok1 || !ok2 {
		return
	}
	re, ok := compileDotNetRegex(p, op != "-cmatch")
	if !ok {
		return
	}
	m := re.FindStringSubmatch(s)
	h := &hashtable{vals: map[string]value{}}
	for i, g := range m {
		h.set(itoa(i), str(g))
	}
	for i, name := range re.SubexpNames() {
		if name != "" && i < len(m) {
			h.set(name, str(m[i]))
		}
	}
	e.vars["matches"] = value{k: vHash, h: h, tech: l.tech}
}

func (h *hashtable) set(k string, v value) {
	lk := strings.ToLower(k)
	if _, ok := h.vals[lk]; !ok {
		h.keys = append(h.keys, k)
	}
	h.vals[lk] = v
}

func (h *hashtable) get(k string) (value, bool) {
	v, ok := h.vals[strings.ToLower(k)]
	return v, ok
}

// maxFold bounds the folded strings kept for one layer.
const maxFold = 1 << 16

func (e *evaluator) recordFold(n node, v value) {
	s, ok := toString(v)
	if !ok || len(s) > maxFold || len(e.folds) > 4096 {
		return
	}
	pos, end := n.span()
	if end <= pos || end > len(e.src) {
		return
	}
	e.folds = append(e.folds, fold{pos: pos, end: end, text: s, tech: v.tech})
}

// expand concatenates the parts of an expandable string.
func (e *evaluator) expand(parts []node) value {
	var b strings.Builder
	var t tech
	for _, p := range parts {
		var v value
		switch p := p.(type) {
		case *literal:
			v = p.v
		case *subexpr:
			v = flatten(e.exec(p.body))
		default:
			v = e.eval(p)
		}
		t |= v.tech
		s, ok := toString(v)
		if !ok {
			return value{k: vUnknown, tech: t}
		}
		b.WriteString(s)
		if b.Len() > e.lim.maxBytes {
			return unknown
		}
	}
	return value{k: vString, s: b.String(), tech: t &^ techEnvSource}
}

// index implements $x[i], $x[i,j], $x[-1..-n].
func (e *evaluator) index(x, idx value) value {
	if !x.known() || !idx.known() {
		return unknownOf(x, idx)
	}
	t := x.tech
	if t&techEnvSource != 0 {
		t |= techEnvHiding
	}
	if idx.k == vArray {
		out := make([]value, 0, len(idx.arr))
		desc := len(idx.arr) > 2
		var prev int64
		for i, ix := range idx.arr {
			v := e.index1(x, ix)
			if !v.known() {
				return unknownOf(x, idx)
			}
			out = append(out, v)
			if n, ok := toInt(ix); ok {
				if i > 0 && n != prev-1 {
					desc = false
				}
				prev = n
			}
		}
		a := array(out)
		a.tech = t | idx.tech
		if desc {
			a.tech |= techReverse
		}
		return a
	}
	v := e.index1(x, idx)
	if v.known() {
		v.tech |= t | idx.tech
	}
	return v
}

func (e *evaluator) index1(x, ix value) value {
	if x.k == vHash {
		k, ok := toString(ix)
		if !ok {
			return unknown
		}
		if v, ok := x.h.get(k); ok {
			return v
		}
		return null
	}
	n, ok := toInt(ix)
	if !ok {
		return unknown
	}
	switch x.k {
	case vString:
		r := []rune(x.s)
		if n < 0 {
			n += int64(len(r))
		}
		if n < 0 || n >= int64(len(r)) {
			return null
		}
		return char(r[n])
	case vArray, vBytes:
		l := int64(x.length())
		if n < 0 {
			n += l
		}
		if n < 0 || n >= l {
			return null
		}
		return x.elem(int(n))
	case vObject:
		if x.obj.class == "match" && n == 0 {
			return str(x.obj.name)
		}
		return unknown
	case vNull:
		return null
	}
	if n == 0 || n == -1 {
		return x
	}
	return null
}

// runPipeline passes the output of each element to the next.
func (e *evaluator) runPipeline(p *pipeline) []value {
	var input []value
	for i, el := range p.elems {
		if e.aborted {
			return nil
		}
		if c, ok := el.(*command); ok {
			input = e.runCommand(c, input, i > 0)
			continue
		}
		if i == 0 {
			input = e.exec(el)
			continue
		}
		input = []value{unknown}
	}
	return input
}

// scriptValue makes a scriptblock value from text computed at run time.
func (e *evaluator) scriptValue(text string, t tech) value {
	return value{k: vScript, s: text, tech: t}
}

// callScript runs a scriptblock value with $_ bound to each input item
// (ForEach-Object) or once with arguments. A scriptblock whose text was
// computed at run time is a layer of its own, recorded as a sink.
func (e *evaluator) callScript(sb value, args []value, pos, end int) []value {
	if sb.obj == nil || sb.obj.block == nil {
		e.addSink(sinkScript, sb.s, sb.tech, "ScriptBlock.Invoke", pos, end)
		return []value{unknown}
	}
	blk := sb.obj.block
	return e.callBlock(blk.body, blk.params, args, nil)
}

// callBlock runs a block with parameters bound to args; dollarUnder, when
// set, is $_.
func (e *evaluator) callBlock(body *block, params []paramDecl, args []value, dollarUnder *value) []value {
	if e.callDepth >= e.lim.maxCallDepth {
		return []value{unknown}
	}
	e.callDepth++
	defer func() { e.callDepth-- }()
	saved := map[string]*value{}
	save := func(name string) {
		if _, done := saved[name]; done {
			return
		}
		if v, ok := e.vars[name]; ok {
			saved[name] = &v
		} else {
			saved[name] = nil
		}
	}
	save("args")
	e.vars["args"] = array(args)
	for i, p := range params {
		save(p.name)
		switch {
		case i < len(args) && !(args[i].k == vNull && p.def != nil):
			e.vars[p.name] = args[i]
		case p.def != nil:
			e.vars[p.name] = e.eval(p.def)
		default:
			e.vars[p.name] = null
		}
	}
	if dollarUnder != nil {
		save("_")
		save("psitem")
		e.vars["_"] = *dollarUnder
		e.vars["psitem"] = *dollarUnder
	}
	out := e.exec(body)
	if e.flow == "return" {
		e.flow = ""
	}
	for name, v := range saved {
		if v == nil {
			delete(e.vars, name)
		} else {
			e.vars[name] = *v
		}
	}
	return out
}

func (e *evaluator) addSink(kind sinkKind, text string, t tech, via string, pos, end int) {
	if len(e.sinks) >= 256 {
		return
	}
	if pos == 0 && end == 0 {
		pos, end = e.curPos, e.curEnd
	}
	e.sinks = append(e.sinks, sink{kind: kind, text: text, tech: t, via: via, pos: pos, end: end})
}

func (e *evaluator) addFact(f fact) {
	if len(e.facts) >= 4096 {
		return
	}
	if f.pos == 0 && f.end == 0 {
		f.pos, f.end = e.curPos, e.curEnd
	}
	e.facts = append(e.facts, f)
}
