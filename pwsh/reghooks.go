package pwsh

import (
	"regexp"
	"strings"
	"sync"
)

// regHook is a registry place where a value makes Windows start code: at
// logon, at boot, or when some other program or event runs. Patterns are
// lower case. key matches the end of the key's path, name the value name
// ("" for any value, or the key's creation), data the value written (""
// for any).
type regHook struct {
	key, name, data string
}

// appendedProgram is a value that lists another program after the one
// Windows expects (explorer.exe, C:\evil.exe). Userinit's default ends in a
// comma with nothing after it.
const appendedProgram = `,\s*['"]?([a-z]:\\|%|\$|\\\\|[a-z0-9_-]+\.(exe|dll|bat|cmd|ps1|vbs|js|scr)\b)`

var (
	winlogonHooks = []regHook{
		{key: `winlogon`, name: `shell|userinit`, data: appendedProgram},
		{key: `winlogon\\notify\\[^\\'"\s]+`},
	}
	debuggerHooks = []regHook{
		{key: `image file execution options\\[^\\'"\s]+`, name: `debugger|globalflag`},
		{key: `silentprocessexit\\[^\\'"\s]+`, name: `monitorprocess`},
	}
	autostartHooks = []regHook{
		{key: `control\\lsa(\\osconfig)?`, name: `(authentication|security|notification) packages`},
		{key: `w32time\\timeproviders\\[^\\'"\s]+`},
		{key: `control\\print\\monitors\\[^\\'"\s]+`},
		{key: `control\\session manager`, name: `bootexecute`},
		{key: `explorer\\(user )?shell folders`, name: `(common )?startup`},
	}
	eventHooks = []regHook{
		{key: `windows nt\\currentversion\\windows`, name: `(load)?appinit_dlls`},
		{key: `session manager\\appcertdlls`},
		{key: `software\\(wow6432node\\)?microsoft\\netsh`},
		{key: `command processor`, name: `autorun`},
		{key: `winsock2\\parameters`, name: `autodialdll`},
		{key: `(hkcu:?|hkey_current_user)\\software\\classes\\(wow6432node\\)?clsid\\\{[^}]+\}\\(inprocserver32|localserver32|treatas)`},
	}
)

// registryWriters are the commands whose facts registry hooks check.
var registryWriters = []string{"set-itemproperty", "new-itemproperty", "set-item", "new-item", "reg"}

// writesRegistry tells a registry-writing fact from reg.exe's other
// verbs: reg query and reg delete name the same keys and values.
func writesRegistry(f fact) bool {
	return f.name != "reg" || len(f.args) > 0 && strings.EqualFold(f.args[0], "add")
}

// writeVerb starts a line that writes to the registry, for the text
// patterns of registry hooks.
const writeVerb = `(set-itemproperty|new-itemproperty|new-item|set-item|\bsp\b|reg(\.exe)?["']?\s+add|setvalue|regwrite)`

// hookText is the pattern of a line that writes one of hooks: the key, then
// the value name and the data, as reg.exe and the registry cmdlets spell
// them on one line.
func hookText(hooks []regHook) *lazyRegexp {
	alts := make([]string, len(hooks))
	for i, h := range hooks {
		p := h.key
		if h.name != "" {
			p += `\\?['"]?[^\n]{0,120}\b(` + h.name + `)\b`
		}
		if h.data != "" {
			p += `[^\n]{0,200}?` + h.data
		}
		alts[i] = "(" + p + ")"
	}
	return re(writeVerb + `[^\n]{0,250}(` + strings.Join(alts, "|") + `)`)
}

// hookWrite checks a registry-writing command fact, whose arguments the
// evaluator resolved (variables included): one argument is a key of hooks,
// another the value name, another the data.
func hookWrite(hooks []regHook) func(fact) bool {
	type compiled struct{ key, name, data *regexp.Regexp }
	// Compiled on first use, as every pattern of this package, so that
	// programs that never analyse a script do not pay for it.
	compile := sync.OnceValue(func() []compiled {
		var cs []compiled
		for _, h := range hooks {
			c := compiled{key: regexp.MustCompile(`(?i)(` + h.key + `)\\?$`)}
			if h.name != "" {
				c.name = regexp.MustCompile(`(?i)^(` + h.name + `)$`)
			}
			if h.data != "" {
				c.data = regexp.MustCompile(`(?i)` + h.data)
			}
			cs = append(cs, c)
		}
		return cs
	})
	anyArg := func(f fact, r *regexp.Regexp) bool {
		if r == nil {
			return true
		}
		for _, a := range f.args {
			if r.MatchString(strings.TrimSpace(a)) {
				return true
			}
		}
		return false
	}
	return func(f fact) bool {
		if !writesRegistry(f) {
			return false
		}
		for _, c := range compile() {
			if anyArg(f, c.key) && anyArg(f, c.name) && anyArg(f, c.data) {
				return true
			}
		}
		return false
	}
}
