package scripts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/testcorpus"
	"github.com/wuguard/wuguard/pwsh"
)

// corpusScripts reads every script the EVTX-ATTACK-SAMPLES logs recorded.
func corpusScripts(t *testing.T) []Script {
	dir := testcorpus.Dir(t, "evtx/evtx-attack-samples")
	files := input.Expand([]string{dir}, input.EventKinds, nil)
	var out []Script
	for _, f := range files {
		c := NewCollector(Limits{})
		err := input.Read(context.Background(), f, func(e *event.Event) error {
			out = append(out, c.Add(e)...)
			return nil
		}, func(input.Damage) {})
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		out = append(out, c.Flush()...)
	}
	for i := range out {
		if rel, err := filepath.Rel(dir, out[i].File); err == nil {
			out[i].File = filepath.ToSlash(rel)
		}
	}
	return out
}

// TestAttackSamples analyses every script block (4104), pipeline payload
// (4103) and classic pipeline command (800) of the attack samples, and
// checks, for the obfuscated ones read by hand, that the analysis reaches
// the plain final command.
func TestAttackSamples(t *testing.T) {
	scripts := corpusScripts(t)
	a := NewAnalyzer(nil)
	counts := map[Kind]int{}
	verdicts := map[pwsh.Verdict]int{}
	found := map[string]*pwsh.Result{}
	for _, s := range scripts {
		r := a.Analyze(t.Context(), s.Text)
		if r == nil {
			t.Fatalf("%s record %d: no result", s.File, s.RecordID)
		}
		for _, n := range r.Notes {
			if strings.Contains(strings.ToLower(n), "internal error") {
				t.Errorf("%s record %d: %s", s.File, s.RecordID, n)
			}
		}
		counts[s.Kind]++
		verdicts[r.Verdict]++
		found[fmt.Sprintf("%s#%d", s.File, s.RecordID)] = r
		if os.Getenv("WUGUARD_SCRIPTS_VERBOSE") != "" {
			last := r.Layers[len(r.Layers)-1].Text
			t.Logf("%s#%d %s %s layers=%d score=%d last=%.160q", s.File, s.RecordID, s.Kind, r.Verdict, len(r.Layers), r.Score, last)
		}
	}
	t.Logf("scripts by kind %v, verdicts %v", counts, verdicts)
	if counts[KindScriptBlock] == 0 || counts[KindClassic] == 0 {
		t.Fatalf("no script blocks or classic commands found: %v", counts)
	}
	for key, want := range obfuscatedSamples {
		r := found[key]
		if r == nil {
			t.Errorf("%s: no script there", key)
			continue
		}
		var layers strings.Builder
		for _, l := range r.Layers {
			layers.WriteString(strings.ToLower(l.Text))
			layers.WriteByte('\n')
		}
		for _, w := range want {
			if !strings.Contains(layers.String(), strings.ToLower(w)) {
				t.Errorf("%s: no layer contains %q", key, w)
			}
		}
		if r.Verdict != pwsh.Malicious {
			t.Errorf("%s: verdict %s, want malicious", key, r.Verdict)
		}
	}
}

// obfuscatedSamples are the obfuscated scripts of the attack samples, by
// file and record id, with text their final layers must show.
var obfuscatedSamples = map[string][]string{
	// Emotet's launcher: string concatenation, format operator, [char] 92.
	"Other/emotet/exec_emotet_ps_4104.evtx#683":            {"new-object net.webclient", "http://quanticaelectronics.com/wp-admin/7atr78/", `\temp\word\2019\dyxxur4gx.exe`},
	"Other/emotet/exec_emotet_ps_800_get-item.evtx#789":    {"http://quanticaelectronics.com/wp-admin/7atr78/"},
	"Other/emotet/exec_emotet_ps_800_invoke-item.evtx#792": {"http://quanticaelectronics.com/wp-admin/7atr78/"},
	"Other/emotet/exec_emotet_ps_800_new-item.evtx#786":    {"http://quanticaelectronics.com/wp-admin/7atr78/"},
	"Other/emotet/exec_emotet_ps_800_new-object.evtx#787":  {"http://quanticaelectronics.com/wp-admin/7atr78/"},
	// Metasploit's psexec stager: cmd /c, powershell -c, ProcessStartInfo
	// arguments, then GZip inside base64 run through [scriptblock]::create.
	"Lateral Movement/LM_sysmon_psexec_smb_meterpreter.evtx#9807": {"function bmj90"},
	"Lateral Movement/LM_sysmon_psexec_smb_meterpreter.evtx#9808": {"function bmj90"},
	"Lateral Movement/LM_sysmon_psexec_smb_meterpreter.evtx#9809": {"function bmj90"},
	// A credential phishing prompt packed as GZip and base64.
	"Credential Access/phish_windows_credentials_powershell_scriptblockLog_4104.evtx#1122": {"function invoke-loginprompt", "promptforcredential("},
}
