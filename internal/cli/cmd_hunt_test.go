package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/testcorpus"
)

func writeRules(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const goodRule = "title: good\nid: g\nlogsource: {product: windows, service: security}\ndetection:\n  s: {EventID: 4624}\n  condition: s\n"
const badRule = "title: bad\nid: b\nlogsource: {product: windows, service: security}\ndetection:\n  s: {CommandLine|re: 'a(?=b)'}\n  condition: s\n"

func TestRulesLint(t *testing.T) {
	dir := writeRules(t, map[string]string{"good.yml": goodRule, "bad.yml": badRule})
	out, _, code := run(t, "rules", "lint", dir)
	if code != exitDamaged {
		t.Fatalf("exit %d, want %d", code, exitDamaged)
	}
	want := filepath.Join(dir, "bad.yml") + ":5:7: bad-regex: "
	if !strings.HasPrefix(out, want) || !strings.Contains(out, "1 rules loaded, 1 rejected (bad-regex 1)") {
		t.Fatalf("output %q, want a line starting %q and a summary", out, want)
	}

	out, _, code = run(t, "rules", "lint", "--format", "json", dir)
	var got struct {
		Loaded   int `json:"loaded"`
		Rejected []struct {
			File   string `json:"file"`
			Line   int    `json:"line"`
			Reason string `json:"reason"`
			RuleID string `json:"rule_id"`
		} `json:"rejected"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != exitDamaged {
		t.Fatalf("json: %v, exit %d, out %q", err, code, out)
	}
	if got.Loaded != 1 || len(got.Rejected) != 1 || got.Rejected[0].Line != 5 || got.Rejected[0].Reason != "bad-regex" || got.Rejected[0].RuleID != "b" {
		t.Fatalf("json %+v", got)
	}

	good := writeRules(t, map[string]string{"good.yml": goodRule})
	if _, _, code := run(t, "rules", "lint", good); code != exitOK {
		t.Fatalf("all good: exit %d", code)
	}
}

func TestRulesLintUsage(t *testing.T) {
	if _, _, code := run(t, "rules", "lint"); code != exitUsage {
		t.Errorf("no paths: exit %d", code)
	}
	if _, _, code := run(t, "rules", "lint", "--format", "xml", "."); code != exitUsage {
		t.Errorf("bad format: exit %d", code)
	}
}

func TestHuntUsage(t *testing.T) {
	rules := writeRules(t, map[string]string{"good.yml": goodRule})
	for _, args := range [][]string{
		{"hunt"},
		{"hunt", "--rules", rules, "--format", "xml", "x.evtx"},
		{"hunt", "--rules", rules, "--min-level", "severe", "x.evtx"},
		{"hunt", "--rules", rules, "--fail-on", "severe", "x.evtx"},
		{"hunt", "--rules", rules, "--threads", "-1", "x.evtx"},
	} {
		if _, errOut, code := run(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// TestHuntUsesBuiltinRules checks that hunt runs with the embedded rule set
// when no --rules is given, and that every built-in rule loads.
func TestHuntUsesBuiltinRules(t *testing.T) {
	_, errOut, code := run(t, "hunt", t.TempDir())
	if code != exitOK || strings.Contains(errOut, "rejected") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestHuntListsRejectedRules(t *testing.T) {
	rules := writeRules(t, map[string]string{"good.yml": goodRule, "bad.yml": badRule})
	_, errOut, code := run(t, "hunt", "-q", "--rules", rules, t.TempDir())
	if code != exitDamaged {
		t.Fatalf("exit %d, want %d (rules rejected)", code, exitDamaged)
	}
	if !strings.Contains(errOut, "wuguard: warning: rule rejected: "+filepath.Join(rules, "bad.yml")+":5:7: bad-regex:") ||
		!strings.Contains(errOut, "wuguard: warning: no event log files") {
		t.Fatalf("stderr %q", errOut)
	}
}

// TestHuntEVTX hunts real EVTX recordings with a SigmaHQ rule: one line per
// cleared Security log, the same output whatever --threads, and --fail-on.
func TestHuntEVTX(t *testing.T) {
	rule := filepath.Join(testcorpus.Dir(t, "sigma"), "rules", "windows", "builtin", "security", "win_security_audit_log_cleared.yml")
	logs := filepath.Join(testcorpus.Dir(t, "evtx"), "evtx-attack-samples", "Discovery")
	one := filepath.Join(logs, "discovery_bloodhound.evtx")

	out, errOut, code := run(t, "hunt", "--rules", rule, "--format", "jsonl", one)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var m struct {
		EventID  int               `json:"event_id"`
		RecordID uint64            `json:"record_id"`
		RuleID   string            `json:"rule_id"`
		Level    string            `json:"level"`
		Fields   map[string]string `json:"fields"`
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &m) != nil {
		t.Fatalf("output %q", out)
	}
	if m.EventID != 1102 || m.RecordID != 32853 || m.RuleID != "d99b79d2-0a6f-4f46-ad8b-260b6e17f982" || m.Level != "high" || m.Fields["EventID"] != "1102" {
		t.Fatalf("match %+v", m)
	}
	if !strings.Contains(errOut, "1 matches in ") {
		t.Errorf("no summary on stderr: %q", errOut)
	}

	if _, _, code := run(t, "hunt", "-q", "--rules", rule, "--fail-on", "high", one); code != exitFindings {
		t.Errorf("--fail-on high: exit %d, want %d", code, exitFindings)
	}
	if _, _, code := run(t, "hunt", "-q", "--rules", rule, "--fail-on", "critical", one); code != exitOK {
		t.Errorf("--fail-on critical: exit %d, want %d", code, exitOK)
	}

	a, _, _ := run(t, "hunt", "-q", "--rules", rule, "--threads", "1", "--format", "csv", logs)
	b, _, _ := run(t, "hunt", "-q", "--rules", rule, "--threads", "3", "--format", "csv", logs)
	if a != b || strings.Count(a, "\n") < 3 {
		t.Errorf("csv differs between 1 and 3 threads or is too short:\n%s\n---\n%s", a, b)
	}
}
