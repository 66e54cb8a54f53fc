package pwsh

import (
	"sort"
	"strings"
)

// callInfo holds the evaluated arguments of one command call.
type callInfo struct {
	cmd        *command
	name       string // canonical
	named      map[string]value
	namedOrder []string
	positional []value
	posNodes   []node
	input      []value
	piped      bool
	nameTech   tech
}

// get returns the value of the first parameter whose name the caller
// abbreviated: PowerShell accepts any unambiguous prefix (-Uri as -u).
func (c *callInfo) get(names ...string) (value, bool) {
	for _, full := range names {
		for _, k := range c.namedOrder {
			if k != "" && strings.HasPrefix(full, k) {
				return c.named[k], true
			}
		}
	}
	return value{}, false
}

func (c *callInfo) has(names ...string) bool {
	_, ok := c.get(names...)
	return ok
}

// arg returns the named parameter, else the positional argument i.
func (c *callInfo) arg(i int, names ...string) (value, bool) {
	if v, ok := c.get(names...); ok {
		return v, true
	}
	if i >= 0 && i < len(c.positional) {
		return c.positional[i], true
	}
	return value{}, false
}

func (c *callInfo) argString(i int, names ...string) (string, bool) {
	v, ok := c.arg(i, names...)
	if !ok {
		return "", false
	}
	return toString(v)
}

// runCommand evaluates a command call.
func (e *evaluator) runCommand(c *command, input []value, piped bool) []value {
	if e.tick() {
		return []value{unknown}
	}
	var name string
	var nameTech tech
	switch n := c.name.(type) {
	case *wordNode:
		v := e.eval(n)
		s, ok := toString(v)
		if !ok {
			return e.unknownCommand(c)
		}
		name, nameTech = s, v.tech
	case nil:
		return nil
	default:
		v := e.eval(n)
		switch {
		case v.k == vScript:
			args := e.positionalArgs(c)
			if v.obj != nil && v.obj.block != nil && v.tech == 0 {
				return e.callBlock(v.obj.block.body, v.obj.block.params, args, nil)
			}
			e.addSink(sinkScript, v.s, v.tech|techScriptBlock, "& scriptblock", c.pos, c.end)
			return []value{unknown}
		case v.k == vObject && (v.obj.class == "commandinfo" || v.obj.class == "aliasinfo" || v.obj.class == "fileinfo"):
			name, nameTech = v.obj.name, v.tech
			if v.obj.class == "fileinfo" {
				name = v.obj.props["fullname"].s
			}
		case v.k == vString:
			name, nameTech = v.s, v.tech
		case v.k == vArray && len(v.arr) == 1 && v.arr[0].k == vObject:
			name, nameTech = v.arr[0].obj.name, v.tech
		default:
			return e.unknownCommand(c)
		}
	}
	ci := e.bindArgs(c, name, input, piped)
	ci.nameTech = nameTech
	if nameTech&techEnvSource != 0 {
		ci.nameTech |= techEnvHiding
	}
	f := fact{kind: factCommand, name: ci.name, pos: c.pos, end: c.end}
	for _, k := range ci.namedOrder {
		f.params = append(f.params, k)
		pv, _ := toString(ci.named[k])
		f.pvals = append(f.pvals, pv)
	}
	for _, v := range ci.positional {
		if s, ok := toString(v); ok {
			f.args = append(f.args, s)
		}
	}
	for _, k := range ci.namedOrder {
		if s, ok := toString(ci.named[k]); ok && ci.named[k].k != vBool {
			f.args = append(f.args, s)
		}
	}
	e.addFact(f)
	if fn, ok := e.funcs[ci.name]; ok {
		return e.callBlock(fn.body, fn.params, bindNamed(fn.params, ci), nil)
	}
	if h, ok := commandHandlers[ci.name]; ok {
		return h(e, ci)
	}
	if isLauncher(ci.name) || ci.name == "nslookup" {
		return e.launchFromScript(ci)
	}
	if strings.ContainsAny(name, `\/`) || strings.Contains(name, ".") {
		e.runProgram(ci, name)
	}
	return []value{unknown}
}

func (e *evaluator) unknownCommand(c *command) []value {
	e.addFact(fact{kind: factExecUnknown, name: "dynamic command", pos: c.pos, end: c.end})
	return []value{unknown}
}

func (e *evaluator) positionalArgs(c *command) []value {
	var out []value
	for _, a := range c.args {
		if _, ok := a.(*paramNode); ok {
			continue
		}
		out = append(out, e.eval(a))
	}
	return out
}

// bindArgs evaluates the arguments of a call.
func (e *evaluator) bindArgs(c *command, name string, input []value, piped bool) *callInfo {
	if a, ok := e.aliases[strings.ToLower(name)]; ok {
		name = a
	}
	ci := &callInfo{cmd: c, name: canonicalCommand(name), named: map[string]value{}, input: input, piped: piped}
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		if p, ok := a.(*paramNode); ok {
			k := strings.ToLower(p.name)
			var v value
			switch {
			case p.value != nil:
				v = e.eval(p.value)
			case i+1 < len(c.args) && takesValue(ci.name, k):
				if _, isParam := c.args[i+1].(*paramNode); !isParam {
					i++
					v = e.eval(c.args[i])
					break
				}
				v = boolean(true)
			default:
				v = boolean(true)
			}
			if _, dup := ci.named[k]; !dup {
				ci.namedOrder = append(ci.namedOrder, k)
			}
			ci.named[k] = v
			continue
		}
		if sp, ok := a.(*varRef); ok && sp.splat {
			v := e.getVar(sp.name)
			if v.k == vHash {
				for _, hk := range v.h.keys {
					k := strings.ToLower(hk)
					ci.namedOrder = append(ci.namedOrder, k)
					ci.named[k], _ = v.h.get(hk)
				}
				continue
			}
			ci.positional = append(ci.positional, v.elems()...)
			continue
		}
		ci.positional = append(ci.positional, e.eval(a))
		ci.posNodes = append(ci.posNodes, a)
	}
	return ci
}

// bindNamed orders the arguments of a call to a script function: named
// arguments go to the parameter they name (any unambiguous prefix), the
// rest fill the other parameters in order.
func bindNamed(params []paramDecl, c *callInfo) []value {
	out := make([]value, len(params))
	set := make([]bool, len(params))
	for _, k := range c.namedOrder {
		for i, p := range params {
			if !set[i] && strings.HasPrefix(p.name, k) {
				out[i], set[i] = c.named[k], true
				break
			}
		}
	}
	pos := c.positional
	for i := range params {
		if !set[i] && len(pos) > 0 {
			out[i], set[i] = pos[0], true
			pos = pos[1:]
		}
	}
	n := len(params)
	for n > 0 && !set[n-1] {
		n--
	}
	out = append(out[:n], pos...)
	for i := 0; i < n; i++ {
		if !set[i] {
			out[i] = null
		}
	}
	return out
}

// switchParams are parameters that take no value, for the commands the
// evaluator interprets. Anything else takes the next argument.
var switchParams = map[string][]string{
	"":                  {"usebasicparsing", "force", "passthru", "wait", "nonewwindow", "recurse", "valueonly", "noprofile", "noninteractive", "nologo", "noexit", "raw", "asbytestream", "encodedcommand", "unique", "descending", "whatif", "confirm", "verbose", "debug", "asplaintext", "asjob", "stream", "disablerealtimemonitoring"},
	"get-variable":      {"valueonly"},
	"select-object":     {"unique"},
	"invoke-webrequest": {"usebasicparsing", "usedefaultcredentials", "disablekeepalive"},
}

// takesValue reports whether parameter k of command name takes the next
// argument as its value.
func takesValue(name, k string) bool {
	for _, list := range [][]string{switchParams[""], switchParams[name]} {
		for _, s := range list {
			if k == s || len(k) >= 3 && strings.HasPrefix(s, k) && k != "enc" && k != "e" {
				return false
			}
		}
	}
	return true
}

type commandHandler func(e *evaluator, c *callInfo) []value

var commandHandlers map[string]commandHandler

func init() {
	commandHandlers = map[string]commandHandler{
		"invoke-expression":      (*evaluator).cmdInvokeExpression,
		"write-output":           (*evaluator).cmdWriteOutput,
		"foreach-object":         (*evaluator).cmdForEach,
		"where-object":           (*evaluator).cmdWhere,
		"select-object":          (*evaluator).cmdSelect,
		"out-string":             (*evaluator).cmdOutString,
		"set-variable":           (*evaluator).cmdSetVariable,
		"new-variable":           (*evaluator).cmdSetVariable,
		"get-variable":           (*evaluator).cmdGetVariable,
		"get-childitem":          (*evaluator).cmdGetItem,
		"get-item":               (*evaluator).cmdGetItem,
		"get-command":            (*evaluator).cmdGetCommand,
		"get-alias":              (*evaluator).cmdGetAlias,
		"new-object":             (*evaluator).cmdNewObject,
		"invoke-webrequest":      (*evaluator).cmdWebRequest,
		"invoke-restmethod":      (*evaluator).cmdWebRequest,
		"start-bitstransfer":     (*evaluator).cmdBits,
		"start-process":          (*evaluator).cmdStartProcess,
		"invoke-item":            (*evaluator).cmdInvokeItem,
		"invoke-command":         (*evaluator).cmdInvokeCommand,
		"start-job":              (*evaluator).cmdInvokeCommand,
		"set-content":            (*evaluator).cmdWriteFile,
		"add-content":            (*evaluator).cmdWriteFile,
		"out-file":               (*evaluator).cmdWriteFile,
		"join-path":              (*evaluator).cmdJoinPath,
		"set-alias":              (*evaluator).cmdSetAlias,
		"rename-item":            (*evaluator).cmdMoveFile,
		"move-item":              (*evaluator).cmdMoveFile,
		"copy-item":              (*evaluator).cmdMoveFile,
		"new-alias":              (*evaluator).cmdSetAlias,
		"get-content":            unknownOutput,
		"get-random":             unknownOutput,
		"read-host":              unknownOutput,
		"convertto-securestring": (*evaluator).cmdSecureString,
		"write-host":             noOutput,
		"out-null":               noOutput,
		"out-host":               noOutput,
		"start-sleep":            noOutput,
		"clear-host":             noOutput,
		"write-verbose":          noOutput,
		"write-debug":            noOutput,
		"write-warning":          noOutput,
		"write-error":            noOutput,
		"write-progress":         noOutput,
		"import-module":          noOutput,
		"set-strictmode":         noOutput,
		"add-type":               noOutput,
	}
}

func unknownOutput(*evaluator, *callInfo) []value { return []value{unknown} }
func noOutput(*evaluator, *callInfo) []value      { return nil }

func (e *evaluator) cmdInvokeExpression(c *callInfo) []value {
	var texts []value
	if v, ok := c.arg(0, "command"); ok {
		texts = append(texts, v)
	}
	if c.piped {
		texts = append(texts, c.input...)
	}
	for _, v := range texts {
		e.execText(v, c.nameTech, "Invoke-Expression", c.cmd.pos, c.cmd.end)
	}
	return []value{unknown}
}

// execText records text that runs as PowerShell code.
func (e *evaluator) execText(v value, nameTech tech, via string, pos, end int) {
	if v.k == vScript && v.obj != nil && v.obj.block != nil && v.tech == 0 {
		e.callBlock(v.obj.block.body, v.obj.block.params, nil, nil)
		return
	}
	s, ok := toString(v)
	if !ok {
		kind := factExecUnknown
		if v.tech&techNetwork != 0 {
			kind = factExecNet
		}
		e.addFact(fact{kind: kind, name: via, pos: pos, end: end})
		return
	}
	e.addSink(sinkScript, s, v.tech|nameTech, via, pos, end)
}

func (e *evaluator) cmdWriteOutput(c *callInfo) []value {
	out := append([]value{}, c.input...)
	for _, v := range c.positional {
		out = append(out, v.elems()...)
	}
	if v, ok := c.get("inputobject"); ok {
		out = append(out, v.elems()...)
	}
	return out
}

func (e *evaluator) cmdForEach(c *callInfo) []value {
	sb, ok := c.arg(0, "process")
	if !ok {
		return []value{unknown}
	}
	var out []value
	if sb.k == vString {
		// % MemberName
		for _, x := range c.input {
			out = append(out, e.instanceMember(x, sb.s, nil, false))
		}
		return out
	}
	if sb.k != vScript || sb.obj == nil || sb.obj.block == nil {
		if sb.k == vScript {
			e.addSink(sinkScript, sb.s, sb.tech|techScriptBlock, "ForEach-Object", c.cmd.pos, c.cmd.end)
		}
		return []value{unknown}
	}
	blk := sb.obj.block
	if b, ok := c.get("begin"); ok && b.k == vScript && b.obj != nil && b.obj.block != nil {
		out = append(out, e.callBlock(b.obj.block.body, nil, nil, nil)...)
	}
	for i, x := range c.input {
		if i >= maxIterations || e.aborted {
			break
		}
		x := x
		out = append(out, e.callBlock(blk.body, nil, nil, &x)...)
	}
	if !c.piped {
		out = append(out, e.callBlock(blk.body, nil, nil, &null)...)
	}
	return out
}

func (e *evaluator) cmdWhere(c *callInfo) []value {
	sb, ok := c.arg(0, "filterscript")
	if !ok || sb.k != vScript || sb.obj == nil || sb.obj.block == nil {
		return []value{unknown}
	}
	var out []value
	for i, x := range c.input {
		if i >= maxIterations || e.aborted {
			break
		}
		x := x
		r := flatten(e.callBlock(sb.obj.block.body, nil, nil, &x))
		b, ok := truthy(r)
		if !ok {
			return []value{unknown}
		}
		if b {
			out = append(out, x)
		}
	}
	return out
}

func (e *evaluator) cmdSelect(c *callInfo) []value {
	in := c.input
	if v, ok := c.get("expandproperty"); ok {
		name, ok := toString(v)
		if !ok {
			return []value{unknown}
		}
		var out []value
		for _, x := range in {
			out = append(out, e.instanceMember(x, name, nil, false))
		}
		in = out
	}
	if v, ok := c.get("first"); ok {
		n, ok := toInt(v)
		if !ok {
			return []value{unknown}
		}
		if int(n) < len(in) {
			in = in[:n]
		}
	}
	if v, ok := c.get("last"); ok {
		n, ok := toInt(v)
		if !ok {
			return []value{unknown}
		}
		if int(n) < len(in) {
			in = in[len(in)-int(n):]
		}
	}
	if v, ok := c.get("index"); ok {
		var out []value
		for _, ix := range v.elems() {
			n, ok := toInt(ix)
			if !ok || n < 0 || int(n) >= len(in) {
				continue
			}
			out = append(out, in[n])
		}
		in = out
	}
	if len(c.namedOrder) == 0 && len(c.positional) > 0 {
		return []value{unknown}
	}
	return in
}

func (e *evaluator) cmdOutString(c *callInfo) []value {
	var parts []string
	for _, x := range c.input {
		s, ok := toString(x)
		if !ok {
			return []value{unknownOf(x)}
		}
		parts = append(parts, s)
	}
	return []value{str(strings.Join(parts, "\n"))}
}

func (e *evaluator) cmdSetVariable(c *callInfo) []value {
	name, ok := c.argString(0, "name")
	if !ok {
		return nil
	}
	v, ok := c.arg(1, "value")
	if !ok && c.piped {
		v, ok = flatten(c.input), true
	}
	if !ok {
		v = null
	}
	e.setVar(strings.ToLower(name), v)
	return nil
}

func (e *evaluator) cmdGetVariable(c *callInfo) []value {
	pattern, ok := c.argString(0, "name")
	if !ok {
		return []value{unknown}
	}
	names := e.matchVariables(pattern)
	if len(names) == 0 {
		return []value{unknown}
	}
	t := tech(0)
	if strings.ContainsAny(pattern, "*?[") {
		t = techWildcard
	}
	var out []value
	for _, n := range names {
		val := e.getVar(strings.ToLower(n))
		if c.has("valueonly") {
			out = append(out, val)
			continue
		}
		v := objVal(&object{class: "variable", name: n, target: &val})
		v.tech = t | techEnvSource
		out = append(out, v)
	}
	return out
}

// matchVariables returns the variable names matching a Get-Variable
// pattern, user variables first.
func (e *evaluator) matchVariables(pattern string) []string {
	if !strings.ContainsAny(pattern, "*?[") {
		return []string{pattern}
	}
	seen := map[string]bool{}
	var out []string
	var user []string
	for k := range e.vars {
		user = append(user, k)
	}
	sort.Strings(user)
	for _, list := range [][]string{user, automaticNames} {
		for _, n := range list {
			if !seen[strings.ToLower(n)] && wildcardMatch(pattern, n) {
				seen[strings.ToLower(n)] = true
				out = append(out, n)
			}
		}
	}
	return out
}

func (e *evaluator) cmdGetItem(c *callInfo) []value {
	p, ok := c.argString(0, "path", "literalpath")
	if !ok {
		return []value{unknown}
	}
	lp := strings.ToLower(p)
	switch {
	case strings.HasPrefix(lp, "variable:"):
		return e.cmdGetVariable(&callInfo{positional: []value{str(strings.TrimLeft(p[9:], `\/`))}, named: map[string]value{}})
	case strings.HasPrefix(lp, "env:"):
		name := strings.TrimLeft(lp[4:], `\/`)
		if s, ok := environment[name]; ok {
			val := str(s).with(techEnvSource)
			return []value{objVal(&object{class: "variable", name: name, target: &val})}
		}
		return []value{unknown}
	}
	files := resolvePathWildcard(p)
	if len(files) == 0 {
		return []value{unknown}
	}
	var out []value
	for _, f := range files {
		v := objVal(&object{class: "fileinfo", name: baseName(f), props: map[string]value{"fullname": str(f), "name": str(baseName(f))}})
		v.tech = techWildcard
		out = append(out, v)
	}
	return out
}

func (e *evaluator) cmdGetCommand(c *callInfo) []value {
	pattern, ok := c.argString(0, "name")
	if !ok {
		return []value{unknown}
	}
	names := matchCommands(pattern)
	if files := resolvePathWildcard(pattern); len(files) > 0 {
		names = files
	}
	if len(names) == 0 {
		return []value{unknown}
	}
	var out []value
	for _, n := range names {
		v := objVal(&object{class: "commandinfo", name: n})
		if strings.ContainsAny(pattern, "*?[") {
			v.tech = techWildcard
		}
		out = append(out, v)
	}
	return out
}

func (e *evaluator) cmdGetAlias(c *callInfo) []value {
	pattern := "*"
	if p, ok := c.argString(0, "name"); ok {
		pattern = p
	}
	var out []value
	for _, a := range defaultAliases {
		if wildcardMatch(pattern, a[0]) {
			v := objVal(&object{class: "aliasinfo", name: a[0], props: map[string]value{"definition": str(a[1]), "resolvedcommandname": str(a[1])}})
			v.tech = techWildcard
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return []value{unknown}
	}
	return out
}

func (e *evaluator) cmdNewObject(c *callInfo) []value {
	if com, ok := c.argString(-1, "comobject"); ok {
		return []value{e.newCOM(com)}
	}
	typ, ok := c.argString(0, "typename")
	if !ok {
		return []value{unknown}
	}
	var args []value
	if v, ok := c.get("argumentlist"); ok {
		args = v.elems()
		if v.k != vArray {
			args = []value{v}
		}
	} else if len(c.positional) > 1 {
		args = c.positional[1:]
		if len(args) == 1 && args[0].k == vArray {
			args = args[0].arr
		}
	}
	return []value{e.construct(typ, args, c.cmd.pos, c.cmd.end)}
}

func (e *evaluator) cmdWebRequest(c *callInfo) []value {
	url, _ := c.argString(0, "uri")
	dest, _ := c.argString(-1, "outfile")
	e.download(url, dest, "Invoke-WebRequest", c.cmd.pos, c.cmd.end)
	return []value{{k: vUnknown, tech: techNetwork}}
}

func (e *evaluator) cmdBits(c *callInfo) []value {
	src, _ := c.argString(0, "source")
	dst, _ := c.argString(1, "destination")
	e.download(src, dst, "Start-BitsTransfer", c.cmd.pos, c.cmd.end)
	return nil
}

// download records a download and remembers where it was saved.
func (e *evaluator) download(url, dest, via string, pos, end int) {
	e.addFact(fact{kind: factDownload, name: via, url: url, path: dest, pos: pos, end: end})
	if dest != "" {
		e.downloads[normPath(dest)] = true
	}
}

func normPath(p string) string {
	p = strings.ToLower(strings.Trim(strings.TrimSpace(p), `"'`))
	p = strings.ReplaceAll(p, "/", `\`)
	for strings.Contains(p, `\\`) {
		p = strings.ReplaceAll(p, `\\`, `\`)
	}
	return p
}

func (e *evaluator) cmdStartProcess(c *callInfo) []value {
	pv, _ := c.arg(0, "filepath")
	path, ok := toString(pv)
	if !ok {
		e.addFact(fact{kind: factExecUnknown, name: "Start-Process", pos: c.cmd.pos, end: c.cmd.end})
		return nil
	}
	computed := pv.tech
	var args []string
	if v, ok := c.arg(1, "argumentlist"); ok {
		computed |= v.tech
		for _, a := range v.elems() {
			if s, ok := toString(a); ok {
				args = append(args, s)
				computed |= a.tech
			}
		}
	}
	if ws, ok := c.argString(-1, "windowstyle"); ok {
		if strings.HasPrefix(strings.ToLower(ws), "h") {
			e.addFact(fact{kind: factCommand, name: "hidden-window", pos: c.cmd.pos, end: c.cmd.end})
		}
	}
	if isLauncher(canonicalCommand(path)) {
		line := quoteArg(path) + " " + strings.Join(args, " ")
		e.launchComputed(line, "Start-Process", c.cmd.pos, c.cmd.end, nil, computed)
		return nil
	}
	e.runPath(path, "Start-Process", c.cmd.pos, c.cmd.end)
	for _, a := range args {
		// a downloaded script handed to an interpreter: pythonw x.py
		for _, f := range strings.Fields(a) {
			if e.downloads[normPath(f)] {
				e.runPath(f, "Start-Process "+baseName(path), c.cmd.pos, c.cmd.end)
			}
		}
	}
	return nil
}

// runPath records that a file is started, and whether it is one the script
// downloaded.
func (e *evaluator) runPath(path, via string, pos, end int) {
	kind := factRun
	if e.downloads[normPath(path)] {
		kind = factExecNet
	}
	e.addFact(fact{kind: kind, name: via, path: path, pos: pos, end: end})
}

func (e *evaluator) runProgram(c *callInfo, name string) {
	e.runPath(name, "call operator", c.cmd.pos, c.cmd.end)
}

func (e *evaluator) cmdInvokeItem(c *callInfo) []value {
	if p, ok := c.argString(0, "path"); ok {
		e.runPath(p, "Invoke-Item", c.cmd.pos, c.cmd.end)
	}
	return nil
}

func (e *evaluator) cmdInvokeCommand(c *callInfo) []value {
	sb, ok := c.arg(0, "scriptblock")
	if !ok {
		return []value{unknown}
	}
	if sb.k == vScript {
		if sb.obj != nil && sb.obj.block != nil && sb.tech == 0 {
			var args []value
			if v, ok := c.get("argumentlist"); ok {
				args = v.elems()
			}
			return e.callBlock(sb.obj.block.body, sb.obj.block.params, args, nil)
		}
		e.addSink(sinkScript, sb.s, sb.tech|techScriptBlock, "Invoke-Command", c.cmd.pos, c.cmd.end)
		return []value{unknown}
	}
	e.execText(sb, c.nameTech, "Invoke-Command", c.cmd.pos, c.cmd.end)
	return []value{unknown}
}

func (e *evaluator) cmdWriteFile(c *callInfo) []value {
	p, ok := c.argString(0, "path", "filepath", "literalpath")
	if ok {
		e.addFact(fact{kind: factWrite, name: c.name, path: p, pos: c.cmd.pos, end: c.cmd.end})
		v, has := c.arg(1, "value", "inputobject")
		if !has && c.piped {
			v, has = flatten(c.input), true
		}
		if has && v.tech&techNetwork != 0 {
			e.downloads[normPath(p)] = true
		}
	}
	return nil
}

func (e *evaluator) cmdJoinPath(c *callInfo) []value {
	a, ok1 := c.argString(0, "path")
	b, ok2 := c.argString(1, "childpath")
	if !ok1 || !ok2 {
		return []value{unknown}
	}
	return []value{str(strings.TrimRight(a, `\/`) + `\` + strings.TrimLeft(b, `\/`))}
}

// cmdMoveFile follows a downloaded file that is renamed, moved or copied
// before it runs.
func (e *evaluator) cmdMoveFile(c *callInfo) []value {
	src, ok1 := c.argString(0, "path", "literalpath")
	dst, ok2 := c.argString(1, "newname", "destination")
	if !ok1 || !ok2 {
		return nil
	}
	if !strings.ContainsAny(dst, `\/`) {
		if i := strings.LastIndexAny(src, `\/`); i >= 0 {
			dst = src[:i+1] + dst
		}
	}
	e.addFact(fact{kind: factWrite, name: c.name, path: dst, pos: c.cmd.pos, end: c.cmd.end})
	if e.downloads[normPath(src)] {
		e.downloads[normPath(dst)] = true
	}
	return nil
}

func (e *evaluator) cmdSetAlias(c *callInfo) []value {
	name, ok1 := c.argString(0, "name")
	target, ok2 := c.argString(1, "value")
	if ok1 && ok2 {
		e.aliases[strings.ToLower(name)] = target
	}
	return nil
}

func (e *evaluator) cmdSecureString(c *callInfo) []value {
	s, ok := c.argString(0, "string")
	if !ok {
		return []value{unknown}
	}
	if c.has("asplaintext") {
		return []value{objVal(&object{class: "securestring", name: s})}
	}
	key, ok := c.get("key")
	if !ok {
		return []value{unknown}
	}
	kb, ok := valueBytes(key)
	if !ok {
		return []value{unknown}
	}
	plain, ok := decryptSecureString(s, kb)
	if !ok {
		return []value{unknown}
	}
	return []value{value{k: vObject, obj: &object{class: "securestring", name: plain}, tech: techSecureString}}
}

func quoteArg(s string) string {
	if s == "" || strings.ContainsAny(s, " \t") && !strings.HasPrefix(s, `"`) {
		return `"` + s + `"`
	}
	return s
}
