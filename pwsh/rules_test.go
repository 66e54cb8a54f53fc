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
