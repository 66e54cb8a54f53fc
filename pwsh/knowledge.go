package pwsh

import (
	"path"
	"sort"
	"strings"
	"sync"
)

// What a fresh Windows PowerShell 5.1 session on Windows 10 or 11 looks like
// from inside: its aliases, automatic variables and environment. Obfuscators
// build "iex" and friends out of these ($ShellId[1]+$ShellId[13]+'x',
// $env:ComSpec[4,15,25], (gal *)[21]), so the evaluator needs the real
// values. The user name is a placeholder; paths under the profile are shown
// with %VARIABLE% names in reports.

// defaultAliases are the built-in aliases of Windows PowerShell 5.1, in the
// order Get-Alias lists them (case-insensitive by name).
var defaultAliases = [][2]string{
	{"%", "ForEach-Object"}, {"?", "Where-Object"}, {"ac", "Add-Content"}, {"asnp", "Add-PSSnapin"},
	{"cat", "Get-Content"}, {"cd", "Set-Location"}, {"CFS", "ConvertFrom-String"}, {"chdir", "Set-Location"},
	{"clc", "Clear-Content"}, {"clear", "Clear-Host"}, {"clhy", "Clear-History"}, {"cli", "Clear-Item"},
	{"clp", "Clear-ItemProperty"}, {"cls", "Clear-Host"}, {"clv", "Clear-Variable"}, {"cnsn", "Connect-PSSession"},
	{"compare", "Compare-Object"}, {"copy", "Copy-Item"}, {"cp", "Copy-Item"}, {"cpi", "Copy-Item"},
	{"cpp", "Copy-ItemProperty"}, {"curl", "Invoke-WebRequest"}, {"cvpa", "Convert-Path"}, {"dbp", "Disable-PSBreakpoint"},
	{"del", "Remove-Item"}, {"diff", "Compare-Object"}, {"dir", "Get-ChildItem"}, {"dnsn", "Disconnect-PSSession"},
	{"ebp", "Enable-PSBreakpoint"}, {"echo", "Write-Output"}, {"epal", "Export-Alias"}, {"epcsv", "Export-Csv"},
	{"epsn", "Export-PSSession"}, {"erase", "Remove-Item"}, {"etsn", "Enter-PSSession"}, {"exsn", "Exit-PSSession"},
	{"fc", "Format-Custom"}, {"fhx", "Format-Hex"}, {"fl", "Format-List"}, {"foreach", "ForEach-Object"},
	{"ft", "Format-Table"}, {"fw", "Format-Wide"}, {"gal", "Get-Alias"}, {"gbp", "Get-PSBreakpoint"},
	{"gc", "Get-Content"}, {"gcb", "Get-Clipboard"}, {"gci", "Get-ChildItem"}, {"gcm", "Get-Command"},
	{"gcs", "Get-PSCallStack"}, {"gdr", "Get-PSDrive"}, {"ghy", "Get-History"}, {"gi", "Get-Item"},
	{"gin", "Get-ComputerInfo"}, {"gjb", "Get-Job"}, {"gl", "Get-Location"}, {"gm", "Get-Member"},
	{"gmo", "Get-Module"}, {"gp", "Get-ItemProperty"}, {"gps", "Get-Process"}, {"gpv", "Get-ItemPropertyValue"},
	{"group", "Group-Object"}, {"gsn", "Get-PSSession"}, {"gsnp", "Get-PSSnapin"}, {"gsv", "Get-Service"},
	{"gtz", "Get-TimeZone"}, {"gu", "Get-Unique"}, {"gv", "Get-Variable"}, {"gwmi", "Get-WmiObject"},
	{"h", "Get-History"}, {"history", "Get-History"}, {"icm", "Invoke-Command"}, {"iex", "Invoke-Expression"},
	{"ihy", "Invoke-History"}, {"ii", "Invoke-Item"}, {"ipal", "Import-Alias"}, {"ipcsv", "Import-Csv"},
	{"ipmo", "Import-Module"}, {"ipsn", "Import-PSSession"}, {"irm", "Invoke-RestMethod"}, {"ise", "powershell_ise.exe"},
	{"iwmi", "Invoke-WmiMethod"}, {"iwr", "Invoke-WebRequest"}, {"kill", "Stop-Process"}, {"lp", "Out-Printer"},
	{"ls", "Get-ChildItem"}, {"man", "help"}, {"md", "mkdir"}, {"measure", "Measure-Object"},
	{"mi", "Move-Item"}, {"mount", "New-PSDrive"}, {"move", "Move-Item"}, {"mp", "Move-ItemProperty"},
	{"mv", "Move-Item"}, {"nal", "New-Alias"}, {"ndr", "New-PSDrive"}, {"ni", "New-Item"},
	{"nmo", "New-Module"}, {"npssc", "New-PSSessionConfigurationFile"}, {"nsn", "New-PSSession"}, {"nv", "New-Variable"},
	{"ogv", "Out-GridView"}, {"oh", "Out-Host"}, {"popd", "Pop-Location"}, {"ps", "Get-Process"},
	{"pushd", "Push-Location"}, {"pwd", "Get-Location"}, {"r", "Invoke-History"}, {"rbp", "Remove-PSBreakpoint"},
	{"rcjb", "Receive-Job"}, {"rcsn", "Receive-PSSession"}, {"rd", "Remove-Item"}, {"rdr", "Remove-PSDrive"},
	{"ren", "Rename-Item"}, {"ri", "Remove-Item"}, {"rjb", "Remove-Job"}, {"rm", "Remove-Item"},
	{"rmdir", "Remove-Item"}, {"rmo", "Remove-Module"}, {"rni", "Rename-Item"}, {"rnp", "Rename-ItemProperty"},
	{"rp", "Remove-ItemProperty"}, {"rsn", "Remove-PSSession"}, {"rsnp", "Remove-PSSnapin"}, {"rujb", "Resume-Job"},
	{"rv", "Remove-Variable"}, {"rvpa", "Resolve-Path"}, {"rwmi", "Remove-WmiObject"}, {"sajb", "Start-Job"},
	{"sal", "Set-Alias"}, {"saps", "Start-Process"}, {"sasv", "Start-Service"}, {"sbp", "Set-PSBreakpoint"},
	{"sc", "Set-Content"}, {"scb", "Set-Clipboard"}, {"select", "Select-Object"}, {"set", "Set-Variable"},
	{"shcm", "Show-Command"}, {"si", "Set-Item"}, {"sl", "Set-Location"}, {"sleep", "Start-Sleep"},
	{"sls", "Select-String"}, {"sort", "Sort-Object"}, {"sp", "Set-ItemProperty"}, {"spjb", "Stop-Job"},
	{"spps", "Stop-Process"}, {"spsv", "Stop-Service"}, {"start", "Start-Process"}, {"stz", "Set-TimeZone"},
	{"sujb", "Suspend-Job"}, {"sv", "Set-Variable"}, {"swmi", "Set-WmiInstance"}, {"tee", "Tee-Object"},
	{"trcm", "Trace-Command"}, {"type", "Get-Content"}, {"wget", "Invoke-WebRequest"}, {"where", "Where-Object"},
	{"wjb", "Wait-Job"}, {"write", "Write-Output"},
}

var aliasMap = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(defaultAliases))
	for _, a := range defaultAliases {
		m[strings.ToLower(a[0])] = a[1]
	}
	return m
})

// commonCmdlets are cmdlet and function names a stock Windows session has,
// for resolving wildcard lookups such as Get-Command *ke-*pr*.
var commonCmdlets = strings.Fields(`
Add-Content Add-Member Add-MpPreference Add-Type Clear-Content Clear-EventLog Clear-History Clear-Host
Clear-Item Clear-RecycleBin Clear-Variable Compare-Object Compress-Archive Connect-PSSession ConvertFrom-Csv
ConvertFrom-Json ConvertFrom-SecureString ConvertFrom-StringData ConvertTo-Csv ConvertTo-Html ConvertTo-Json
ConvertTo-SecureString ConvertTo-Xml Copy-Item Copy-ItemProperty Disable-PSRemoting Enable-PSRemoting
Enter-PSSession Exit-PSSession Expand-Archive Export-Alias Export-Clixml Export-Csv ForEach-Object
Format-Custom Format-Hex Format-List Format-Table Format-Wide Get-Acl Get-Alias Get-AuthenticodeSignature
Get-ChildItem Get-Clipboard Get-CimInstance Get-Command Get-ComputerInfo Get-Content Get-Credential Get-Culture
Get-Date Get-Event Get-EventLog Get-ExecutionPolicy Get-FileHash Get-Help Get-History Get-Host Get-HotFix
Get-Item Get-ItemProperty Get-ItemPropertyValue Get-Job Get-LocalGroup Get-LocalGroupMember Get-LocalUser
Get-Location Get-Member Get-Module Get-MpComputerStatus Get-MpPreference Get-NetAdapter Get-NetIPAddress
Get-NetTCPConnection Get-Process Get-PSDrive Get-PSProvider Get-PSSession Get-Random Get-ScheduledTask
Get-Service Get-TimeZone Get-TypeData Get-Unique Get-Variable Get-WinEvent Get-WmiObject Group-Object
Import-Alias Import-Clixml Import-Csv Import-LocalizedData Import-Module Import-PSSession Invoke-CimMethod
Invoke-Command Invoke-Expression Invoke-History Invoke-Item Invoke-RestMethod Invoke-WebRequest
Invoke-WmiMethod Join-Path Measure-Command Measure-Object Move-Item Move-ItemProperty New-Alias New-Event
New-EventLog New-Item New-ItemProperty New-LocalUser New-Module New-NetFirewallRule New-Object New-PSDrive
New-PSSession New-ScheduledTask New-ScheduledTaskAction New-ScheduledTaskTrigger New-Service New-TimeSpan
New-Variable Out-Default Out-File Out-GridView Out-Host Out-Null Out-Printer Out-String Pop-Location
Push-Location Read-Host Receive-Job Register-ObjectEvent Register-ScheduledTask Register-WmiEvent
Remove-EventLog Remove-Item Remove-ItemProperty Remove-Job Remove-Module Remove-MpPreference Remove-PSDrive
Remove-PSSession Remove-Variable Remove-WmiObject Rename-Item Rename-ItemProperty Resolve-DnsName Resolve-Path
Restart-Computer Restart-Service Resume-Job Select-Object Select-String Select-Xml Send-MailMessage Set-Acl
Set-Alias Set-Clipboard Set-Content Set-Date Set-ExecutionPolicy Set-Item Set-ItemProperty Set-Location
Set-MpPreference Set-PSBreakpoint Set-Service Set-StrictMode Set-TimeZone Set-Variable Set-WmiInstance
Show-Command Sort-Object Split-Path Start-BitsTransfer Start-Job Start-Process Start-Service Start-Sleep
Start-Transcript Stop-Computer Stop-Job Stop-Process Stop-Service Stop-Transcript Tee-Object Test-Connection
Test-NetConnection Test-Path Trace-Command Unblock-File Unregister-ScheduledTask Update-Help Wait-Job
Wait-Process Where-Object Write-Debug Write-Error Write-Host Write-Information Write-Output Write-Progress
Write-Verbose Write-Warning`)

// canonicalCommand turns a command name as written into the lower-case
// name it runs: aliases resolved, directory and .exe removed, so that
// "C:\Windows\System32\WindowsPowerShell\v1.0\POWERSHELL.EXE", "powershell"
// and "PowerShell.exe" are all "powershell", and "iex" is
// "invoke-expression".
func canonicalCommand(name string) string {
	n := strings.TrimSpace(strings.Trim(name, "\"'"))
	if i := strings.LastIndexAny(n, `\/`); i >= 0 && i < len(n)-1 {
		n = n[i+1:]
	}
	n = strings.ToLower(n)
	for _, ext := range []string{".exe", ".com"} {
		n = strings.TrimSuffix(n, ext)
	}
	if i := strings.Index(n, `\`); i > 0 && !strings.Contains(n[:i], ":") {
		// Module-qualified: Microsoft.PowerShell.Utility\Invoke-Expression
		n = n[i+1:]
	}
	if a, ok := aliasMap()[n]; ok {
		return strings.ToLower(a)
	}
	return n
}

// automaticVariables holds the values of automatic and preference variables
// obfuscators read characters from. Preference variables hold enum values.
var automaticVariables = map[string]value{
	"pshome":                     str(`C:\Windows\System32\WindowsPowerShell\v1.0`),
	"shellid":                    str("Microsoft.PowerShell"),
	"verbosepreference":          enumVal("SilentlyContinue"),
	"debugpreference":            enumVal("SilentlyContinue"),
	"informationpreference":      enumVal("SilentlyContinue"),
	"erroractionpreference":      enumVal("Continue"),
	"warningpreference":          enumVal("Continue"),
	"progresspreference":         enumVal("Continue"),
	"confirmpreference":          enumVal("High"),
	"whatifpreference":           boolean(false),
	"maximumdrivecount":          num(4096),
	"maximumaliascount":          num(4096),
	"maximumerrorcount":          num(256),
	"maximumfunctioncount":       num(4096),
	"maximumhistorycount":        num(4096),
	"maximumvariablecount":       num(4096),
	"formatenumerationlimit":     num(4),
	"nestedpromptlevel":          num(0),
	"true":                       boolean(true),
	"false":                      boolean(false),
	"null":                       null,
	"home":                       str(`C:\Users\user`),
	"profile":                    str(`C:\Users\user\Documents\WindowsPowerShell\Microsoft.PowerShell_profile.ps1`),
	"psculture":                  str("en-US"),
	"psuiculture":                str("en-US"),
	"pssessionapplicationname":   str("wsman"),
	"pssessionconfigurationname": str("http://schemas.microsoft.com/powershell/Microsoft.PowerShell"),
	"psemailserver":              null,
	"consolefilename":            str(""),
	"executioncontext":           objVal(&object{class: "executioncontext"}),
	"ofs":                        null,
}

// automaticNames is the list Get-Variable * shows in a new session, for
// wildcard lookups such as (Get-Variable '*mdr*').Name.
var automaticNames = strings.Fields(`$ ? ^ args ConfirmPreference ConsoleFileName DebugPreference Error
ErrorActionPreference ErrorView ExecutionContext false FormatEnumerationLimit HOME Host InformationPreference
input MaximumAliasCount MaximumDriveCount MaximumErrorCount MaximumFunctionCount MaximumHistoryCount
MaximumVariableCount MyInvocation NestedPromptLevel null OutputEncoding PID PROFILE ProgressPreference
PSBoundParameters PSCommandPath PSCulture PSDefaultParameterValues PSEmailServer PSHOME PSScriptRoot
PSSessionApplicationName PSSessionConfigurationName PSSessionOption PSUICulture PSVersionTable PWD ShellId
StackTrace true VerbosePreference WarningPreference WhatIfPreference`)

func enumVal(name string) value { return objVal(&object{class: "enum", name: name}) }

// environment is a stock Windows 10/11 environment.
var environment = map[string]string{
	"allusersprofile":         `C:\ProgramData`,
	"appdata":                 `C:\Users\user\AppData\Roaming`,
	"commonprogramfiles":      `C:\Program Files\Common Files`,
	"commonprogramfiles(x86)": `C:\Program Files (x86)\Common Files`,
	"commonprogramw6432":      `C:\Program Files\Common Files`,
	"computername":            `DESKTOP`,
	"comspec":                 `C:\WINDOWS\system32\cmd.exe`,
	"homedrive":               `C:`,
	"homepath":                `\Users\user`,
	"localappdata":            `C:\Users\user\AppData\Local`,
	"os":                      `Windows_NT`,
	"pathext":                 `.COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC;.CPL`,
	"processor_architecture":  `AMD64`,
	"programdata":             `C:\ProgramData`,
	"programfiles":            `C:\Program Files`,
	"programfiles(x86)":       `C:\Program Files (x86)`,
	"programw6432":            `C:\Program Files`,
	"psmodulepath":            `C:\Users\user\Documents\WindowsPowerShell\Modules;C:\Program Files\WindowsPowerShell\Modules;C:\WINDOWS\system32\WindowsPowerShell\v1.0\Modules`,
	"public":                  `C:\Users\Public`,
	"systemdrive":             `C:`,
	"systemroot":              `C:\WINDOWS`,
	"temp":                    `C:\Users\user\AppData\Local\Temp`,
	"tmp":                     `C:\Users\user\AppData\Local\Temp`,
	"username":                `user`,
	"userprofile":             `C:\Users\user`,
	"windir":                  `C:\WINDOWS`,
}

// specialFolders are Environment.GetFolderPath results for the stock
// profile.
var specialFolders = map[string]string{
	"mydocuments":           `C:\Users\user\Documents`,
	"personal":              `C:\Users\user\Documents`,
	"applicationdata":       `C:\Users\user\AppData\Roaming`,
	"localapplicationdata":  `C:\Users\user\AppData\Local`,
	"commonapplicationdata": `C:\ProgramData`,
	"desktop":               `C:\Users\user\Desktop`,
	"desktopdirectory":      `C:\Users\user\Desktop`,
	"userprofile":           `C:\Users\user`,
	"startup":               `C:\Users\user\AppData\Roaming\Microsoft\Windows\Start Menu\Programs\Startup`,
	"commonstartup":         `C:\ProgramData\Microsoft\Windows\Start Menu\Programs\StartUp`,
	"programfiles":          `C:\Program Files`,
	"programfilesx86":       `C:\Program Files (x86)`,
	"system":                `C:\WINDOWS\system32`,
	"systemx86":             `C:\WINDOWS\SysWOW64`,
	"windows":               `C:\WINDOWS`,
	"mymusic":               `C:\Users\user\Music`,
	"mypictures":            `C:\Users\user\Pictures`,
	"myvideos":              `C:\Users\user\Videos`,
	"templates":             `C:\Users\user\AppData\Roaming\Microsoft\Windows\Templates`,
	"internetcache":         `C:\Users\user\AppData\Local\Microsoft\Windows\INetCache`,
	"commondocuments":       `C:\Users\Public\Documents`,
}

// envDisplay maps the placeholder paths above back to variable names for
// reports, longest first.
var envDisplay = [][2]string{
	{`C:\Users\user\AppData\Local\Temp`, `%TEMP%`},
	{`C:\Users\user\AppData\Roaming`, `%APPDATA%`},
	{`C:\Users\user\AppData\Local`, `%LOCALAPPDATA%`},
	{`C:\Users\user`, `%USERPROFILE%`},
	{`C:\Users\Public`, `%PUBLIC%`},
	{`C:\ProgramData`, `%ProgramData%`},
}

// displayPath shows a path computed by the evaluator with %VARIABLE% names
// instead of the placeholder profile.
func displayPath(p string) string {
	for _, e := range envDisplay {
		if len(p) >= len(e[0]) && strings.EqualFold(p[:len(e[0])], e[0]) {
			return e[1] + p[len(e[0]):]
		}
	}
	return p
}

// knownFiles are files present on every Windows installation, for
// resolving wildcard paths such as \W*\*32\c??l.e* (curl.exe).
var knownFiles = sync.OnceValue(func() []string {
	sys := strings.Fields(`cmd.exe conhost.exe curl.exe certutil.exe bitsadmin.exe mshta.exe rundll32.exe
		regsvr32.exe msiexec.exe wscript.exe cscript.exe finger.exe calc.exe notepad.exe tar.exe ftp.exe
		forfiles.exe schtasks.exe reg.exe sc.exe net.exe net1.exe netsh.exe whoami.exe tasklist.exe
		taskkill.exe nslookup.exe ping.exe hostname.exe ipconfig.exe systeminfo.exe cmstp.exe odbcconf.exe
		msbuild.exe regasm.exe installutil.exe wevtutil.exe vssadmin.exe bcdedit.exe clip.exe timeout.exe
		expand.exe extrac32.exe esentutl.exe findstr.exe mavinject.exe pcalua.exe replace.exe xcopy.exe
		robocopy.exe attrib.exe icacls.exe takeown.exe runas.exe explorer.exe`)
	var out []string
	for _, f := range sys {
		out = append(out, `C:\Windows\System32\`+f)
	}
	out = append(out,
		`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		`C:\Windows\System32\WindowsPowerShell\v1.0\powershell_ise.exe`,
		`C:\Windows\SysWOW64\WindowsPowerShell\v1.0\powershell.exe`,
		`C:\Windows\System32\wbem\WMIC.exe`,
		`C:\Windows\explorer.exe`, `C:\Windows\hh.exe`, `C:\Windows\notepad.exe`,
	)
	return out
})

// wildcardMatch implements PowerShell's -like wildcards (* ? [abc]),
// case-insensitively.
func wildcardMatch(pattern, s string) bool {
	re, ok := wildcardRegexp(pattern)
	if !ok {
		return false
	}
	return re.MatchString(s)
}

// resolvePathWildcard resolves a path with wildcards against knownFiles.
// A path starting with \ is relative to C:.
func resolvePathWildcard(p string) []string {
	if !strings.ContainsAny(p, "*?[") {
		return nil
	}
	q := strings.ReplaceAll(p, "/", `\`)
	if strings.HasPrefix(q, `\`) {
		q = "C:" + q
	}
	var out []string
	for _, f := range knownFiles() {
		if matchPathSegments(q, f) {
			out = append(out, f)
		}
	}
	return out
}

func matchPathSegments(pattern, file string) bool {
	ps := strings.Split(pattern, `\`)
	fs := strings.Split(file, `\`)
	if len(ps) != len(fs) {
		return false
	}
	for i := range ps {
		if !wildcardMatch(ps[i], fs[i]) {
			return false
		}
	}
	return true
}

// matchCommands returns the command names (cmdlets and aliases) matching a
// wildcard pattern, the way Get-Command does.
func matchCommands(pattern string) []string {
	var out []string
	for _, c := range commonCmdlets {
		if wildcardMatch(pattern, c) {
			out = append(out, c)
		}
	}
	if !strings.ContainsAny(pattern, "*?[") {
		if a, ok := aliasMap()[strings.ToLower(pattern)]; ok {
			return []string{a}
		}
	}
	sort.Strings(out)
	return out
}

// baseName is the file name of a Windows or POSIX path.
func baseName(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	return path.Base(p)
}
