package pwsh

import (
	"sort"
	"strings"
	"sync"
	"unicode"
)

// The readable form of a layer is the same script with its token-level
// disguise removed: escape ticks dropped, random case folded to the usual
// spelling of known commands, and string expressions the evaluator could
// compute ('ne'+'w-'+'item', "{1}{0}" -f 'ex','i', [char]105+...) replaced by
// their value. It is only produced when it differs in substance.

// strongFold are techniques whose presence alone makes the readable form
// worth showing; plain concatenation of variables is common in honest
// scripts.
const strongFold = techFormat | techCharCodes | techReplace | techReverse | techSplit | techJoin |
	techBxor | techBase64 | techEnvHiding | techWildcard | techNumberBase | techHex | techDeflate | techGzip

func readableForm(src string, toks []Token, folds []fold, obf obfuscation) (string, tech, bool) {
	use := outermostFolds(folds, toks)
	var t tech
	strong := false
	literalOnly := 0
	for _, f := range use {
		t |= f.tech
		// A command or member named by an expression (&('i'+'ex'),
		// &($r[9]+$r[2]+$r[7])) hides what runs; honest scripts name what
		// they call.
		if f.tech&strongFold != 0 || (f.command || f.member) && isPlainName(f.text) {
			strong = true
		}
		if f.literalOnly {
			literalOnly++
		}
	}
	if !strong && literalOnly < 2 && obf.ticks < 3 && obf.randomCase < 3 {
		return "", 0, false
	}
	var b strings.Builder
	b.Grow(len(src))
	prev := 0
	fi := 0
	changes := 0
	for i := 0; i < len(toks); i++ {
		tk := toks[i]
		b.WriteString(src[prev:tk.Pos])
		prev = tk.Pos
		for fi < len(use) && use[fi].end <= tk.Pos {
			fi++
		}
		if fi < len(use) && use[fi].pos == tk.Pos {
			f := use[fi]
			b.WriteString(foldText(f, toks, i))
			changes++
			for i < len(toks) && toks[i].End <= f.end {
				i++
			}
			i--
			prev = f.end
			fi++
			continue
		}
		text, changed := readableToken(tk)
		if changed {
			changes++
			if strings.ContainsRune(tk.Text, '`') {
				t |= techTicks
			} else {
				t |= techCase
			}
		}
		b.WriteString(text)
		prev = tk.End
	}
	b.WriteString(src[prev:])
	if changes == 0 {
		return "", 0, false
	}
	return b.String(), t, true
}

type usedFold struct {
	fold
	literalOnly bool // every token inside is a literal or an operator
	member      bool // the expression names a member: .('Split')
	command     bool // the expression names a command: &('iex')
}

// outermostFolds keeps folds that align with token boundaries and are not
// inside another kept fold.
func outermostFolds(folds []fold, toks []Token) []usedFold {
	if len(folds) == 0 {
		return nil
	}
	starts := map[int]int{}
	ends := map[int]int{}
	for i, t := range toks {
		starts[t.Pos] = i
		ends[t.End] = i
	}
	fs := append([]fold(nil), folds...)
	sort.Slice(fs, func(a, b int) bool {
		if fs[a].pos != fs[b].pos {
			return fs[a].pos < fs[b].pos
		}
		return fs[a].end > fs[b].end
	})
	var out []usedFold
	lastEnd := -1
	for _, f := range fs {
		if f.pos < lastEnd {
			continue
		}
		si, ok1 := starts[f.pos]
		ei, ok2 := ends[f.end]
		if !ok1 || !ok2 || ei < si {
			continue
		}
		// a fold of a single plain literal changes nothing
		if si == ei && (toks[si].Kind == String || toks[si].Kind == Number) {
			continue
		}
		u := usedFold{fold: f, literalOnly: true}
		for _, t := range toks[si : ei+1] {
			switch t.Kind {
			case String, ExpandableString, Number, Operator, GroupStart, GroupEnd, Type, Member, NewLine:
			default:
				u.literalOnly = false
			}
			if t.Kind == ExpandableString && strings.Contains(t.Text, "$") {
				u.literalOnly = false
			}
		}
		if si > 0 {
			p := toks[si-1]
			u.member = p.Kind == Operator && (p.Value == "." || p.Value == "::") && p.End == f.pos
			u.command = p.Kind == Operator && (p.Value == "&" || p.Value == ".") && !u.member
		}
		out = append(out, u)
		lastEnd = f.end
	}
	return out
}

// foldText is the replacement text for a folded expression.
func foldText(f usedFold, toks []Token, i int) string {
	if (f.member || f.command) && isPlainName(f.text) {
		return f.text
	}
	return quoteSingle(f.text)
}

func isPlainName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(isNameChar(r) || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func quoteSingle(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		if isSingleQuote(r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// canonicalNames maps lower-case command, member and type names to their
// usual spelling, for undoing random case.
var canonicalNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, c := range commonCmdlets {
		m[strings.ToLower(c)] = c
	}
	for _, n := range strings.Fields(`DownloadString DownloadFile DownloadData OpenRead UploadString
		System Net WebRequest WebProxy DefaultWebProxy CredentialCache DefaultNetworkCredentials Add
		Expect100Continue ServerCertificateValidationCallback Object Diagnostics ProcessStartInfo
		FileName Arguments WindowStyle Hidden CreateNoWindow UseShellExecute Management Automation
		AmsiUtils Sockets TCPClient GetStream Write Read Flush Close Length Exit Sleep Kill Process
		FromBase64String ToBase64String GetString GetBytes ReadToEnd Invoke Replace Split Join Concat
		ToCharArray ToString Substring ToLower ToUpper Trim Reverse Create InvokeScript NewScriptBlock
		GetCmdlet GetCommand GetCommandName InvokeCommand ExecutionContext Value Name Content Headers
		Proxy Credentials DefaultCredentials DefaultNetworkCredentials DefaultWebProxy SecurityProtocol
		GetType GetField GetMethod SetValue GetValue Assembly Load Length Count Matches Match UTF8
		Unicode ASCII Default Decompress CopyTo ToArray Start Run WebClient Net Text Encoding Convert
		IO Compression DeflateStream GZipStream MemoryStream StreamReader CompressionMode String Char
		Environment Reflection ServicePointManager SecurityProtocolType Tls12 Marshal`) {
		m[strings.ToLower(n)] = n
	}
	for _, a := range defaultAliases {
		m[strings.ToLower(a[0])] = strings.ToLower(a[0])
	}
	return m
})

// readableToken returns the token text without ticks and with the usual
// case, and whether that differs from the source.
func readableToken(t Token) (string, bool) {
	switch t.Kind {
	case Command, Word, Member:
		v := t.Value
		if c, ok := canonicalNames()[strings.ToLower(v)]; ok && irregularCase(v) {
			v = c
		}
		return v, v != t.Text
	case Keyword, Operator:
		return t.Value, t.Value != t.Text && strings.EqualFold(t.Value, t.Text) && irregularCase(t.Text)
	case Parameter:
		v := unescapeTicks(t.Text)
		return v, v != t.Text
	case Type:
		v := t.Text
		if strings.ContainsRune(v, '`') {
			v = "[" + t.Value + "]"
		}
		if irregularCase(t.Value) {
			parts := strings.Split(strings.Trim(v, "[]"), ".")
			for i, p := range parts {
				if c, ok := canonicalNames()[strings.ToLower(p)]; ok {
					parts[i] = c
				} else if c, ok := typeCase[strings.ToLower(p)]; ok {
					parts[i] = c
				}
			}
			v = "[" + strings.Join(parts, ".") + "]"
		}
		return v, v != t.Text
	case Variable:
		if strings.HasPrefix(t.Text, "$") && !strings.HasPrefix(t.Text, "${") && irregularCase(t.Value) {
			if strings.HasPrefix(strings.ToLower(t.Value), "env:") {
				return "$env:" + strings.ToUpper(t.Value[4:]), true
			}
		}
	}
	return t.Text, false
}

var typeCase = map[string]string{
	"system": "System", "char": "char", "string": "string", "int": "int", "byte": "byte",
	"scriptblock": "ScriptBlock", "regex": "Regex", "array": "Array", "type": "Type", "ref": "Ref",
	"runtime": "Runtime", "interopservices": "InteropServices", "management": "Management",
	"automation": "Automation", "amsiutils": "AmsiUtils",
}

// irregularCase reports names spelled in random case (nEw-oBjEcT,
// DefauLtWEBPROXY): a part that is a known name spelled with several
// capitals more or less than usual, or any part whose letters flip case
// more than normal spelling does. All-lower and all-upper spellings are
// normal.
func irregularCase(s string) bool {
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if randomCasePart(part) {
			return true
		}
	}
	return false
}

func randomCasePart(p string) bool {
	if len(p) < 3 || strings.ToLower(p) == p || strings.ToUpper(p) == p {
		return false
	}
	if c, ok := canonicalNames()[strings.ToLower(p)]; ok && c != p {
		if d := upperCount(p) - upperCount(c); d >= 2 || d <= -2 {
			return true
		}
	}
	return flipRatio(p)
}

func upperCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsUpper(r) {
			n++
		}
	}
	return n
}

func flipRatio(s string) bool {
	flips, pairs := 0, 0
	var prev rune
	for _, r := range s {
		if !unicode.IsLetter(r) {
			prev = 0
			continue
		}
		if prev != 0 {
			pairs++
			if unicode.IsUpper(r) != unicode.IsUpper(prev) {
				flips++
			}
		}
		prev = r
	}
	return pairs >= 3 && flips*10 > pairs*4
}
