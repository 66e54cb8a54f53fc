package pwsh

import (
	_ "embed"
	"net"
	"strings"
	"sync"
	"unicode/utf8"
)

// The rules. Each says what it recognises, the ATT&CK technique, how bad
// it is, and one sentence for a reader in English and Japanese. Patterns
// run on lower-case text with escape ticks removed from names. Keep them
// general: they must describe a technique, never one sample.

// userWritable are folders any user can write to, where droppers put
// their payloads.
var userWritable = re(`(?i)(\\|/|%|\$env:|^)(temp|tmp|appdata|localappdata|programdata|public|downloads|music|documents|videos|pictures|desktop)(\\|/|%|\b)|\\users\\public|\\appdata\\|\\programdata\\|\\windows\\temp\\|%temp%|\$env:temp|gettemppath`)

var runKeyPath = re(`(?i)currentversion\\(run|runonce|runservices|runservicesonce|policies\\explorer\\run)\\?$`)

var executableExt = re(`(?i)\.(exe|dll|scr|ps1|bat|cmd|vbs|vbe|js|jse|hta|msi|lnk|cpl|jar|com|pif|wsf)\b`)

var rules = []rule{
	// --- execution of downloaded content
	{
		id: "download-execute", attack: "T1105", sev: Critical, title: "Downloads code and runs it",
		en:    "It fetches code or a program from the internet and runs it at once, without any check.",
		ja:    "インターネットからコードやプログラムを取得し、確認なしにそのまま実行します。",
		facts: []factKind{factExecNet},
	},
	{
		id: "download-execute-pattern", attack: "T1059.001", sev: High, title: "Download cradle passed to Invoke-Expression",
		en:   "It hands text fetched from the internet to Invoke-Expression, PowerShell's \"run this text as code\" command.",
		ja:   "インターネットから取得した文字列を Invoke-Expression（文字列をコードとして実行する命令）に渡します。",
		need: []string{"iex", "invoke-expression"},
		re:   re(`(iex|invoke-expression)[\s(]*\(?\s*(\(?\s*new-object\s+(system\.)?net\.webclient\)?\s*\.\s*downloadstring|(iwr|irm|curl|wget|invoke-webrequest|invoke-restmethod)\b)|(downloadstring|invoke-restmethod|irm\s|iwr\s|invoke-webrequest)[^|;\n]{0,400}\|\s*(iex|invoke-expression)\b`),
	},
	{
		id: "run-downloaded-file", attack: "T1204.002", sev: High, title: "Runs a downloaded file from a user folder",
		en:     "It saves a file from the internet into a folder any user can write to and starts it.",
		ja:     "インターネットから取得したファイルを誰でも書き込めるフォルダーに保存し、起動します。",
		custom: dropThenRun,
	},
	// --- downloads
	{
		id: "download-webclient", attack: "T1105", sev: Medium, title: "Downloads with Net.WebClient",
		en:    "It downloads content with .NET's WebClient, a common way for scripts to fetch the next stage.",
		ja:    ".NET の WebClient で内容をダウンロードします。次の段階を取得する典型的な方法です。",
		facts: []factKind{factDownload},
		check: func(f fact) bool { return strings.HasPrefix(f.name, "WebClient.") },
		re:    re(`\.\s*download(string|file|data)(taskasync)?\s*\(`),
	},
	{
		id: "download-webrequest", attack: "T1105", sev: Low, title: "Downloads with Invoke-WebRequest or curl",
		en:    "It downloads content from the internet (Invoke-WebRequest, Invoke-RestMethod, curl or wget).",
		ja:    "インターネットから内容をダウンロードします（Invoke-WebRequest、Invoke-RestMethod、curl、wget）。",
		facts: []factKind{factDownload},
		check: func(f fact) bool {
			return f.name == "Invoke-WebRequest" || f.name == "curl" || f.name == "wget"
		},
	},
	{
		id: "download-bits", attack: "T1197", sev: Medium, title: "Downloads with BITS",
		en:   "It uses the Background Intelligent Transfer Service (Start-BitsTransfer or bitsadmin) to download files, which attackers use to blend in.",
		ja:   "BITS（Start-BitsTransfer や bitsadmin）でファイルをダウンロードします。攻撃者が目立たないように使う方法です。",
		cmds: []string{"start-bitstransfer", "bitsadmin"},
	},
	{
		id: "download-certutil", attack: "T1105", sev: High, title: "Abuses certutil to download or decode",
		en:   "It misuses the certificate tool certutil to download or decode a file, a classic way to bring in malware.",
		ja:   "証明書ツール certutil を悪用してファイルをダウンロードまたはデコードします。マルウェアを持ち込む典型的な手口です。",
		cmds: []string{"certutil"}, params: []string{"urlcache", "decode", "decodehex", "verifyctl"},
	},
	{
		id: "mshta-remote", attack: "T1218.005", sev: High, title: "Runs a remote HTML application with mshta",
		en: "It makes mshta.exe fetch and run an HTML application from the internet.",
		ja: "mshta.exe にインターネット上の HTML アプリケーションを取得させ、実行させます。",
		re: re(`mshta(\.exe)?["']?\s+["']?(https?:|\\\\)`),
	},
	{
		id: "mshta-inline", attack: "T1218.005", sev: High, title: "Runs inline script with mshta or rundll32",
		en: "It makes mshta.exe or rundll32.exe run VBScript or JavaScript written on the command line.",
		ja: "mshta.exe や rundll32.exe に、コマンドラインに書かれた VBScript や JavaScript を実行させます。",
		re: re(`(mshta|rundll32)(\.exe)?["']?\s+["']?(vbscript|javascript):`),
	},
	{
		id: "finger-download", attack: "T1105", sev: High, title: "Fetches commands with finger",
		en:    "It uses the old finger tool to fetch text from a remote server, a recent fake-fix trick to download commands.",
		ja:    "古い finger コマンドでリモートサーバーから文字列を取得します。偽の修正手順で最近使われるダウンロード手口です。",
		facts: []factKind{factDownload},
		check: func(f fact) bool { return f.name == "finger" },
	},
	{
		id: "download-executable", attack: "T1105", sev: Medium, title: "Downloads a program",
		en:    "It downloads a program or script file (.exe, .dll, .msi, .ps1, .bat, .hta ...) or fetches from a bare IP address.",
		ja:    "プログラムやスクリプトのファイル（.exe、.dll、.msi、.ps1、.bat、.hta など）をダウンロードする、または IP アドレスから直接取得します。",
		facts: []factKind{factDownload},
		check: func(f fact) bool {
			return hostIsIP(f.url) || userWritable.MatchString(f.path) && (executableExt.MatchString(f.path) || executableExt.MatchString(urlPath(f.url)))
		},
	},
	{
		id: "decode-and-run", attack: "T1027", sev: High, title: "Decodes a payload and runs it",
		en: "It decodes an embedded base64 payload, decompresses it and runs the result as code in one go.",
		ja: "埋め込まれた base64 のデータを復号・展開し、その結果をそのままコードとして実行します。",
		re: re(`(iex|invoke-expression)[^\n]{0,400}(gzipstream|deflatestream)[^\n]{0,400}|(gzipstream|deflatestream)[^\n]{0,600}(\|\s*(iex|invoke-expression)|readtoend\(\)\s*\)?\s*\|\s*(iex|invoke-expression))`),
	},
	{
		id: "download-other", attack: "T1105", sev: Low, title: "Downloads with HttpClient or XMLHTTP",
		en: "It downloads content through .NET HttpClient or a COM XMLHTTP/WinHTTP object.",
		ja: ".NET の HttpClient や COM の XMLHTTP/WinHTTP オブジェクトで内容をダウンロードします。",
		re: re(`net\.http\.httpclient|msxml2\.(server)?xmlhttp|microsoft\.xmlhttp|winhttp\.winhttprequest`),
	},
	{
		id: "remote-scriptlet", attack: "T1218.010", sev: High, title: "Loads a remote scriptlet or installer",
		en: "It makes regsvr32, msiexec or rundll32 load code straight from the internet.",
		ja: "regsvr32、msiexec、rundll32 にインターネット上のコードを直接読み込ませます。",
		re: re(`(regsvr32|msiexec|rundll32)(\.exe)?["']?\s[^\n]{0,200}(https?://)`),
	},
	// --- execution
	{
		id: "invoke-expression-computed", attack: "T1059.001", sev: High, title: "Runs text computed at run time",
		en:     "It builds code out of pieces at run time and runs it (with Invoke-Expression, a script block or a new PowerShell), so the code cannot be read directly.",
		ja:     "実行時に断片からコードを組み立て、（Invoke-Expression、スクリプトブロック、または新しい PowerShell で）実行します。コードを直接読めないようにする手口です。",
		custom: computedExecution,
	},
	{
		id: "invoke-expression-unknown", attack: "T1059.001", sev: Low, title: "Runs text of unknown origin",
		en:    "It runs text as code whose content is only known at run time.",
		ja:    "実行時にしか内容が分からない文字列をコードとして実行します。",
		facts: []factKind{factExecUnknown},
	},
	{
		id: "reflective-load", attack: "T1620", sev: High, title: "Loads a .NET assembly from memory",
		en:     "It loads a program into memory with Assembly.Load instead of running a file, which hides it from file scanning.",
		ja:     "ファイルを実行せず Assembly.Load でプログラムをメモリーに読み込みます。ファイルのスキャンを避ける手口です。",
		facts:  []factKind{factLoad},
		custom: loadedBytes,
		re:     re(`\[(system\.)?reflection\.assembly\]\s*::\s*load\s*\(\s*(\[(system\.)?convert\]::frombase64string|\(new-object\s+(system\.)?net\.webclient\)\.downloaddata)`),
	},
	// --- launcher flags
	{
		id: "hidden-window", attack: "T1564.003", sev: Medium, title: "Runs PowerShell with a hidden window",
		en:   "It starts PowerShell with its window hidden or minimized, so the user does not see what runs.",
		ja:   "PowerShell をウィンドウを隠すか最小化して起動し、何が実行されているか利用者に見えないようにします。",
		cmds: []string{"powershell"},
		check: func(f fact) bool {
			for _, a := range f.args {
				if a == "windowstyle=hidden" || a == "windowstyle=minimized" {
					return true
				}
			}
			return false
		},
	},
	{
		id: "hidden-window-process", attack: "T1564.003", sev: Low, title: "Starts a process hidden",
		en:   "It starts a program with a hidden window.",
		ja:   "プログラムをウィンドウを隠して起動します。",
		cmds: []string{"hidden-window"},
		re:   re(`\.windowstyle\s*=\s*['"]?(hidden|\[system\.diagnostics\.processwindowstyle\]::hidden)|createnowindow\s*=\s*\$true`),
	},
	{
		id: "execution-policy-bypass", attack: "T1059.001", sev: Low, title: "Bypasses the execution policy",
		en:   "It tells PowerShell to ignore the execution policy that normally blocks unsigned scripts.",
		ja:   "通常は署名のないスクリプトを止める実行ポリシーを無視するよう PowerShell に指示します。",
		cmds: []string{"powershell"},
		check: func(f fact) bool {
			for _, a := range f.args {
				if a == "executionpolicy=bypass" || a == "executionpolicy=unrestricted" {
					return true
				}
			}
			return false
		},
	},
	{
		id: "encoded-command", attack: "T1027", sev: Medium, title: "Passes an encoded command",
		en:   "It hands PowerShell its code in base64 (-EncodedCommand), which hides the code from a quick look.",
		ja:   "コードを base64 で PowerShell に渡します（-EncodedCommand）。一見しただけでは内容が分かりません。",
		cmds: []string{"powershell"}, params: []string{"encodedcommand"},
	},
	{
		id: "powershell-downgrade", attack: "T1562.010", sev: High, title: "Starts PowerShell version 2",
		en:   "It starts the old PowerShell 2 engine, which has no script scanning (AMSI) and little logging.",
		ja:   "スクリプトのスキャン（AMSI）もログもほとんどない古い PowerShell 2 を起動します。",
		cmds: []string{"powershell"},
		check: func(f fact) bool {
			for _, a := range f.args {
				if strings.HasPrefix(a, "version=2") {
					return true
				}
			}
			return false
		},
	},
	// --- AMSI
	{
		id: "amsi-bypass", attack: "T1562.001", sev: Critical, title: "Disables AMSI script scanning",
		en: "It tampers with AMSI, the Windows interface that lets antivirus scan scripts, so that malicious code is not detected.",
		ja: "ウイルス対策ソフトがスクリプトを検査するための Windows の仕組み AMSI を改ざんし、悪意のあるコードが検出されないようにします。",
		re: re(`amsiutils|amsiinitfailed|amsicontext|amsiscanbuffer|amsiscanstring|amsiopensession|amsi\.dll|amsisession`),
	},
	{
		id: "amsi-null-bits", attack: "T1562.001", sev: High, title: "AMSI bypass with null characters",
		en: "It uses a known trick with null characters to stop AMSI from scanning the script.",
		ja: "ヌル文字を使った既知の手口で、AMSI がスクリプトを検査できないようにします。",
		re: re(`if\s*\(\s*0\s*\)\s*\{\{\{0\}\}\}['"]\s*-f\s*\$\(\s*0\s*-as\s*\[char\]\s*\)`),
	},
	{
		id: "amsi-registry", attack: "T1562.001", sev: High, title: "Disables AMSI in the registry",
		en: "It sets AmsiEnable to 0 in the registry to turn off script scanning for Windows Script Host.",
		ja: "レジストリの AmsiEnable を 0 にし、Windows Script Host のスクリプト検査を無効にします。",
		re: re(`windows script\\settings[^\n]{0,80}amsienable|amsienable['"]?\s*(-value\s*)?['"]?0`),
	},
	{
		id: "etw-tamper", attack: "T1562.006", sev: High, title: "Blinds event tracing or script logging",
		en: "It patches or disables event tracing (ETW) or PowerShell script block logging so its actions leave no log.",
		ja: "イベントトレース（ETW）や PowerShell のスクリプトブロックログを改ざん・無効化し、操作がログに残らないようにします。",
		re: re(`etweventwrite|psetwlogprovider|etwprovider[^\n]{0,80}m_enabled|cachedgrouppolicysettings|enablescriptblocklogging['"]?\s*(,|-value)?\s*['"]?0|scriptblocklogging[^\n]{0,120}(0|\$false)\b|signatures\s*=\s*\$null`),
	},
	// --- Defender
	{
		id: "defender-disable", attack: "T1562.001", sev: Critical, title: "Turns off Microsoft Defender protection",
		en:   "It switches off parts of Microsoft Defender (real-time, behaviour or script scanning) with Set-MpPreference.",
		ja:   "Set-MpPreference で Microsoft Defender の保護機能（リアルタイム保護、動作監視、スクリプト検査など）を無効にします。",
		cmds: []string{"set-mppreference", "add-mppreference"}, paramTrue: true,
		params: []string{"disablerealtimemonitoring", "disablebehaviormonitoring", "disableioavprotection",
			"disablescriptscanning", "disableintrusionpreventionsystem", "disableblockatfirstseen",
			"disablearchivescanning", "disableremovabledrivescanning", "disablescanningnetworkfiles",
			"disableemailscanning", "disableprivacymode", "disablecatchupfullscan", "disablecatchupquickscan",
			"drtm", "dbm", "dioavp", "dips", "dbaf", "dscrptsc", "dsnf", "drdsc", "dss", "dsmndf", "dcfsc", "dcqsc"},
		re: re(`set-mppreference[^\n|;]{0,200}-(disable(realtimemonitoring|behaviormonitoring|ioavprotection|scriptscanning|intrusionpreventionsystem|blockatfirstseen|archivescanning)|drtm|dbm|dioavp|dips|dbaf|dscrptsc)\s*(:?\s*\$true|1|\s)`),
	},
	{
		id: "defender-reporting-off", attack: "T1562.001", sev: High, title: "Weakens Defender cloud protection or threat actions",
		en:   "It stops Defender from reporting to the cloud or tells it to allow threats instead of removing them.",
		ja:   "Defender のクラウド報告を止める、または脅威を削除せず許可するよう設定します。",
		cmds: []string{"set-mppreference"},
		params: []string{"mapsreporting", "submitsamplesconsent", "highthreatdefaultaction", "moderatethreatdefaultaction",
			"lowthreatdefaultaction", "severethreatdefaultaction", "unknownthreatdefaultaction", "htdefac", "mtdefac", "ltdefac", "stdefac", "utdefac"},
		check: func(f fact) bool {
			for i, p := range f.params {
				v := ""
				if i < len(f.pvals) {
					v = strings.ToLower(f.pvals[i])
				}
				if strings.Contains(p, "defac") || strings.Contains(p, "threatdefaultaction") {
					if v == "allow" || v == "6" || v == "noaction" || v == "9" {
						return true
					}
					continue
				}
				if v == "0" || v == "2" || v == "disabled" || v == "never" || v == "neversend" {
					return true
				}
			}
			return false
		},
	},
	{
		id: "defender-exclusion", attack: "T1562.001", sev: High, title: "Adds a Microsoft Defender exclusion",
		en:   "It tells Microsoft Defender not to scan a folder, file type, process or address, so that malware placed there is ignored.",
		ja:   "特定のフォルダー、ファイル種類、プロセス、アドレスを Microsoft Defender の検査対象から外し、そこに置いたマルウェアを見逃させます。",
		cmds: []string{"add-mppreference", "set-mppreference"},
		params: []string{"exclusionpath", "exclusionextension", "exclusionprocess", "exclusionipaddress",
			"controlledfolderaccessallowedapplications", "attacksurfacereductiononlyexclusions"},
		re: re(`(add|set)-mppreference[^\n|;]{0,200}-exclusion(path|extension|process|ipaddress)|windows defender\\exclusions\\(paths|extensions|processes)`),
	},
	{
		id: "defender-registry", attack: "T1562.001", sev: High, title: "Disables Defender through the registry or its service",
		en: "It turns off Microsoft Defender through policy registry values or by stopping its service.",
		ja: "ポリシーのレジストリ値やサービス停止によって Microsoft Defender を無効にします。",
		re: re(`disableantispyware|disableantivirus|disablerealtimemonitoring['"]?\s*(,|-value|/d|-propertytype)|real-time protection[^\n]{0,120}disable|(sc|sc\.exe)\s+(stop|delete|config)\s+windefend|(stop|set)-service[^\n]{0,60}windefend|tamperprotection['"]?\s*(,|-value|/d)\s*['"]?0`),
	},
	// --- logs and traces
	{
		id: "log-clearing", attack: "T1070.001", sev: High, title: "Clears Windows event logs",
		en: "It erases Windows event logs, destroying the record of what happened.",
		ja: "Windows のイベントログを消去し、何が起きたかの記録を消します。",
		re: re(`wevtutil(\.exe)?["']?\s+(cl|clear-log)\b|eventlogsession\]::globalsession\.clearlog|clear-eventlog[^\n]{0,80}(security|system|windows powershell|\$_|\.log\b)|(get-eventlog|get-winevent)\s+-list[^\n]{0,120}clear-eventlog|limit-eventlog[^\n]{0,80}-maximumsize\s*64kb`),
	},
	{
		id: "event-log-change", attack: "T1070.001", sev: Low, title: "Clears or removes an event log",
		en: "It clears or deletes an event log; administrators do this rarely, attackers to hide their tracks.",
		ja: "イベントログを消去または削除します。管理者がまれに行う操作で、攻撃者は痕跡を隠すために行います。",
		re: re(`clear-eventlog|remove-eventlog`),
	},
	{
		id: "runmru-cleanup", attack: "T1070.003", sev: High, title: "Deletes the Run dialog history",
		en: "It deletes the Run dialog history (RunMRU), erasing the trace of the command the victim pasted.",
		ja: "「ファイル名を指定して実行」の履歴（RunMRU）を削除し、被害者が貼り付けたコマンドの痕跡を消します。",
		re: re(`(remove-item(property)?|\bri\b|\brp\b|\bdel\b|reg(\.exe)?\s+delete|deletevalue|deletesubkey)[^\n]{0,200}runmru|runmru[^\n]{0,200}(remove-item|remove-itemproperty|deletevalue|delete)`),
	},
	{
		id: "history-cleanup", attack: "T1070.003", sev: Medium, title: "Erases command history",
		en: "It deletes PowerShell's command history or turns history saving off.",
		ja: "PowerShell のコマンド履歴を削除する、または履歴の保存を無効にします。",
		re: re(`consolehost_history\.txt[^\n]{0,40}|set-psreadlineoption[^\n]{0,80}-historysavestyle\s+savenothing|clear-history`),
	},
	{
		id: "clipboard-overwrite", attack: "T1070", sev: Medium, title: "Overwrites the clipboard",
		en: "It replaces what is on the clipboard, which fake-fix attacks do to remove the command the user pasted.",
		ja: "クリップボードの内容を書き換えます。偽の修正手順の攻撃は、利用者が貼り付けたコマンドを消すためにこれを行います。",
		re: re(`set-clipboard|\bscb\b|clipboard\]\s*::\s*(settext|clear|setdataobject)|\|\s*clip(\.exe)?\b|echo\s+off\s*\|\s*clip`),
	},
	// --- persistence
	{
		id: "scheduled-task", attack: "T1053.005", sev: Medium, title: "Creates a scheduled task",
		en: "It creates a scheduled task so that a program runs again later or at every logon.",
		ja: "タスクスケジューラーにタスクを登録し、後で、またはログオンのたびにプログラムが再び実行されるようにします。",
		re: re(`schtasks(\.exe)?["']?\s+[^\n]{0,40}/create|register-scheduledtask|new-scheduledtaskaction|schedule\.service|registertaskdefinition`),
	},
	{
		id: "task-masquerade", attack: "T1036.004", sev: High, title: "Scheduled task disguised or running from a user folder",
		en:     "It creates a scheduled task that poses as a Windows task or runs a program from a folder any user can write to.",
		ja:     "Windows のタスクを装う、または誰でも書き込めるフォルダーのプログラムを実行するタスクを作成します。",
		custom: taskMasquerade,
	},
	{
		id: "run-key", attack: "T1547.001", sev: Medium, title: "Adds a Run registry key",
		en:   "It writes a Run or RunOnce registry value, which starts a program at every logon.",
		ja:   "Run や RunOnce のレジストリ値を書き込み、ログオンのたびにプログラムが起動するようにします。",
		cmds: registryWriters,
		check: func(f fact) bool {
			if !writesRegistry(f) {
				return false
			}
			for _, a := range f.args {
				if runKeyPath.MatchString(a) {
					return true
				}
			}
			return false
		},
		re: re(`(set-itemproperty|new-itemproperty|\bsp\b|reg(\.exe)?\s+add|setvalue|regwrite)[^\n]{0,200}(currentversion\\(run|runonce|runservices|policies\\explorer\\run)\b|winlogon\\?['"]?[^\n]{0,60}(userinit|shell))`),
	},
	{
		id: "winlogon-hijack", attack: "T1547.004", sev: High, title: "Adds a program to the Windows logon",
		en:    "It appends a program to the Winlogon Shell or Userinit value, or registers a Winlogon notification package, so that it starts at every logon alongside Windows' own programs.",
		ja:    "Winlogon の Shell や Userinit の値にプログラムを書き足す（または Winlogon の通知パッケージを登録する）ことで、ログオンのたびに Windows 自身のプログラムと一緒に起動させます。",
		cmds:  registryWriters,
		check: hookWrite(winlogonHooks),
		re:    hookText(winlogonHooks),
	},
	{
		id: "debugger-hijack", attack: "T1546.012", sev: High, title: "Runs a program whenever another one starts or exits",
		en:    "It sets a debugger or exit monitor for a program (Image File Execution Options, SilentProcessExit), so that Windows runs another program in its place or after it; attackers hijack the accessibility tools of the logon screen this way.",
		ja:    "プログラムにデバッガーや終了監視を設定し（Image File Execution Options、SilentProcessExit）、その代わりに、またはその後に別のプログラムを Windows に実行させます。攻撃者はこの方法でログオン画面のユーザー補助ツールを乗っ取ります。",
		cmds:  registryWriters,
		check: hookWrite(debuggerHooks),
		re:    hookText(debuggerHooks),
	},
	{
		id: "autostart-registry", attack: "T1547", sev: High, title: "Registers code to load at boot or logon",
		en:    "It registers a DLL or program in a place Windows loads at boot or logon (LSA packages, time providers, print monitors, BootExecute, the Startup folder's location), a rarely used and hard to spot way to run code with high privileges.",
		ja:    "起動時やログオン時に Windows が読み込む場所（LSA パッケージ、タイムプロバイダー、印刷モニター、BootExecute、スタートアップフォルダーの場所）に DLL やプログラムを登録します。めったに使われず気付きにくい、高い権限でコードを動かす手口です。",
		cmds:  registryWriters,
		check: hookWrite(autostartHooks),
		re:    hookText(autostartHooks),
	},
	{
		id: "event-hook", attack: "T1546", sev: High, title: "Hooks code into programs Windows starts",
		en:    "It registers code that Windows then loads into other programs or runs on an event (AppInit or AppCert DLLs, a netsh helper, the cmd.exe AutoRun value, a per-user COM handler), so that it runs again without a visible start-up entry.",
		ja:    "Windows が他のプログラムに読み込んだりイベント時に実行したりするコード（AppInit や AppCert の DLL、netsh ヘルパー、cmd.exe の AutoRun 値、ユーザーごとの COM ハンドラー）を登録し、目に見える自動起動の設定なしに再び動くようにします。",
		cmds:  registryWriters,
		check: hookWrite(eventHooks),
		re:    hookText(eventHooks),
	},
	{
		id: "startup-folder", attack: "T1547.001", sev: Medium, title: "Writes to the Startup folder",
		en: "It places a file in the Startup folder, so it runs at every logon.",
		ja: "スタートアップフォルダーにファイルを置き、ログオンのたびに実行されるようにします。",
		re: re(`start menu\\programs\\startup|\\startup\\[^\n'"]{1,80}\.(lnk|exe|bat|cmd|vbs|js|ps1|hta)|shell:startup|specialfolder\]::startup|getfolderpath\([^)]*startup`),
	},
	{
		id: "new-service", attack: "T1543.003", sev: Medium, title: "Creates a Windows service",
		en: "It installs a new Windows service, which runs with high privileges at every boot.",
		ja: "新しい Windows サービスを登録します。サービスは起動のたびに高い権限で実行されます。",
		re: re(`new-service\b|\bsc(\.exe)?["']?\s+create\b|win32_service[^\n]{0,80}create`),
	},
	{
		id: "wmi-persistence", attack: "T1546.003", sev: High, title: "Creates a WMI event subscription",
		en: "It creates a WMI event subscription, a hidden way to run code whenever an event happens.",
		ja: "WMI イベントサブスクリプションを作成します。イベントが起きるたびにコードを実行させる、見えにくい常駐手段です。",
		re: re(`__eventfilter|commandlineeventconsumer|activescripteventconsumer|__filtertoconsumerbinding`),
	},
	// --- credentials
	{
		id: "mimikatz", attack: "T1003.001", sev: Critical, title: "Mimikatz credential theft",
		en: "It contains Mimikatz, the best-known tool for stealing Windows passwords and login tickets.",
		ja: "Windows のパスワードやログオンチケットを盗む代表的なツール Mimikatz を含みます。",
		re: re(`invoke-mimikatz|sekurlsa::|lsadump::|kerberos::(golden|ptt|list)|privilege::debug|crypto::capi|gentilkiwi|mimikatz`),
	},
	{
		id: "lsass-dump", attack: "T1003.001", sev: Critical, title: "Dumps the memory of LSASS",
		en: "It dumps the memory of LSASS, the Windows process that holds login secrets, to extract passwords.",
		ja: "ログオン情報を保持する Windows のプロセス LSASS のメモリーを書き出し、パスワードを抜き取ろうとします。",
		re: re(`comsvcs(\.dll)?[^\n]{0,40}minidump|minidumpwritedump|out-minidump|procdump[^\n]{0,60}lsass|lsass[^\n]{0,100}(\.dmp|minidump)|get-process\s+lsass[^\n]{0,200}dump`),
	},
	{
		id: "credential-prompt", attack: "T1056.002", sev: Low, title: "Asks the user for credentials",
		en: "It shows a password prompt; fake prompts are a way to phish Windows credentials.",
		ja: "パスワード入力画面を表示します。偽の入力画面は Windows の資格情報をだまし取る手口です。",
		re: re(`get-credential\b|promptforcredential|creduipromptforcredentials|credui\.dll`),
	},
	{
		id: "credential-phish-exfil", attack: "T1056.002", sev: High, title: "Phishes credentials and sends them away",
		en:     "It asks the user for a password and reads or sends the typed password.",
		ja:     "利用者にパスワードを入力させ、入力されたパスワードを読み出すか送信します。",
		custom: credentialPhish,
	},
	{
		id: "browser-credentials", attack: "T1555.003", sev: High, title: "Reads browser password stores",
		en: "It reads the files where browsers keep saved passwords and cookies.",
		ja: "ブラウザーが保存したパスワードや Cookie のファイルを読み取ります。",
		re: re(`\\(google\\chrome|microsoft\\edge|bravesoftware\\brave-browser|opera software|yandex\\yandexbrowser)\\user data[^\n]{0,120}(login data|cookies|web data|local state)|logins\.json|key4\.db|signons\.sqlite|(login data|local state)['"][^\n]{0,60}(copy|get-content|readall)`),
	},
	{
		id: "credential-files", attack: "T1003.002", sev: High, title: "Copies password databases",
		en: "It copies Windows password databases (SAM, SECURITY, NTDS.dit) or group-policy stored passwords.",
		ja: "Windows のパスワードデータベース（SAM、SECURITY、NTDS.dit）やグループポリシーに保存されたパスワードを取得します。",
		re: re(`reg(\.exe)?\s+save\s+hklm\\(sam|security|system)\b|ntds\.dit|get-gpppassword|\bcpassword\b|vaultcmd[^\n]{0,40}/list|\[windows\.security\.credentials\.passwordvault`),
	},
	// --- injection and shellcode
	{
		id: "win32-injection", attack: "T1055", sev: Critical, title: "Injects code into memory",
		en:     "It calls Windows memory functions (VirtualAlloc, WriteProcessMemory, CreateThread ...) from PowerShell to run machine code.",
		ja:     "PowerShell から Windows のメモリー操作関数（VirtualAlloc、WriteProcessMemory、CreateThread など）を呼び、機械語を実行します。",
		custom: injectionAPIs,
	},
	{
		id: "shellcode-bytes", attack: "T1055", sev: High, title: "Carries shellcode bytes",
		en:     "It carries a long list of raw machine-code bytes (shellcode).",
		ja:     "機械語（シェルコード）の長いバイト列を含みます。",
		custom: shellcodeBytes,
	},
	{
		id: "dynamic-api", attack: "T1106", sev: High, title: "Resolves Windows functions dynamically",
		en: "It looks up Windows functions by name at run time and builds delegates for them, a way to call native code without Add-Type.",
		ja: "実行時に Windows の関数を名前で探して呼び出せるようにします。Add-Type を使わずにネイティブコードを呼ぶ手口です。",
		re: re(`getdelegateforfunctionpointer|(unsafenativemethods|getprocaddress)[^\n]{0,200}(getmethod|invoke)|definedynamicassembly[^\n]{0,400}definepinvokemethod|\[runtime\.interopservices\.marshal\]::(copy|writebyte|allochglobal)[^\n]{0,100}(\$sc|shell|\$buf)`),
	},
	{
		id: "token-manipulation", attack: "T1134", sev: High, title: "Manipulates access tokens",
		en: "It adjusts or duplicates Windows access tokens to gain privileges.",
		ja: "Windows のアクセストークンを操作・複製して権限を得ようとします。",
		re: re(`adjusttokenprivileges|token_adjust_privileges|duplicatetokenex|impersonateloggedonuser|setthreadtoken|token_impersonate`),
	},
	{
		id: "keylogger", attack: "T1056.001", sev: High, title: "Records keystrokes",
		en: "It records what the user types.",
		ja: "利用者のキー入力を記録します。",
		re: re(`getasynckeystate|setwindowshookex|getkeyboardstate[^\n]{0,200}tounicode|get-keystrokes`),
	},
	{
		id: "screen-capture", attack: "T1113", sev: Medium, title: "Takes screenshots",
		en: "It captures the screen.",
		ja: "画面を撮影します。",
		re: re(`copyfromscreen|get-timedscreenshot`),
	},
	{
		id: "reverse-shell", attack: "T1059.001", sev: High, title: "Opens a remote shell",
		en:     "It connects to a remote machine and runs the commands it receives, giving an attacker control.",
		ja:     "リモートのマシンに接続し、受け取ったコマンドを実行して、攻撃者に操作を許します。",
		re:     re(`powercat|invoke-powershelltcp|\$sendback\b|\$stream\.write\([^\n]{0,200}\$sendbyte`),
		custom: socketShell,
	},
	// --- impact and defence evasion
	{
		id: "ip-share", attack: "T1021.002", sev: Medium, title: "Uses a network share by IP address",
		en: "It reads from or writes to a network share addressed by a bare IP address (\\\\203.0.113.5\\share), typical of payload staging and data theft.",
		ja: "IP アドレスで直接指定したネットワーク共有（\\\\203.0.113.5\\share）を読み書きします。ペイロードの配置やデータ窃取に典型的です。",
		re: re(`\\\\(\d{1,3}\.){3}\d{1,3}(@ssl)?(@\d+)?\\[^\s\\"']+`),
	},
	{
		id: "recon-upload", attack: "T1041", sev: High, title: "Collects system details and uploads them",
		en:     "It gathers details about the computer and user (whoami, ipconfig, system information) and sends them to a server.",
		ja:     "コンピューターや利用者の情報（whoami、ipconfig、システム情報）を集めてサーバーに送信します。",
		custom: reconUpload,
	},
	{
		id: "hidden-browser", attack: "T1071.001", sev: Medium, title: "Drives a hidden Internet Explorer",
		en:     "It automates an invisible Internet Explorer window to talk to a server, a way to beacon out through the user's browser settings.",
		ja:     "見えない Internet Explorer を操作してサーバーと通信します。利用者のブラウザー設定を使って外部へ通信する手口です。",
		custom: hiddenBrowser,
	},
	{
		id: "tcp-listener", attack: "T1095", sev: High, title: "Accepts connections on a TCP port",
		en:     "It opens a TCP port and accepts connections from other machines, as bind shells, port forwarders and hand-made backdoors do.",
		ja:     "TCP ポートを開いて他のマシンからの接続を受け付けます。バインドシェル、ポート転送、自作のバックドアが使う手口です。",
		custom: tcpListener,
	},
	{
		id: "spn-discovery", attack: "T1558.003", sev: High, title: "Searches the directory for service accounts",
		en: "It asks Active Directory for accounts with a service principal name, the first step of Kerberoasting: requesting their tickets to crack their passwords offline.",
		ja: "サービスプリンシパル名を持つアカウントを Active Directory で検索します。チケットを要求してパスワードをオフラインで解読する Kerberoasting の最初の段階です。",
		re: re(`\(\s*serviceprincipalname\s*=`),
	},
	{
		id: "credential-manager", attack: "T1555.004", sev: High, title: "Enumerates stored Windows credentials",
		en: "It lists the passwords Windows keeps in Credential Manager or the Windows Vault.",
		ja: "Windows の資格情報マネージャーや Windows Vault に保存されたパスワードを列挙します。",
		re: re(`credenumerate[aw]?\b|vaultenumerateitems|vaultgetitem|credbackupcredentials`),
	},
	{
		id: "kernel-exploit", attack: "T1068", sev: High, title: "Kernel exploitation primitives",
		en: "It uses techniques of Windows kernel exploits (kernel address leaks, GDI bitmap abuse, HalDispatchTable) to gain SYSTEM rights.",
		ja: "Windows カーネルの脆弱性攻撃の手法（カーネルアドレスの漏えい、GDI ビットマップの悪用、HalDispatchTable）で SYSTEM 権限を得ようとします。",
		re: re(`\bpvscan0\b|gsharedinfo|haldispatchtable|ntqueryintervalprofile|systemmoduleinformation|systemhandleinformation`),
	},
	{
		id: "security-product-removal", attack: "T1562.001", sev: High, title: "Uninstalls security software",
		en: "It looks for installed antivirus products and runs their uninstallers.",
		ja: "インストールされているウイルス対策製品を探し、そのアンインストーラーを実行します。",
		re: re(`(uninstall[^\n]{0,300}["'*](avg|avast|kaspersky|eset|mcafee|norton|symantec|sophos|malwarebytes|bitdefender|avira|trend ?micro|webroot|f-secure|panda|comodo)\b)|-like\s+["']\*?(avg|avast|kaspersky|eset|mcafee|norton|symantec|sophos|malwarebytes|bitdefender|avira|webroot)\*?["'][^\n]{0,300}uninstall`),
	},
	{
		id: "shadow-copy-delete", attack: "T1490", sev: Critical, title: "Deletes shadow copies or disables recovery",
		en: "It deletes Windows backup snapshots (shadow copies) or disables recovery, as ransomware does before encrypting files.",
		ja: "Windows のバックアップ（シャドウコピー）を削除するか回復機能を無効にします。ランサムウェアが暗号化の前に行う操作です。",
		re: re(`vssadmin(\.exe)?["']?\s+delete\s+shadows|shadowcopy\s+delete|win32_shadowcopy[^\n]{0,200}delete|bcdedit[^\n]{0,60}recoveryenabled\s+no|wbadmin[^\n]{0,40}delete\s+catalog`),
	},
	{
		id: "firewall-disable", attack: "T1562.004", sev: High, title: "Turns off the firewall",
		en: "It switches off or opens the Windows firewall.",
		ja: "Windows ファイアウォールを無効にするか、穴を開けます。",
		re: re(`netsh\s+(advfirewall\s+set\s+[a-z]*\s*profiles?\s+state\s+off|firewall\s+set\s+opmode\s+disable)|set-netfirewallprofile[^\n]{0,80}-enabled\s+(\$?false|0)`),
	},
	{
		id: "uac-bypass", attack: "T1548.002", sev: High, title: "Bypasses User Account Control",
		en: "It abuses a trusted Windows program (fodhelper, eventvwr, computerdefaults ...) to get administrator rights without the UAC prompt.",
		ja: "信頼された Windows プログラム（fodhelper、eventvwr、computerdefaults など）を悪用し、UAC の確認なしに管理者権限を得ます。",
		re: re(`ms-settings\\shell\\open\\command|mscfile\\shell\\open\\command|exefile\\shell\\runas\\command|folder\\shell\\open\\command[^\n]{0,80}delegateexecute|\\(fodhelper|computerdefaults|sdclt|eventvwr)\.exe[^\n]{0,200}(shell\\open|delegateexecute)`),
	},
	{
		id: "new-admin-user", attack: "T1136.001", sev: Medium, title: "Creates a local user or adds an administrator",
		en: "It creates a local account or adds one to the Administrators group.",
		ja: "ローカルアカウントを作成するか、Administrators グループに追加します。",
		re: re(`net1?(\.exe)?\s+user\s+\S+\s+\S+\s+/add|net1?(\.exe)?\s+localgroup\s+administrators\s+\S+\s+/add|add-localgroupmember[^\n]{0,60}administrators`),
	},
	{
		id: "lolbin-proxy", attack: "T1218", sev: Medium, title: "Uses a signed Windows program to run code",
		en: "It uses a signed Windows utility (odbcconf, cmstp, installutil, regasm, msbuild ...) to run code and slip past application control.",
		ja: "署名付きの Windows ユーティリティ（odbcconf、cmstp、installutil、regasm、msbuild など）でコードを実行し、アプリケーション制御をすり抜けます。",
		re: re(`odbcconf(\.exe)?["']?\s+[^\n]{0,80}(/a\s*\{?\s*regsvr|-f\s)|cmstp(\.exe)?["']?\s+[^\n]{0,80}/s\b|installutil(\.exe)?["']?\s+[^\n]{0,120}/logtoconsole=false|mavinject(\.exe)?["']?\s+[^\n]{0,80}/injectrunning|pcalua(\.exe)?["']?\s+-a\s|regasm(\.exe)?["']?\s+[^\n]{0,80}/u\b|forfiles(\.exe)?["']?\s+[^\n]{0,120}/c\s+["']?(cmd|powershell)`),
	},
	{
		id: "web-client-impersonation", attack: "T1071.001", sev: Medium, title: "Web client set up to blend in",
		en:     "It dresses a web client as a browser (a browser User-Agent) and lets it pass the proxy with the user's credentials or accept any certificate, as command-and-control stagers do.",
		ja:     "Web クライアントをブラウザーに見せかけ（ブラウザーの User-Agent）、利用者の資格情報でプロキシを通る、または任意の証明書を受け入れるように設定します。C2 のステージャーが行う設定です。",
		custom: webClientImpersonation,
	},
	{
		id: "tls-validation-off", attack: "T1553", sev: Low, title: "Turns off certificate checks",
		en: "It makes .NET accept any TLS certificate, so a fake server is trusted.",
		ja: ".NET があらゆる TLS 証明書を受け入れるようにし、偽のサーバーを信頼させます。",
		re: re(`servercertificatevalidationcallback\s*=\s*\{\s*\$true\s*\}`),
	},
	// --- ClickFix lures
	{
		id: "clickfix-lure", attack: "T1204.004", sev: High, title: "Fake verification text hidden in the command",
		en:     "The command carries a fake \"verification\" or \"I am not a robot\" message, the hallmark of fake CAPTCHA and fake-fix pages that trick people into pasting commands.",
		ja:     "コマンドに偽の「確認」や「私はロボットではありません」というメッセージが含まれています。コマンドを貼り付けさせる偽 CAPTCHA・偽修正ページの特徴です。",
		custom: clickFixLure,
	},
	{
		id: "whitespace-padding", attack: "T1204.004", sev: High, title: "Command hidden behind padding",
		en:     "The command is padded with many (often invisible Unicode) spaces so that the Run or address box shows only an innocent-looking part.",
		ja:     "コマンドの後ろに大量の（多くは目に見えない Unicode の）空白が入っており、「ファイル名を指定して実行」やアドレス欄には無害に見える部分しか表示されません。",
		custom: whitespacePadding,
	},
	{
		id: "pasted-launcher", attack: "T1204.004", sev: Medium, title: "A one-line launcher meant to be pasted",
		en:     "The input is a single command that starts PowerShell, cmd or mshta to fetch or run more code: what fake-fix pages ask victims to paste into Win+R.",
		ja:     "入力は PowerShell、cmd、mshta を起動してさらにコードを取得・実行する 1 行のコマンドです。偽の修正ページが Win+R に貼り付けさせるものと同じ形です。",
		custom: pastedLauncher,
	},
	// --- obfuscation
	{
		id: "obfuscation-layers", attack: "T1027", sev: Medium, title: "Hides code in encoded layers",
		en:     "Its real code is wrapped in one or more encoded or computed layers (base64, compression, character codes, string tricks).",
		ja:     "本当のコードが 1 層以上の符号化・計算された層（base64、圧縮、文字コード、文字列操作）に包まれています。",
		custom: obfuscationLayers,
	},
	{
		id: "obfuscation-tokens", attack: "T1027.010", sev: Medium, title: "Obfuscated PowerShell",
		en:     "The code is deliberately made hard to read (escape ticks, random case, split and reordered strings, character codes).",
		ja:     "コードが意図的に読みにくくされています（エスケープ記号、大文字小文字の混在、分割・並べ替えた文字列、文字コード）。",
		custom: obfuscationTokens,
	},
	{
		id: "hidden-invoke-expression", attack: "T1027.010", sev: High, title: "Hides the name of Invoke-Expression",
		en:     "It spells \"iex\" out of environment variables, wildcards or character tricks so that the command that runs code is not visible.",
		ja:     "環境変数やワイルドカード、文字の細工で \"iex\" を組み立て、コードを実行する命令が見えないようにしています。",
		custom: hiddenIEX,
	},
	{
		id: "compressed-payload", attack: "T1140", sev: Medium, title: "Decompresses an embedded payload",
		en:     "It decodes and decompresses an embedded payload (base64 with Deflate or GZip).",
		ja:     "埋め込まれたデータを base64 から戻し、Deflate や GZip で展開します。",
		custom: compressedPayload,
	},
	{
		id: "xor-decoding", attack: "T1140", sev: Medium, title: "Decodes data with XOR",
		en: "It decodes data with an XOR key, a simple cipher used to hide payloads.",
		ja: "XOR の鍵でデータを復号します。ペイロードを隠すための簡単な暗号です。",
		re: re(`-bxor\s*\$\w+\[\s*\$\w+(\+\+)?\s*%|-bxor\s*(0x[0-9a-f]+|\d+)\s*\}|\[char\]\s*\(\s*\[int\]\s*\$_\s*-bxor`),
	},
	// --- offensive tools
	{
		id: "offensive-function-name", attack: "T1588.002", sev: High, title: "Function named after an attack",
		en: "It defines or calls functions named after attack techniques (UAC bypass, backdoor, exploit, credential dumping ...).",
		ja: "攻撃手法の名前が付いた関数（UAC 回避、バックドア、エクスプロイト、資格情報の窃取など）を定義または呼び出します。",
		re: re(`(^|[^a-z0-9-])((invoke|start|get|new|install|add|set|out|find|write)-[a-z0-9]*(uacbypass|bypassuac|amsibypass|apppathbypass|privesc|exploit|backdoor|keylog|mimikatz|kerberoast|shellcode|dllinjection|peinjection|credentialphish|passwordspray|bruteforce|tokenmanipulation|dumpcreds|dumphashes|lsadump|exfil)[a-z0-9]*|backdoor-[a-z0-9]+|exploit-[a-z0-9]+|exfil[a-z0-9]*-[a-z0-9]+)($|[^a-z0-9-])`),
	},
	{
		id: "offensive-tool-attribution", attack: "T1588.002", sev: High, title: "Code of a public attack framework",
		en:     "It carries the credits or markers of a public attack framework (PowerSploit, Empire, Nishang, PowerUpSQL, Inveigh ...).",
		ja:     "公開されている攻撃フレームワーク（PowerSploit、Empire、Nishang、PowerUpSQL、Inveigh など）の作者表記や目印を含みます。",
		custom: toolAttribution,
	},
	{
		id: "offensive-tool", attack: "T1588.002", sev: High, title: "Offensive security tool",
		en:     "It contains functions of a known attack framework (PowerSploit, Empire, Nishang, PowerView, Inveigh ...).",
		ja:     "既知の攻撃フレームワーク（PowerSploit、Empire、Nishang、PowerView、Inveigh など）の関数を含みます。",
		custom: offensiveNames,
	},
	{
		id: "offensive-keywords", attack: "T1059.001", sev: Medium, title: "Low-level attack keywords",
		en: "It uses structures and names typical of exploitation code (PE headers, privilege constants, Metasploit).",
		ja: "攻撃コードに特有の構造体や名前（PE ヘッダー、特権の定数、Metasploit など）を使っています。",
		re: re(`image_nt_optional_hdr64_magic|microsoft\.win32\.unsafenativemethods|page_execute_readwrite|se_privilege_enabled|token_all_access|metasploit|meterpreter|reflectivepeinjection|invoke-shellcode`),
	},
}

// --- custom matchers

// dropThenRun finds a file downloaded or written to a user-writable folder
// that the script also starts.
func dropThenRun(a *analysis, l *layerState) []hit {
	var dropped []fact
	for _, ls := range a.d.layers {
		for _, f := range ls.facts {
			if (f.kind == factDownload || f.kind == factWrite) && f.path != "" && userWritable.MatchString(f.path) {
				dropped = append(dropped, f)
			}
		}
	}
	var hits []hit
	for _, f := range l.facts {
		if f.kind != factRun && f.kind != factExecNet || f.path == "" {
			continue
		}
		for _, d := range dropped {
			if normPath(d.path) == normPath(f.path) || baseName(normPath(d.path)) == baseName(normPath(f.path)) && executableExt.MatchString(f.path) {
				hits = append(hits, hit{f.pos, f.end})
				break
			}
		}
	}
	return hits
}

// computedExecution reports sinks whose text was obfuscated: the layer
// produced from this one carries techniques.
func computedExecution(a *analysis, l *layerState) []hit {
	var hits []hit
	for _, c := range a.d.layers {
		if c.Parent != l.Index || c.readable || c.Language != "powershell" {
			continue
		}
		if c.tech&^(techBase64|techUTF16) != 0 && c.tech&(techFormat|techCharCodes|techReplace|techReverse|techSplit|techJoin|techBxor|techConcat|techDeflate|techGzip|techSecureString|techHex|techNumberBase|techEnvHiding|techWildcard|techScriptBlock) != 0 {
			hits = append(hits, hit{c.Start, c.End})
		}
	}
	return hits
}

// credentialPhish: a credential prompt whose password is then read out.
func credentialPhish(a *analysis, l *layerState) []hit {
	nt := a.norm[l.Index]
	if nt == nil {
		return nil
	}
	m := phishPrompt.FindStringIndex(nt.text)
	if m == nil {
		return nil
	}
	rest := nt.text[m[1]:]
	if phishUse.MatchString(rest) {
		return []hit{{nt.toOrig(m[0], false), nt.toOrig(m[1], true)}}
	}
	return nil
}

var (
	phishPrompt = re(`get-credential\b|promptforcredential|creduipromptforcredentials`)
	phishUse    = re(`(getnetworkcredential\(\)\s*\.\s*password|\.password\b)[^\n]{0,200}(invoke-webrequest|invoke-restmethod|upload(string|data|values|file)|out-file|set-content|add-content)|(invoke-webrequest|invoke-restmethod|upload(string|data|values)|send-mailmessage)[^\n]{0,300}(getnetworkcredential\(\)\s*\.\s*password|\.password\b)`)
)

var injectionAPI = re(`\b(virtualalloc(ex)?|virtualprotect(ex)?|writeprocessmemory|createremotethread|createthread|rtlmovememory|ntcreatethreadex|queueuserapc|setthreadcontext|resumethread|openprocess|loadlibrary[aw]?|getprocaddress|rtlcreateuserthread|ntmapviewofsection|memset|waitforsingleobject|enumdesktopsw?|callwindowproc)\b`)

// injectionAPIs needs several memory or thread functions, or one with a
// kernel32 import, so that a script that merely mentions one is spared.
func injectionAPIs(a *analysis, l *layerState) []hit {
	nt := a.norm[l.Index]
	if nt == nil {
		return nil
	}
	if !mayMatch(injectionAPI.literals(), nt.text) {
		return nil
	}
	ms := injectionAPI.FindAllStringIndex(nt.text, 64)
	names := map[string]bool{}
	for _, m := range ms {
		names[nt.text[m[0]:m[1]]] = true
	}
	memory := names["virtualalloc"] || names["virtualallocex"] || names["virtualprotect"] || names["writeprocessmemory"] || names["rtlmovememory"] || names["memset"] || names["ntmapviewofsection"]
	thread := names["createthread"] || names["createremotethread"] || names["ntcreatethreadex"] || names["queueuserapc"] || names["rtlcreateuserthread"] || names["callwindowproc"] || names["enumdesktopsw"] || names["enumdesktops"]
	imports := strings.Contains(nt.text, "dllimport") || strings.Contains(nt.text, "add-type") || strings.Contains(nt.text, "getdelegateforfunctionpointer") || strings.Contains(nt.text, "getprocaddress")
	if memory && thread && imports {
		return []hit{{nt.toOrig(ms[0][0], false), nt.toOrig(ms[0][1], true)}}
	}
	return nil
}

var hexByteRun = re(`(0x[0-9a-f]{1,2}\s*,\s*){100,}`)

// shellcodeBytes finds long byte arrays, the usual form of shellcode.
func shellcodeBytes(a *analysis, l *layerState) []hit {
	nt := a.norm[l.Index]
	if nt == nil {
		return nil
	}
	if !strings.Contains(nt.text, "0x") {
		return nil
	}
	var hits []hit
	for _, m := range hexByteRun.FindAllStringIndex(nt.text, 4) {
		hits = append(hits, hit{nt.toOrig(m[0], false), nt.toOrig(m[1], true)})
	}
	return hits
}

// lureWords are the words fake CAPTCHA and fake-fix pages put in the
// comment after the command (from the public ClickFix Sigma rules).
var lureStrong = re(`(?i)(not\s+a\s+(ro)?bot|i'?\s*a?m\s+(not\s+)?(a\s+)?human|captcha|verification\s*(id|code|#|:)|human\s+verification|verify\s+(you|that|your)|cloudflare|ray\s*id|✅|✔|☑|anti-?bot|botcheck|security\s+check)`)
var lureWeak = re(`(?i)(account|challenge|confirmation|fraud|human|identification|identificator|identity|robot|validation|verification|verify|verified|captcha)`)

func clickFixLure(a *analysis, l *layerState) []hit {
	// The lure is in the one line a victim pastes; comments in scripts say
	// "verify" for honest reasons.
	oneLine := !strings.ContainsAny(strings.TrimSpace(l.Text), "\r\n")
	if !oneLine {
		return nil
	}
	var hits []hit
	check := func(text string, pos, end int, trailing bool) {
		low := lowerASCII(text)
		if mayMatch(lureStrong.literals(), low) && lureStrong.MatchString(text) ||
			oneLine && trailing && mayMatch(lureWeak.literals(), low) && lureWeak.MatchString(text) {
			hits = append(hits, hit{pos, end})
		}
	}
	if l.Language == "powershell" {
		for _, t := range l.toks {
			if t.Kind == Comment {
				check(t.Text, t.Pos, t.End, true)
			}
		}
	} else if i := strings.IndexByte(l.Text, '#'); i >= 0 {
		check(l.Text[i:], i, len(l.Text), true)
	}
	// a lure shown by the command itself: "✅ Verification complete"
	if oneLine {
		for _, f := range l.folds {
			if mayMatch(lureStrong.literals(), lowerASCII(f.text)) && lureStrong.MatchString(f.text) {
				hits = append(hits, hit{f.pos, f.end})
			}
		}
	}
	return hits
}

// whitespacePadding finds runs of Unicode spaces or many spaces hiding the
// real command.
func whitespacePadding(a *analysis, l *layerState) []hit {
	s := strings.TrimSpace(l.Text)
	if strings.ContainsAny(s, "\r\n") || !strings.Contains(s, "#") {
		return nil
	}
	unicodeRun, asciiRun := 0, 0
	start := -1
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\u00a0' || r >= '\u2000' && r <= '\u200b' || r == '\u3000' || r == '\u202f' || r == '\u205f':
			if start < 0 {
				start = i
			}
			unicodeRun++
		case r == ' ' || r == '\t':
			if start < 0 {
				start = i
			}
			asciiRun++
		default:
			if (unicodeRun >= 3 || unicodeRun+asciiRun >= 40) && strings.Contains(s[i:], "#") {
				end := strings.IndexAny(s[i:], "\r\n")
				if end < 0 {
					end = len(s)
				} else {
					end += i
				}
				return []hit{{start, end}}
			}
			unicodeRun, asciiRun, start = 0, 0, -1
		}
		i += w
	}
	return nil
}

// pastedLauncher: the input is one line starting a shell or script host
// that downloads, runs encoded code, or runs hidden.
func pastedLauncher(a *analysis, l *layerState) []hit {
	if l.Index != 0 || l.Language != "command-line" {
		return nil
	}
	bad := false
	for _, ls := range a.d.layers {
		for _, f := range ls.facts {
			switch f.kind {
			case factDownload, factExecNet, factExecUnknown:
				bad = true
			}
		}
		if ls.Index > 0 && len(ls.Techniques) > 0 {
			bad = true
		}
	}
	for _, f := range l.facts {
		for _, arg := range f.args {
			if arg == "windowstyle=hidden" || arg == "windowstyle=minimized" {
				bad = true
			}
		}
	}
	if !bad {
		return nil
	}
	return []hit{{0, len(strings.TrimRight(l.Text, " \t\r\n"))}}
}

// obfuscationLayers reports a decoded layer on the layer that produced it.
func obfuscationLayers(a *analysis, l *layerState) []hit {
	var hits []hit
	for _, c := range a.d.layers {
		if c.Parent == l.Index && !c.readable && len(c.Techniques) > 0 && (c.tech&^(techBase64|techUTF16) != 0 || c.Via != "powershell -EncodedCommand" || hasDecodedChild(a, c)) {
			hits = append(hits, hit{c.Start, c.End})
		}
	}
	return hits
}

// hasDecodedChild reports a layer that itself hides another encoded layer.
func hasDecodedChild(a *analysis, l *layerState) bool {
	for _, c := range a.d.layers {
		if c.Parent == l.Index && !c.readable && len(c.Techniques) > 0 {
			return true
		}
	}
	return false
}

// obfuscationTokens reports a high token-level obfuscation score.
func obfuscationTokens(a *analysis, l *layerState) []hit {
	if l.readable || l.obf.score < 45 || l.obf.tokens < 8 {
		return nil
	}
	return []hit{{0, min(len(l.Text), 200)}}
}

func hiddenIEX(a *analysis, l *layerState) []hit {
	var hits []hit
	for _, c := range a.d.layers {
		if c.Parent == l.Index && !c.readable && c.tech&(techEnvHiding|techWildcard) != 0 {
			hits = append(hits, hit{c.Start, c.End})
		}
	}
	return hits
}

func compressedPayload(a *analysis, l *layerState) []hit {
	var hits []hit
	for _, c := range a.d.layers {
		if c.Parent == l.Index && !c.readable && c.tech&(techDeflate|techGzip) != 0 {
			hits = append(hits, hit{c.Start, c.End})
		}
	}
	for _, f := range l.folds {
		if f.tech&(techDeflate|techGzip) != 0 {
			hits = append(hits, hit{f.pos, f.end})
		}
	}
	return hits
}

//go:embed offensive_names.txt
var offensiveNamesText string

// offensiveNames holds function names of public attack frameworks, listed
// one per line in offensive_names.txt, in lower case.
var offensiveNameSet = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(offensiveNamesText, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[strings.ToLower(line)] = true
	}
	return m
})

// offensiveNames looks up every word of the normalized text (letters,
// digits, '-' and '_') in the name list.
func offensiveNames(a *analysis, l *layerState) []hit {
	nt := a.norm[l.Index]
	if nt == nil {
		return nil
	}
	var hits []hit
	text := nt.text
	isWord := func(c byte) bool {
		return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
	}
	for i := 0; i < len(text) && len(hits) < maxHitsPerRule; {
		if !isWord(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isWord(text[j]) {
			j++
		}
		if j-i >= 5 && offensiveNameSet()[text[i:j]] {
			hits = append(hits, hit{nt.toOrig(i, false), nt.toOrig(j, true)})
		}
		i = j
	}
	return hits
}

// taskMasquerade: a task created under \Microsoft\Windows\ or one whose
// program sits in a user-writable folder.
func taskMasquerade(a *analysis, l *layerState) []hit {
	nt := a.norm[l.Index]
	if nt == nil || !mayMatch([]string{"schtasks", "scheduledtask", "schedule.service", "registertaskdefinition"}, nt.text) {
		return nil
	}
	var hits []hit
	if m := taskUnderMicrosoft.FindStringIndex(nt.text); m != nil {
		hits = append(hits, hit{nt.toOrig(m[0], false), nt.toOrig(m[1], true)})
	}
	for _, m := range userPathExe.FindAllStringIndex(nt.text, maxHitsPerRule) {
		hits = append(hits, hit{nt.toOrig(m[0], false), nt.toOrig(m[1], true)})
	}
	return hits
}

var (
	taskUnderMicrosoft = re(`(/tn|-taskpath|-taskname|registertaskdefinition\()\s*["']?\\?microsoft\\windows\\[^"'\n]+`)
	userPathExe        = re(`(\\users\\public|\\appdata\\|\\programdata\\|\\windows\\temp\\|%temp%|%appdata%|\$env:(temp|appdata|public|programdata))[^"'\n]{0,120}\.(exe|dll|bat|cmd|vbs|js|ps1|hta|scr)\b`)
)

// webClientImpersonation needs a browser User-Agent and either default
// proxy credentials or disabled certificate checks.
func webClientImpersonation(a *analysis, l *layerState) []hit {
	nt := a.norm[l.Index]
	if nt == nil || !strings.Contains(nt.text, "user-agent") || !strings.Contains(nt.text, "mozilla/") {
		return nil
	}
	if !mayMatch([]string{"defaultnetworkcredentials", "defaultcredentials", "servercertificatevalidationcallback", "defaultwebproxy", "getsystemwebproxy"}, nt.text) {
		return nil
	}
	i := strings.Index(nt.text, "mozilla/")
	return []hit{{nt.toOrig(i, false), nt.toOrig(min(i+40, len(nt.text)), true)}}
}

// frameworkMarkers are names that public attack frameworks and their
// authors put in the headers of their modules.
var frameworkMarkers = re(`powersploit function:|powershellmafia|empire launcher|not meant to be run outside of empire|bc-security|empireproject|\bnishang\b|samratashok|powerupsql|\binveigh\b|kevin-?robertson|@harmj0y|harmj0y|@mattifestation|mattifestation|@obscuresec|@josephbialek|josephbialek|@tifkin_|@_wald0|@424f424f|@byt3bl33d3r|@cx01n|@enigma0x3|@sixdub|@_nullbind|@dafthack|@_rastamouse|@peewpw|@hlldz|@joelgmsec|@xp3nt4|@0xffaraday|@hubbl3|@classityinfosec|@mvelazco|@onelogicalmyth|@424f424f|@kevin_robertson|@_xpn_|@cobbr_io|@subtee|@cptjesus|@xorrior|@monoxgas|@mariuszbit`)

func toolAttribution(a *analysis, l *layerState) []hit {
	nt := a.norm[l.Index]
	if nt == nil || !mayMatch(frameworkMarkers.literals(), nt.text) {
		return nil
	}
	var hits []hit
	for _, m := range frameworkMarkers.FindAllStringIndex(nt.text, maxHitsPerRule) {
		hits = append(hits, hit{nt.toOrig(m[0], false), nt.toOrig(m[1], true)})
	}
	return hits
}

// socketShell: a script that opens a TCP connection or listener, reads the
// stream and runs what arrives.
func socketShell(a *analysis, l *layerState) []hit {
	nt := a.norm[l.Index]
	if nt == nil {
		return nil
	}
	t := nt.text
	i := strings.Index(t, "net.sockets.tcpclient")
	if i < 0 {
		i = strings.Index(t, "net.sockets.tcplistener")
	}
	if i < 0 || !strings.Contains(t, "getstream") {
		return nil
	}
	if !strings.Contains(t, "iex") && !strings.Contains(t, "invoke-expression") {
		return nil
	}
	return []hit{{nt.toOrig(i, false), nt.toOrig(i+len("net.sockets.tcpclient"), true)}}
}

// urlPath is the path part of a URL, without query.
func urlPath(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexByte(u, '/'); i >= 0 {
		u = u[i:]
	} else {
		return ""
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return u
}

func hostIsIP(u string) bool {
	h := urlHost(u)
	if h == "" {
		if looksLikeHostPath(u) {
			h = u[:strings.IndexByte(u, '/')]
			if k := strings.LastIndexByte(h, ':'); k > 0 {
				h = h[:k]
			}
		}
	}
	return h != "" && net.ParseIP(h) != nil
}

// loadedBytes: an assembly loaded from bytes that C# compiled with Add-Type
// downloads, or that the script decodes and decompresses from a blob it
// carries, however they are passed along on the way.
func loadedBytes(a *analysis, l *layerState) []hit {
	nt := a.norm[l.Index]
	if nt == nil {
		return nil
	}
	t := nt.text
	anchor := "assembly.load("
	i := strings.Index(t, anchor)
	if i < 0 {
		anchor = "assembly]::load("
		i = strings.Index(t, anchor)
	}
	if i < 0 {
		return nil
	}
	downloaded := strings.Contains(t, "add-type") && mayMatch([]string{"downloaddata", "downloadstring", "openread", "getbytearrayasync"}, t)
	// An assembly carried in the script: base64, compressed, loaded from
	// the decompressed bytes wherever they went on the way.
	embedded := strings.Contains(t, "frombase64string") && mayMatch([]string{"gzipstream", "deflatestream"}, t)
	if !downloaded && !embedded {
		return nil
	}
	return []hit{{nt.toOrig(i, false), nt.toOrig(i+len(anchor), true)}}
}

var (
	reconMarkers  = []string{"whoami", "ipconfig", "systeminfo", "win32_computersystem", "win32_operatingsystem", "hostname", "net user", "get-process", "tasklist", "env:computername", "env:username"}
	uploadMarkers = []string{"uploadvalues", "uploadstring", "uploaddata", "uploadfile", "-method post", "-method \"post\"", "-method 'post'", "sendasync", "postasync"}
)

// reconUpload: two or more kinds of system details gathered, and an upload.
func reconUpload(a *analysis, l *layerState) []hit {
	nt := a.norm[l.Index]
	if nt == nil {
		return nil
	}
	t := nt.text
	up := -1
	for _, m := range uploadMarkers {
		if i := strings.Index(t, m); i >= 0 {
			up = i
			break
		}
	}
	if up < 0 {
		return nil
	}
	n := 0
	for _, m := range reconMarkers {
		if strings.Contains(t, m) {
			n++
		}
	}
	if n < 2 {
		return nil
	}
	return []hit{{nt.toOrig(up, false), nt.toOrig(up+12, true)}}
}

// tcpListener finds a TcpListener, or a raw socket that listens, in a
// script that also accepts a connection, anywhere in the text: the two are
// usually statements apart.
func tcpListener(a *analysis, l *layerState) []hit {
	nt := a.norm[l.Index]
	if nt == nil {
		return nil
	}
	t := nt.text
	anchor := "tcplistener"
	i := strings.Index(t, anchor)
	accepts := []string{".accepttcpclient", ".acceptsocket", ".beginaccepttcpclient", ".beginacceptsocket"}
	if i < 0 && strings.Contains(t, "socket") {
		// A raw socket, often in C# given to Add-Type: bound, listening
		// and accepting.
		anchor = ".listen("
		i = strings.Index(t, anchor)
		accepts = []string{".accept(", ".beginaccept(", ".acceptasync("}
	}
	if i < 0 || !mayMatch(accepts, t) {
		return nil
	}
	return []hit{{nt.toOrig(i, false), nt.toOrig(i+len(anchor), true)}}
}

// hiddenBrowser: Internet Explorer automated with its window hidden.
func hiddenBrowser(a *analysis, l *layerState) []hit {
	nt := a.norm[l.Index]
	if nt == nil {
		return nil
	}
	t := nt.text
	i := strings.Index(t, "internetexplorer.application")
	if i < 0 || !strings.Contains(t, "navigate") || !mayMatch([]string{"visible = $false", "visible=$false", "visible = 0", "silent = $true", "silent=$true"}, t) {
		return nil
	}
	return []hit{{nt.toOrig(i, false), nt.toOrig(i+len("internetexplorer.application"), true)}}
}
