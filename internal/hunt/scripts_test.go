package hunt

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/wuguard/wuguard/internal/scripts"
	"github.com/wuguard/wuguard/internal/testcorpus"
	"github.com/wuguard/wuguard/pwsh"
)

// TestScriptAnalysis hunts Emotet's launcher, logged once as a 4104 script
// block, with the built-in rules: the analysis must raise its own finding
// and ride along on the Sigma matches of the same event, and nothing of it
// may appear without Options.Scripts.
func TestScriptAnalysis(t *testing.T) {
	file := filepath.Join(testcorpus.Dir(t, "evtx/evtx-attack-samples"), "Other", "emotet", "exec_emotet_ps_4104.evtx")
	rules, err := LoadRules(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), rules, []string{file}, Options{Threads: 1, Scripts: scripts.NewAnalyzer(nil)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pseudo, carried, sigmaOnScript int
	for _, f := range rep.Findings {
		switch {
		case f.Rule.ID == PwshRule.ID:
			pseudo++
			if f.Level != LevelHigh || f.Script == nil || f.Script.Result.Verdict != pwsh.Malicious || f.RecordID != 683 {
				t.Errorf("pseudo-rule finding: level %s, record %d, script %+v", f.Level, f.RecordID, f.Script)
			}
		case f.RecordID == 683:
			sigmaOnScript++
			if f.Script != nil {
				carried++
			}
		}
	}
	if pseudo != 1 {
		t.Errorf("%d wuguard-pwsh-analysis findings, want 1", pseudo)
	}
	if sigmaOnScript == 0 || carried != sigmaOnScript {
		t.Errorf("%d Sigma matches on the script block, %d carry its analysis", sigmaOnScript, carried)
	}

	off, err := Run(context.Background(), rules, []string{file}, Options{Threads: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(off.Findings) != len(rep.Findings)-pseudo {
		t.Errorf("without analysis %d findings, with %d (%d from analysis)", len(off.Findings), len(rep.Findings), pseudo)
	}
	for _, f := range off.Findings {
		if f.Script != nil || f.Rule.ID == PwshRule.ID {
			t.Errorf("analysis present without Options.Scripts: %+v", f)
		}
	}
}

// TestScriptAnalysisMinLevel checks that --min-level applies to the
// pseudo-rule like to any rule.
func TestScriptAnalysisMinLevel(t *testing.T) {
	file := filepath.Join(testcorpus.Dir(t, "evtx/evtx-attack-samples"), "Other", "emotet", "exec_emotet_ps_4104.evtx")
	rules, err := LoadRules(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), rules, []string{file}, Options{Threads: 1, MinLevel: LevelCritical, Scripts: scripts.NewAnalyzer(nil)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Rule.ID == PwshRule.ID {
			t.Errorf("high pseudo-rule finding kept with --min-level critical")
		}
	}
}

// TestSummaryCountsPseudoRuleOnce: every script the analysis flags gets its
// own copy of the pseudo-rule (its tags differ), but the summary counts
// them under one line per verdict.
func TestSummaryCountsPseudoRuleOnce(t *testing.T) {
	rules, err := LoadRules(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := testcorpus.Dir(t, "evtx/evtx-attack-samples")
	rep, err := Run(context.Background(), rules, []string{dir}, Options{Scripts: scripts.NewAnalyzer(nil)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	flagged := map[string]int{}
	for _, f := range rep.Findings {
		if f.Rule.ID == PwshRule.ID {
			flagged[f.Rule.Title]++
		}
	}
	lines := map[string]int{}
	for _, rc := range Summarize(rep).ByRule {
		if rc.RuleID == PwshRule.ID {
			lines[rc.RuleTitle]++
			if rc.Matches != flagged[rc.RuleTitle] {
				t.Errorf("%s: summary counts %d, timeline has %d", rc.RuleTitle, rc.Matches, flagged[rc.RuleTitle])
			}
		}
	}
	if len(flagged) == 0 {
		t.Fatal("no script flagged in the attack samples")
	}
	for title, n := range lines {
		if n != 1 {
			t.Errorf("%s: %d summary lines, want 1", title, n)
		}
	}
}
