package pwsh

import (
	"strconv"
	"strings"
)

// Windows command lines: what a user pastes into Win+R, what cmd.exe runs,
// and what PowerShell hands to powershell.exe, cmd.exe and mshta.exe.

// cmdArg is one argument of a command line and where it was.
type cmdArg struct {
	text       string
	start, end int
}

// splitArgs splits a command line the way CommandLineToArgvW and the C
// runtime do: blanks separate arguments, double quotes group, 2n
// backslashes before a quote are n backslashes, 2n+1 escape the quote, and
// "" inside quotes is a literal quote.
func splitArgs(line string) []cmdArg {
	var out []cmdArg
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n') {
			i++
		}
		if i >= len(line) {
			return out
		}
		start := i
		var b strings.Builder
		inQuote := false
		for i < len(line) {
			c := line[i]
			if !inQuote && (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
				break
			}
			if c == '\\' {
				n := 0
				for i < len(line) && line[i] == '\\' {
					n++
					i++
				}
				if i < len(line) && line[i] == '"' {
					b.WriteString(strings.Repeat(`\`, n/2))
					if n%2 == 1 {
						b.WriteByte('"')
						i++
					}
					continue
				}
				b.WriteString(strings.Repeat(`\`, n))
				continue
			}
			if c == '"' {
				if inQuote && i+1 < len(line) && line[i+1] == '"' {
					b.WriteByte('"')
					i += 2
					continue
				}
				inQuote = !inQuote
				i++
				continue
			}
			b.WriteByte(c)
			i++
		}
		out = append(out, cmdArg{text: b.String(), start: start, end: i})
	}
}

// launchers are the programs whose arguments carry code.
func isLauncher(name string) bool {
	switch name {
	case "powershell", "pwsh", "powershell_ise", "cmd", "conhost", "mshta", "wscript", "cscript",
		"rundll32", "regsvr32", "msiexec", "certutil", "bitsadmin", "curl", "wget", "finger",
		"schtasks", "reg", "sc", "wevtutil", "wmic", "forfiles", "explorer", "start", "bash", "tar":
		return true
	}
	return false
}

// launchFromScript handles a launcher called from PowerShell: the
// arguments are rebuilt into the command line PowerShell would pass.
func (e *evaluator) launchFromScript(c *callInfo) []value {
	cmd := c.cmd
	parts := []string{c.name}
	computed := c.nameTech
	for _, a := range cmd.args {
		if p, ok := a.(*paramNode); ok {
			s := e.src[p.pos:min(p.end, len(e.src))]
			if p.value != nil {
				v := e.eval(p.value)
				if vs, ok := toString(v); ok {
					s = "-" + p.name + ":" + vs
					computed |= v.tech
				}
			} else {
				s = "-" + p.name
			}
			parts = append(parts, s)
			continue
		}
		v := e.eval(a)
		if v.k == vScript {
			// powershell -Command { ... } passes the block as -EncodedCommand
			if c.name == "powershell" || c.name == "pwsh" {
				e.addSink(sinkScript, v.s, v.tech, "powershell -Command {scriptblock}", cmd.pos, cmd.end)
				e.launchFacts(c.name, parts[1:], cmd.pos, cmd.end)
				return []value{unknown}
			}
		}
		s, ok := toString(v)
		if ok {
			computed |= v.tech
		} else {
			ps, pe := a.span()
			s = e.src[ps:min(pe, len(e.src))]
		}
		parts = append(parts, quoteArg(s))
	}
	e.lastOutput = null
	e.launchComputed(strings.Join(parts, " "), c.name, cmd.pos, cmd.end, c.input, computed)
	if e.lastOutput.k != vNull {
		return []value{e.lastOutput}
	}
	return []value{unknown}
}

// launchComputed is launchLine for a command line the script computed
// with the techniques t: the layers it starts are marked with those that
// disguise text (char codes, -join, the format operator ...), as the text
// of Invoke-Expression is, so that a launch hidden that way counts as
// obfuscation. Plain concatenation is left out: honest scripts build
// arguments that way.
func (e *evaluator) launchComputed(line, via string, pos, end int, input []value, t tech) {
	first := len(e.sinks)
	e.launchLine(line, via, pos, end, input)
	for i := first; i < len(e.sinks); i++ {
		e.sinks[i].tech |= t & strongFold
	}
}

// launchLine analyses one program call given as a command line. input is
// what a pipeline feeds its standard input.
func (e *evaluator) launchLine(line, via string, pos, end int, input []value) {
	if e.tick() {
		return
	}
	args := splitArgs(line)
	if len(args) == 0 {
		return
	}
	prog := programName(args[0].text)
	rest := func(i int) string {
		if i >= len(args) {
			return ""
		}
		return line[args[i].start:]
	}
	texts := make([]string, 0, len(args)-1)
	for _, a := range args[1:] {
		texts = append(texts, a.text)
	}
	switch prog {
	case "powershell", "pwsh", "powershell_ise":
		e.launchPowerShell(prog, args[1:], pos, end, input)
		return
	case "cmd":
		e.launchFacts(prog, texts, pos, end)
		e.launchCmd(line, args, pos, end, input)
		return
	case "conhost":
		i := 1
		for i < len(args) && strings.HasPrefix(args[i].text, "-") {
			i++
		}
		e.launchFacts(prog, texts, pos, end)
		if i < len(args) {
			e.launchLine(rest(i), "conhost", pos, end, input)
		}
		return
	case "start":
		i := 1
		for i < len(args) && (strings.HasPrefix(args[i].text, "/") || i == 1 && strings.HasPrefix(line[args[i].start:], `"`)) {
			i++
		}
		e.launchFacts(prog, texts, pos, end)
		if i < len(args) {
			e.launchLine(rest(i), "start", pos, end, input)
		}
		return
	}
	e.launchFacts(prog, texts, pos, end)
	switch prog {
	case "mshta":
		if len(args) > 1 {
			target := rest(1)
			lt := strings.ToLower(strings.TrimLeft(target, `"`))
			switch {
			case strings.HasPrefix(lt, "vbscript:"), strings.HasPrefix(lt, "javascript:"):
				e.addSink(sinkHostScript, strings.TrimSpace(target), 0, "mshta", pos, end)
			case strings.HasPrefix(lt, "http:"), strings.HasPrefix(lt, "https:"), strings.HasPrefix(lt, `\\`):
				e.download(args[1].text, "", "mshta", pos, end)
				e.addFact(fact{kind: factExecNet, name: "mshta", url: args[1].text, pos: pos, end: end})
			default:
				e.runPath(args[1].text, "mshta", pos, end)
			}
		}
	case "curl", "wget":
		url, dest := "", ""
		for i := 1; i < len(args); i++ {
			a := args[i].text
			la := strings.ToLower(a)
			switch {
			case la == "-o" || la == "--output" || la == "-outfile" || la == "-o:":
				if i+1 < len(args) {
					dest = args[i+1].text
					i++
				}
			case strings.Contains(la, "://") || looksLikeHostPath(a):
				url = a
			}
		}
		e.download(url, dest, prog, pos, end)
		e.lastOutput = value{k: vUnknown, tech: techNetwork}
	case "nslookup":
		txt := false
		for _, a := range args[1:] {
			la := strings.ToLower(a.text)
			if strings.Contains(la, "=txt") || la == "txt" {
				txt = true
			}
		}
		for _, a := range args[1:] {
			if !strings.HasPrefix(a.text, "-") && strings.Contains(a.text, ".") && txt {
				e.download("dns-txt://"+strings.TrimSuffix(a.text, "."), "", "nslookup", pos, end)
				break
			}
		}
		if txt {
			e.lastOutput = value{k: vUnknown, tech: techNetwork}
		}
	case "finger":
		for _, a := range args[1:] {
			if strings.Contains(a.text, "@") {
				e.download("finger://"+a.text, "", "finger", pos, end)
			}
		}
		e.lastOutput = value{k: vUnknown, tech: techNetwork}
	case "certutil":
		var urls, files []string
		for _, a := range args[1:] {
			switch {
			case strings.Contains(a.text, "://"):
				urls = append(urls, a.text)
			case !strings.HasPrefix(a.text, "-") && !strings.HasPrefix(a.text, "/"):
				files = append(files, a.text)
			}
		}
		for _, u := range urls {
			dest := ""
			if len(files) > 0 {
				dest = files[len(files)-1]
			}
			e.download(u, dest, "certutil", pos, end)
		}
	case "bitsadmin":
		var urls []string
		dest := ""
		for i, a := range args[1:] {
			if strings.Contains(a.text, "://") {
				urls = append(urls, a.text)
				if i+2 < len(args) {
					dest = args[i+2].text
				}
			}
		}
		for _, u := range urls {
			e.download(u, dest, "bitsadmin", pos, end)
		}
	case "regsvr32", "msiexec", "rundll32":
		for _, a := range args[1:] {
			t := a.text
			if i := strings.Index(strings.ToLower(t), "/i:"); i >= 0 {
				t = t[i+3:]
			}
			lt := strings.ToLower(t)
			if strings.HasPrefix(lt, "http:") || strings.HasPrefix(lt, "https:") {
				e.download(t, "", prog, pos, end)
				e.addFact(fact{kind: factExecNet, name: prog, url: t, pos: pos, end: end})
			}
			if prog == "rundll32" && (strings.HasPrefix(lt, "javascript:") || strings.HasPrefix(lt, "vbscript:")) {
				e.addSink(sinkHostScript, rest(1), 0, "rundll32", pos, end)
				break
			}
		}
		if target := programTarget(prog, args); target != "" {
			e.runPath(target, prog, pos, end)
		}
	case "wscript", "cscript", "explorer":
		for _, a := range args[1:] {
			if !strings.HasPrefix(a.text, "/") && !strings.HasPrefix(a.text, "-") {
				e.runPath(a.text, prog, pos, end)
				break
			}
		}
	default:
		if !isLauncher(prog) {
			e.runPath(args[0].text, via, pos, end)
		}
	}
}

// programName is the lower-case program a command line starts: directory
// and extension removed, but no PowerShell alias resolution (start is
// cmd's start, curl is curl.exe).
func programName(arg string) string {
	n := strings.TrimSpace(strings.Trim(arg, "\"'"))
	if i := strings.LastIndexAny(n, `\/`); i >= 0 && i < len(n)-1 {
		n = n[i+1:]
	}
	n = strings.ToLower(n)
	for _, ext := range []string{".exe", ".com"} {
		n = strings.TrimSuffix(n, ext)
	}
	return n
}

// programTarget is the file msiexec, regsvr32 or rundll32 is asked to run:
// the value of /i for msiexec, else the first argument that is not a switch.
func programTarget(prog string, args []cmdArg) string {
	for i := 1; i < len(args); i++ {
		a := args[i].text
		la := strings.ToLower(a)
		if prog == "msiexec" && (la == "/i" || la == "/package" || la == "-i") {
			if i+1 < len(args) {
				return args[i+1].text
			}
			return ""
		}
		if strings.HasPrefix(la, "/") || strings.HasPrefix(la, "-") {
			continue
		}
		if prog == "rundll32" {
			if k := strings.IndexByte(a, ','); k > 0 {
				return a[:k]
			}
		}
		return a
	}
	return ""
}

// looksLikeHostPath recognises host/path or ip:port/path arguments without
// a scheme, which curl and Invoke-WebRequest accept.
func looksLikeHostPath(s string) bool {
	slash := strings.IndexByte(s, '/')
	if slash <= 0 {
		return false
	}
	host := s[:slash]
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Count(host, ".") >= 1 && !strings.ContainsAny(host, `\ "'$%`) && !strings.HasPrefix(host, ".")
}

// launchFacts records a program call with its switches.
func (e *evaluator) launchFacts(prog string, args []string, pos, end int) {
	f := fact{kind: factCommand, name: prog, pos: pos, end: end}
	for _, a := range args {
		if strings.HasPrefix(a, "-") || strings.HasPrefix(a, "/") || strings.HasPrefix(a, "\u2013") {
			f.params = append(f.params, strings.ToLower(strings.TrimLeft(a, "-/\u2013\u2014")))
		}
		f.args = append(f.args, a)
	}
	e.addFact(f)
}

// psParams are powershell.exe parameters with the shortest prefix it
// accepts, in the order it tries them.
var psParams = []struct{ name, min string }{
	{"help", "h"}, {"noexit", "noe"}, {"noprofile", "nop"}, {"nologo", "nol"},
	{"noninteractive", "noni"}, {"command", "c"}, {"commandwithargs", "commandw"}, {"windowstyle", "w"},
	{"file", "f"}, {"outputformat", "o"}, {"inputformat", "in"}, {"encodedarguments", "encodeda"},
	{"encodedcommand", "e"}, {"executionpolicy", "ex"}, {"version", "v"}, {"sta", "s"},
	{"mta", "m"}, {"configurationname", "config"}, {"settingsfile", "settings"},
	{"workingdirectory", "wo"}, {"login", "l"}, {"interactive", "i"}, {"psconsolefile", "psc"},
}

// psParamName returns the canonical powershell.exe parameter an argument
// names, accepting -, /, en and em dashes and doubled dashes.
func psParamName(arg string) (string, bool) {
	a := arg
	switch {
	case strings.HasPrefix(a, "--"):
		a = a[2:]
	case strings.HasPrefix(a, "-"), strings.HasPrefix(a, "/"):
		a = a[1:]
	case strings.HasPrefix(a, "\u2013"), strings.HasPrefix(a, "\u2014"), strings.HasPrefix(a, "\u2015"):
		a = a[3:]
	default:
		return "", false
	}
	a = strings.ToLower(a)
	if i := strings.IndexByte(a, ':'); i > 0 {
		a = a[:i]
	}
	switch a {
	case "ec":
		return "encodedcommand", true
	case "ep":
		return "executionpolicy", true
	case "cwa":
		return "commandwithargs", true
	case "?":
		return "help", true
	case "wd":
		return "workingdirectory", true
	}
	if a == "" {
		return "", true // "-": read commands from standard input
	}
	for _, p := range psParams {
		if len(a) >= len(p.min) && strings.HasPrefix(p.name, a) {
			return p.name, true
		}
	}
	return "unknown:" + a, true
}

// windowStyle normalises a -WindowStyle value: hidden, minimized, ...
func windowStyle(v string) string {
	lv := strings.ToLower(strings.Trim(v, `"'`))
	switch {
	case lv == "1" || lv != "" && strings.HasPrefix("hidden", lv):
		return "hidden"
	case lv == "2" || lv == "6" || lv == "7" || strings.HasPrefix(lv, "mi") || strings.HasPrefix(lv, "min"):
		return "minimized"
	case lv == "3" || strings.HasPrefix(lv, "ma"):
		return "maximized"
	}
	return "normal"
}

func (e *evaluator) launchPowerShell(prog string, args []cmdArg, pos, end int, input []value) {
	f := fact{kind: factCommand, name: "powershell", pos: pos, end: end}
	command, encoded, file := "", "", ""
	hasCommand, stdin := false, false
	for i := 0; i < len(args); i++ {
		a := args[i].text
		name, isParam := psParamName(a)
		value := ""
		if i+1 < len(args) {
			value = args[i+1].text
		}
		if k := strings.IndexByte(a, ':'); isParam && k > 0 && name != "" {
			value = a[k+1:]
		}
		if !isParam {
			if strings.HasSuffix(strings.ToLower(a), ".ps1") && prog == "pwsh" {
				file = a
				break
			}
			command = joinArgs(args[i:])
			hasCommand = true
			break
		}
		if name == "" {
			stdin = true
			continue
		}
		f.params = append(f.params, name)
		takesNext := !strings.Contains(a, ":")
		switch name {
		case "command", "commandwithargs":
			if value == "-" {
				stdin = true
				i = len(args)
				continue
			}
			if takesNext {
				command = joinArgs(args[i+1:])
			} else {
				command = value + " " + joinArgs(args[i+1:])
			}
			hasCommand = true
			i = len(args)
			continue
		case "encodedcommand":
			encoded = value
		case "file":
			file = value
			f.args = append(f.args, "file="+value)
			i = len(args)
			continue
		case "windowstyle":
			f.args = append(f.args, "windowstyle="+windowStyle(value))
		case "executionpolicy":
			f.args = append(f.args, "executionpolicy="+strings.ToLower(value))
		case "version":
			f.args = append(f.args, "version="+value)
		case "outputformat", "inputformat", "configurationname", "settingsfile", "workingdirectory", "encodedarguments", "psconsolefile":
		default:
			continue
		}
		if takesNext {
			i++
		}
	}
	e.addFact(f)
	if encoded != "" {
		b, ok := decodeBase64(encoded)
		if ok {
			if s, _, ok := decodeBytes("unicode", b); ok {
				e.addSink(sinkScript, s, techBase64|techUTF16, "powershell -EncodedCommand", pos, end)
			}
		} else {
			e.addFact(fact{kind: factExecUnknown, name: "powershell -EncodedCommand", pos: pos, end: end})
		}
	}
	if hasCommand && strings.TrimSpace(command) != "" {
		e.addSink(sinkScript, command, 0, "powershell -Command", pos, end)
	}
	if file != "" {
		e.runPath(file, "powershell -File", pos, end)
	}
	if (stdin || !hasCommand && encoded == "" && file == "") && len(input) > 0 {
		for _, v := range input {
			e.execText(v, 0, "powershell (standard input)", pos, end)
		}
	}
}

// joinArgs joins arguments with spaces, the way powershell.exe rebuilds
// the text after -Command.
func joinArgs(args []cmdArg) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.text
	}
	return strings.Join(parts, " ")
}

// launchCmd handles cmd.exe: the text after /c, /k or /r is a command of
// its own (cmd reads it raw, not as argv).
func (e *evaluator) launchCmd(line string, args []cmdArg, pos, end int, input []value) {
	for i := 1; i < len(args); i++ {
		a := strings.ToLower(args[i].text)
		if strings.HasPrefix(a, "/c") || strings.HasPrefix(a, "/k") || strings.HasPrefix(a, "/r") {
			start := args[i].start + 2
			text := strings.TrimSpace(line[start:])
			if len(a) > 2 {
				// "/ccommand": the command is glued to the switch
				text = strings.TrimSpace(line[args[i].start+2:])
			}
			text = stripCmdQuotes(text)
			if text != "" {
				e.addSink(sinkCmdLine, text, 0, "cmd /c", pos, end)
			}
			return
		}
	}
	if len(input) > 0 {
		for _, v := range input {
			if s, ok := toString(v); ok {
				e.addSink(sinkCmdLine, s, v.tech, "cmd (standard input)", pos, end)
				continue
			}
			kind := factExecUnknown
			if v.tech&techNetwork != 0 {
				kind = factExecNet
			}
			e.addFact(fact{kind: kind, name: "cmd (standard input)", pos: pos, end: end})
		}
	}
}

// stripCmdQuotes removes the outer quotes cmd /c removes: when the text
// starts with a quote, the first and the last quote go.
func stripCmdQuotes(s string) string {
	if !strings.HasPrefix(s, `"`) {
		return s
	}
	last := strings.LastIndexByte(s, '"')
	if last <= 0 {
		return s[1:]
	}
	return s[1:last] + s[last+1:]
}

// cmdSegment is one command of a cmd.exe line, carets removed.
type cmdSegment struct {
	text     string
	pos, end int    // in the raw line
	next     string // the operator after it: "|", "&", "&&", "||" or ""
}

// splitCmdLine splits cmd.exe text at & && || | outside quotes and removes
// the ^ escapes cmd removes.
func splitCmdLine(s string) []cmdSegment {
	var out []cmdSegment
	var b strings.Builder
	start := 0
	inQuote := false
	flush := func(at int, op string) {
		out = append(out, cmdSegment{text: strings.TrimSpace(b.String()), pos: start, end: at, next: op})
		b.Reset()
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '^' && !inQuote:
			if i+1 < len(s) {
				i++
				if s[i] == '\r' || s[i] == '\n' {
					continue
				}
				b.WriteByte(s[i])
			}
		case (c == '&' || c == '|') && !inQuote:
			op := string(c)
			if i+1 < len(s) && s[i+1] == c {
				op += string(c)
			}
			flush(i, op)
			i += len(op) - 1
			start = i + 1
		case (c == '\n' || c == '\r') && !inQuote:
			flush(i, "&")
			start = i + 1
		default:
			b.WriteByte(c)
		}
	}
	flush(len(s), "")
	kept := out[:0]
	for _, seg := range out {
		if seg.text != "" {
			kept = append(kept, seg)
		}
	}
	return kept
}

// runCmdLine evaluates cmd.exe text: set variables, %var% expansion, pipes
// into interpreters, and each program call.
func (e *evaluator) runCmdLine() {
	vars := map[string]string{}
	var pipeIn []value
	for _, seg := range splitCmdLine(e.src) {
		if e.tick() {
			return
		}
		text := expandPercentVars(seg.text, vars)
		low := strings.ToLower(text)
		for _, prefix := range []string{"@", "call "} {
			if strings.HasPrefix(low, prefix) {
				text = strings.TrimSpace(text[len(prefix):])
				low = strings.ToLower(text)
			}
		}
		var out []value
		e.lastOutput = null
		switch {
		case strings.HasPrefix(low, "set ") && strings.Contains(text, "="):
			assign := strings.Trim(strings.TrimSpace(text[4:]), `"`)
			if strings.HasPrefix(strings.ToLower(assign), "/p ") || strings.HasPrefix(strings.ToLower(assign), "/a ") {
				break
			}
			k := strings.IndexByte(assign, '=')
			vars[strings.ToLower(assign[:k])] = assign[k+1:]
		case strings.HasPrefix(low, "echo ") || strings.HasPrefix(low, "echo."):
			out = []value{str(strings.TrimSpace(text[5:]))}
		case strings.HasPrefix(low, "type "):
			out = []value{unknown}
		case strings.HasPrefix(low, "rem ") || low == "rem" || strings.HasPrefix(low, "::"):
		default:
			e.launchLine(text, "cmd", seg.pos, seg.end, pipeIn)
			if e.lastOutput.k != vNull {
				out = []value{e.lastOutput}
			}
		}
		if seg.next == "|" {
			pipeIn = out
		} else {
			pipeIn = nil
		}
	}
}

// expandPercentVars expands %name%, %name:~start,length% and
// %name:old=new% with variables set earlier and the stock environment (for
// substrings, which is how DOSfuscation spells commands).
func expandPercentVars(s string, vars map[string]string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '%' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		ref := s[i+1 : i+1+j]
		if v, ok := resolvePercent(ref, vars); ok {
			b.WriteString(v)
			i += j + 2
			continue
		}
		b.WriteString(s[i : i+1+j])
		i += j + 1
	}
	return b.String()
}

func resolvePercent(ref string, vars map[string]string) (string, bool) {
	name, op := ref, ""
	if k := strings.IndexByte(ref, ':'); k > 0 {
		name, op = ref[:k], ref[k+1:]
	}
	lname := strings.ToLower(name)
	v, ok := vars[lname]
	if !ok {
		if op == "" {
			return "", false
		}
		v, ok = environment[lname]
		if !ok {
			return "", false
		}
	}
	switch {
	case op == "":
		return v, true
	case strings.HasPrefix(op, "~"):
		nums := strings.SplitN(op[1:], ",", 2)
		start, err := strconv.Atoi(nums[0])
		if err != nil {
			return "", false
		}
		r := []rune(v)
		if start < 0 {
			start += len(r)
		}
		if start < 0 {
			start = 0
		}
		if start > len(r) {
			start = len(r)
		}
		n := len(r) - start
		if len(nums) == 2 {
			l, err := strconv.Atoi(nums[1])
			if err != nil {
				return "", false
			}
			if l < 0 {
				n = len(r) - start + l
			} else {
				n = l
			}
		}
		if n < 0 {
			n = 0
		}
		if start+n > len(r) {
			n = len(r) - start
		}
		return string(r[start : start+n]), true
	case strings.Contains(op, "="):
		k := strings.IndexByte(op, '=')
		old, repl := op[:k], op[k+1:]
		if old == "" {
			return v, true
		}
		return replaceFold(v, old, repl), true
	}
	return "", false
}

// replaceFold replaces every case-insensitive occurrence of old.
func replaceFold(s, old, repl string) string {
	lo := strings.ToLower(old)
	var b strings.Builder
	for {
		i := strings.Index(strings.ToLower(s), lo)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s = s[i+len(old):]
	}
}

// runHostScript looks through VBScript or JScript text (mshta vbscript:...,
// rundll32 javascript:...) for string expressions that hold a command line
// and treats those as launched.
func (e *evaluator) runHostScript() {
	for _, s := range hostScriptStrings(e.src) {
		t := strings.TrimSpace(s.text)
		args := splitArgs(t)
		if len(args) == 0 {
			continue
		}
		if isLauncher(programName(args[0].text)) {
			e.launchLine(t, "script host", s.pos, s.end, nil)
		}
	}
}

type hostString struct {
	text     string
	pos, end int
}

// hostScriptStrings evaluates the string expressions of VBScript or JScript
// text: literals ("" and \" escapes) joined with & or +, and Chr(n) /
// ChrW(n) / String.fromCharCode(n).
func hostScriptStrings(src string) []hostString {
	var out []hostString
	var cur strings.Builder
	curStart := -1
	lastEnd := 0
	expectJoin := false
	flush := func() {
		if curStart >= 0 && cur.Len() > 0 {
			out = append(out, hostString{text: cur.String(), pos: curStart, end: lastEnd})
		}
		cur.Reset()
		curStart = -1
		expectJoin = false
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '"' || c == '\'':
			if expectJoin {
				flush()
			}
			j := i + 1
			var b strings.Builder
			for j < len(src) {
				if src[j] == c {
					if c == '"' && j+1 < len(src) && src[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					break
				}
				if src[j] == '\\' && j+1 < len(src) && (src[j+1] == c || src[j+1] == '\\') {
					b.WriteByte(src[j+1])
					j += 2
					continue
				}
				b.WriteByte(src[j])
				j++
			}
			if curStart < 0 {
				curStart = i
			}
			cur.WriteString(b.String())
			i = min(j+1, len(src))
			lastEnd = i
			expectJoin = true
		case c == '&' || c == '+':
			expectJoin = false
			i++
		case c == ' ' || c == '\t' || c == '_' && i+1 < len(src) && (src[i+1] == '\r' || src[i+1] == '\n'):
			i++
		case c == '\r' || c == '\n':
			i++
		default:
			low := strings.ToLower(src[i:min(i+20, len(src))])
			matched := false
			for _, fn := range []string{"chrw(", "chr(", "string.fromcharcode("} {
				if strings.HasPrefix(low, fn) {
					k := strings.IndexByte(src[i:], ')')
					if k < 0 {
						break
					}
					n, err := strconv.Atoi(strings.TrimSpace(src[i+len(fn) : i+k]))
					if err == nil && n > 0 && n < 0x110000 {
						if expectJoin {
							flush()
						}
						if curStart < 0 {
							curStart = i
						}
						cur.WriteRune(rune(n))
						i += k + 1
						lastEnd = i
						expectJoin = true
						matched = true
					}
					break
				}
			}
			if !matched {
				flush()
				i++
			}
		}
	}
	flush()
	return out
}
