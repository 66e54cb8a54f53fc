package pwsh

import (
	"net"
	"regexp"
	"sort"
	"strings"
)

var (
	urlRe = regexp.MustCompile(`(?i)\b(?:https?|ftp|finger)://[^\s'"<>()\[\]{}|,;` + "`" + `\\^]+`)
)

// findIPv4 returns dotted quads standing alone (not part of a longer
// dotted number such as a version 1.2.3.4.5).
func findIPv4(s string, max int) []string {
	var out []string
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	for i := 0; i < len(s) && len(out) < max; i++ {
		if !isDigit(s[i]) || i > 0 && (isDigit(s[i-1]) || s[i-1] == '.') {
			continue
		}
		j, parts := i, 0
		for parts < 4 {
			k := j
			for k < len(s) && k-j < 4 && isDigit(s[k]) {
				k++
			}
			if k == j || k-j > 3 {
				break
			}
			parts++
			j = k
			if parts < 4 {
				if j >= len(s) || s[j] != '.' {
					break
				}
				j++
			}
		}
		if parts == 4 && (j >= len(s) || !isDigit(s[j]) && !(s[j] == '.' && j+1 < len(s) && isDigit(s[j+1]))) {
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

// namespaceHosts appear in XML namespaces and schemas, not as network
// indicators.
var namespaceHosts = map[string]bool{
	"schemas.microsoft.com": true, "www.w3.org": true, "schemas.xmlsoap.org": true,
	"schemas.openxmlformats.org": true, "purl.org": true, "ns.adobe.com": true,
}

// iocs gathers URLs, domains, IP addresses and file paths from every layer,
// the strings the evaluator computed and the facts it recorded.
func (a *analysis) iocs() []IOC {
	seen := map[string]bool{}
	var out []IOC
	add := func(typ, v string, layer int) {
		v = strings.TrimRight(v, iocTrailing)
		if v == "" || len(v) > 2048 {
			return
		}
		k := typ + "\x00" + strings.ToLower(v)
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, IOC{Type: typ, Value: v, Layer: layer})
	}
	addURL := func(u string, layer int) {
		host := urlHost(u)
		if namespaceHosts[strings.ToLower(host)] {
			return
		}
		add("url", u, layer)
		if host == "" {
			return
		}
		if ip := net.ParseIP(host); ip != nil {
			add("ip", host, layer)
		} else if strings.Contains(host, ".") {
			add("domain", strings.ToLower(host), layer)
		}
	}
	// URLs are gathered first: a string built by concatenation is seen at
	// every step, and only the complete URLs are indicators.
	var urls []foundURL
	gather := func(u string, layer int) {
		if len(urls) < maxURLCandidates {
			urls = append(urls, foundURL{u, layer})
		}
	}
	for _, l := range a.d.layers {
		texts := []string{l.Text}
		for _, f := range l.folds {
			texts = append(texts, f.text)
		}
		for _, t := range texts {
			if len(out) > 512 {
				break
			}
			if strings.Contains(t, "://") {
				for _, u := range urlRe.FindAllString(t, 64) {
					for _, part := range splitJoinedURLs(u) {
						gather(part, l.Index)
					}
				}
			}
			for _, ip := range findIPv4(t, 64) {
				if p := net.ParseIP(ip); p != nil && !p.IsLoopback() && !p.IsUnspecified() && validPublicish(ip) {
					add("ip", ip, l.Index)
				}
			}
		}
		for _, f := range l.facts {
			switch f.kind {
			case factDownload:
				if f.url != "" && !strings.Contains(f.url, "://") && looksLikeHostPath(f.url) {
					gather("http://"+f.url, l.Index)
				} else if strings.Contains(f.url, "://") {
					gather(f.url, l.Index)
				}
				if f.path != "" {
					add("path", displayPath(f.path), l.Index)
				}
			case factWrite, factRun, factExecNet:
				if f.path != "" && (strings.ContainsAny(f.path, `\/`) || executableExt.MatchString(f.path)) {
					add("path", displayPath(f.path), l.Index)
				}
				if f.url != "" {
					gather(f.url, l.Index)
				}
			}
		}
	}
	for _, u := range completeURLs(urls) {
		addURL(u.url, u.layer)
	}
	sort.SliceStable(out, func(i, j int) bool { return iocRank(out[i].Type) < iocRank(out[j].Type) })
	if out == nil {
		out = []IOC{}
	}
	return out
}

type foundURL struct {
	url   string
	layer int
}

// maxURLCandidates bounds the URLs gathered from one script.
const maxURLCandidates = 4096

// completeURLs drops every URL that is the beginning of a longer one found
// in the same script: the partial strings of a URL being concatenated
// ("http://evil", "http://evil.com/p", ...). It keeps the order.
func completeURLs(urls []foundURL) []foundURL {
	keys := make([]string, len(urls))
	order := make([]int, len(urls))
	for i, u := range urls {
		keys[i] = strings.ToLower(strings.TrimRight(u.url, iocTrailing))
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return keys[order[i]] < keys[order[j]] })
	partial := make([]bool, len(urls))
	// In sorted order, a string that begins a longer one is followed by one
	// that it begins too.
	for k := len(order) - 2; k >= 0; k-- {
		a, b := keys[order[k]], keys[order[k+1]]
		partial[order[k]] = a == b && partial[order[k+1]] || len(b) > len(a) && strings.HasPrefix(b, a)
	}
	var out []foundURL
	for i, u := range urls {
		if !partial[i] {
			out = append(out, u)
		}
	}
	return out
}

// splitJoinedURLs splits URLs that malware joins into one string with a
// separator ("http://a/x/*https://b/y", split later with .Split('*')).
func splitJoinedURLs(u string) []string {
	var out []string
	start := 0
	for i := 1; i < len(u); i++ {
		if strings.IndexByte(urlJoiners, u[i-1]) >= 0 && startsURL(u[i:]) {
			if part := strings.TrimRight(u[start:i], urlJoiners); part != "" {
				out = append(out, part)
			}
			start = i
		}
	}
	last := u[start:]
	// The string may stop inside the next URL's scheme: "http://a/x/*ht".
	if i := strings.LastIndexAny(last, urlJoiners); i > 0 && i+1 < len(last) && schemePrefix(last[i+1:]) {
		last = strings.TrimRight(last[:i], urlJoiners)
	}
	return append(out, last)
}

var urlSchemes = []string{"https://", "http://", "ftp://", "finger://"}

// startsURL reports whether s starts with a scheme and something after it.
func startsURL(s string) bool {
	for _, scheme := range urlSchemes {
		if len(s) > len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			return true
		}
	}
	return false
}

// schemePrefix reports whether s is the beginning of a scheme, "ht".
func schemePrefix(s string) bool {
	for _, scheme := range urlSchemes {
		if len(s) <= len(scheme) && strings.EqualFold(scheme[:len(s)], s) {
			return true
		}
	}
	return false
}

const (
	urlJoiners  = "*@!~"
	iocTrailing = ".,:;)'\""
)

func iocRank(t string) int {
	switch t {
	case "url":
		return 0
	case "domain":
		return 1
	case "ip":
		return 2
	}
	return 3
}

// validPublicish drops version-number look-alikes such as 1.0.0.0 and
// 2.0.0.1 that every script carries.
func validPublicish(s string) bool {
	parts := strings.Split(s, ".")
	if parts[0] == "0" || parts[3] == "0" && parts[2] == "0" {
		return false
	}
	for _, p := range parts {
		if len(p) > 1 && p[0] == '0' {
			return false
		}
	}
	return true
}

func urlHost(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	h := u[i+3:]
	if j := strings.IndexAny(h, "/?#"); j >= 0 {
		h = h[:j]
	}
	if j := strings.LastIndexByte(h, '@'); j >= 0 {
		h = h[j+1:]
	}
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return h
}

// summary writes what the script does in plain words.
func (a *analysis) summary(res *Result) Summary {
	var s Summary
	sayf := func(en, ja string) {
		s.EN = append(s.EN, en)
		s.JA = append(s.JA, ja)
	}
	has := map[string]bool{}
	for _, f := range res.Findings {
		has[f.ID] = true
	}
	switch res.Verdict {
	case Malicious:
		sayf("Verdict: malicious. Do not run this.", "判定: 悪意あり。実行しないでください。")
	case Suspicious:
		sayf("Verdict: suspicious. Do not run this unless you know exactly where it comes from.",
			"判定: 疑わしい。出どころが確実に分かっている場合以外は実行しないでください。")
	default:
		sayf("Verdict: no known-bad behaviour found. This does not prove the script is safe.",
			"判定: 既知の悪い挙動は見つかりませんでした。安全であることの証明ではありません。")
	}
	urls := []string{}
	for _, i := range res.IOCs {
		if i.Type == "url" && len(urls) < 3 {
			urls = append(urls, Defang(i.Value))
		}
	}
	where := ""
	if len(urls) > 0 {
		where = " from " + strings.Join(urls, ", ")
	}
	whereJA := ""
	if len(urls) > 0 {
		whereJA = strings.Join(urls, "、") + " から"
	}
	hidden := has["hidden-window"] || has["hidden-window-process"]
	switch {
	case has["download-execute"] || has["download-execute-pattern"] || has["run-downloaded-file"] || has["mshta-remote"] || has["remote-scriptlet"]:
		en := "This command downloads a program or script" + where + " and runs it"
		ja := whereJA + "プログラムまたはスクリプトをダウンロードして実行します"
		if hidden {
			en += " without showing a window"
			ja = whereJA + "プログラムまたはスクリプトをダウンロードし、ウィンドウを表示せずに実行します"
		}
		sayf(en+".", ja+"。")
	case has["download-webclient"] || has["download-webrequest"] || has["download-bits"] || has["download-certutil"] || has["finger-download"] || has["download-other"]:
		sayf("It downloads content"+where+".", whereJA+"内容をダウンロードします。")
	}
	if hidden && !(has["download-execute"] || has["download-execute-pattern"] || has["run-downloaded-file"]) {
		sayf("It runs with its window hidden, so you would not see it working.", "ウィンドウを隠して実行されるため、動作していても気付きません。")
	}
	if has["invoke-expression-computed"] || has["obfuscation-layers"] || has["obfuscation-tokens"] || has["hidden-invoke-expression"] {
		n := res.Obfuscation.Layers
		tech := map[string]bool{}
		var names []string
		for _, l := range res.Layers {
			for _, t := range l.Techniques {
				if !tech[t] {
					tech[t] = true
					names = append(names, t)
				}
			}
		}
		detail := ""
		if len(names) > 0 {
			detail = " (" + strings.Join(names, ", ") + ")"
		}
		if n > 0 {
			layers := "1 layer"
			if n > 1 {
				layers = itoa(n) + " layers"
			}
			sayf("Its real code is disguised in "+layers+detail+" to hide what it does; wuguard decoded it without running anything.",
				"本当のコードは "+itoa(n)+" 層の偽装"+detail+"で隠されています。wuguard は何も実行せずにそれを解読しました。")
		} else {
			sayf("The code is deliberately made hard to read"+detail+".", "コードは意図的に読みにくくされています"+detail+"。")
		}
	}
	type item struct {
		ids    []string
		en, ja string
	}
	for _, it := range []item{
		{[]string{"amsi-bypass", "amsi-null-bits", "amsi-registry", "etw-tamper", "powershell-downgrade"}, "It switches off Windows' scanning or logging of scripts, so antivirus cannot see what it runs.", "Windows のスクリプト検査やログを止め、ウイルス対策ソフトが中身を見られないようにします。"},
		{[]string{"defender-disable", "defender-exclusion", "defender-registry", "defender-reporting-off"}, "It weakens or turns off Microsoft Defender.", "Microsoft Defender の保護を弱めるか無効にします。"},
		{[]string{"mimikatz", "lsass-dump", "credential-files", "browser-credentials", "credential-phish-exfil", "keylogger"}, "It tries to steal passwords or other secrets.", "パスワードなどの秘密情報を盗もうとします。"},
		{[]string{"win32-injection", "shellcode-bytes", "reflective-load", "dynamic-api"}, "It loads machine code straight into memory, a way to run malware without a file on disk.", "機械語を直接メモリーに読み込みます。ディスク上にファイルを置かずにマルウェアを動かす手口です。"},
		{[]string{"scheduled-task", "run-key", "startup-folder", "new-service", "wmi-persistence", "winlogon-hijack", "debugger-hijack", "autostart-registry", "event-hook"}, "It sets itself up to run again later (at logon, on a schedule, as a service or when other programs start).", "後で（ログオン時、定期的、サービスとして、または他のプログラムの起動時に）再び動くよう仕込みます。"},
		{[]string{"log-clearing", "runmru-cleanup", "history-cleanup", "clipboard-overwrite"}, "It erases traces: event logs, the Run dialog history or the clipboard.", "イベントログ、「ファイル名を指定して実行」の履歴、クリップボードなどの痕跡を消します。"},
		{[]string{"shadow-copy-delete"}, "It deletes backups and recovery options, as ransomware does.", "ランサムウェアと同様にバックアップや回復手段を削除します。"},
		{[]string{"reverse-shell"}, "It gives a remote attacker a command line on this computer.", "遠隔の攻撃者にこのコンピューターのコマンドラインを与えます。"},
		{[]string{"offensive-tool", "offensive-keywords"}, "It contains code from known hacking tools.", "既知のハッキングツールのコードを含みます。"},
		{[]string{"clickfix-lure", "whitespace-padding"}, "It carries a fake \"verification\" message or hidden padding meant to make you trust it.", "信用させるための偽の「確認」メッセージや、内容を隠す空白を含みます。"},
	} {
		for _, id := range it.ids {
			if has[id] {
				sayf(it.en, it.ja)
				break
			}
		}
	}
	if res.Verdict != NoKnownBad && (has["pasted-launcher"] || has["clickfix-lure"] || has["whitespace-padding"] || a.d.layers[0].Language == "command-line") {
		sayf("A real Windows Update fix, CAPTCHA or support page never asks you to paste a command into the Run dialog, a terminal or File Explorer.",
			"本物の Windows Update の修正手順や CAPTCHA、サポートページが、コマンドを「ファイル名を指定して実行」やターミナル、エクスプローラーに貼り付けるよう求めることはありません。")
	}
	if s.EN == nil {
		s.EN, s.JA = []string{}, []string{}
	}
	return s
}
