package hunt

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/testcorpus"
	"github.com/wuguard/wuguard/sigma"
)

var update = flag.Bool("update", false, "rewrite golden files")

// jsonReader reads the evtx_dump JSON files of the SigmaHQ corpus in place
// of input.Read.
func jsonReader(ctx context.Context, f input.File, fn input.Handler, damage func(input.Damage)) error {
	if f.Kind != input.KindJSONL {
		return nil
	}
	events, err := readEvtxDumpJSON(f.Path)
	if err != nil {
		damage(input.Damage{File: f.Path, Chunk: -1, Offset: -1, Reason: err.Error()})
		return nil
	}
	for _, e := range events {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// TestRunIsDeterministic hunts the SigmaHQ regression JSON files with every
// corpus rule, with one and with four threads, and expects the same output.
func TestRunIsDeterministic(t *testing.T) {
	root := testcorpus.Dir(t, "sigma")
	rules := &Rules{Set: loadCorpusRules(t)}
	data := filepath.Join(root, "regression_data", "rules", "windows", "process_creation")
	var outs []string
	for _, threads := range []int{1, 4} {
		rep, err := Run(context.Background(), rules, []string{data}, Options{Threads: threads, read: jsonReader}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Damaged || rep.Files < 50 || len(rep.Findings) < rep.Files/2 {
			t.Fatalf("threads %d: damaged %v, %d files, %d findings", threads, rep.Damaged, rep.Files, len(rep.Findings))
		}
		var b bytes.Buffer
		if err := Render(&b, "jsonl", rep, rules); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b.String())
	}
	if outs[0] != outs[1] {
		t.Fatal("output differs between 1 and 4 threads")
	}
}

// memReader serves events built in Go, by file name.
func memReader(files map[string][]*event.Event) func(context.Context, input.File, input.Handler, func(input.Damage)) error {
	return func(_ context.Context, f input.File, fn input.Handler, _ func(input.Damage)) error {
		for _, e := range files[filepath.Base(f.Path)] {
			e.Source.File = f.Path
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	}
}

func security(sec int, id uint16, record uint64, fields ...string) *event.Event {
	e := &event.Event{}
	e.System = evtx.System{Channel: "Security", Provider: "Microsoft-Windows-Security-Auditing", Computer: "ws1",
		EventID: id, RecordID: record, TimeCreated: time.Date(2024, 5, 1, 10, 0, sec, 0, time.UTC)}
	for i := 0; i+1 < len(fields); i += 2 {
		e.Fields = append(e.Fields, evtx.Field{Name: fields[i], Value: fields[i+1]})
	}
	return e
}

const huntRules = `title: Failed logon
id: 11111111-0000-0000-0000-000000000001
name: failed_logon
level: low
logsource: {product: windows, service: security}
detection:
  s: {EventID: 4625}
  condition: s
---
title: Successful logon
id: 11111111-0000-0000-0000-000000000002
name: good_logon
level: informational
logsource: {product: windows, service: security}
detection:
  s: {EventID: 4624, LogonType: 3}
  condition: s
---
title: New process from Temp
id: 11111111-0000-0000-0000-000000000003
level: high
tags: [attack.execution]
logsource: {product: windows, category: process_creation}
detection:
  s: {Image|contains: '\Temp\'}
  condition: s
---
title: Brute force then logon
id: 11111111-0000-0000-0000-000000000004
level: critical
correlation:
  type: temporal_ordered
  rules: [many_failed, good_logon]
  group-by: [TargetUserName]
  timespan: 5m
---
title: Many failed logons
id: 11111111-0000-0000-0000-000000000005
name: many_failed
level: medium
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 5m
  condition: {gte: 3}
`

func huntFixture(t *testing.T) (*Rules, []string, map[string][]*event.Event) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), []byte(huntRules), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, err := LoadRules([]string{dir}, nil)
	if err != nil || len(rules.Rejected) > 0 {
		t.Fatalf("load: %v %v", err, rules.Rejected)
	}
	// The failed logons are spread over two files; the correlation must join
	// them in time order.
	events := map[string][]*event.Event{
		"a.jsonl": {
			security(1, 4625, 10, "TargetUserName", "bob"),
			security(3, 4625, 11, "TargetUserName", "bob"),
			security(4, 4688, 12, "NewProcessName", `C:\Users\bob\AppData\Local\Temp\x.exe`, "CommandLine", "x.exe -run", "SubjectUserName", "bob", "SubjectDomainName", "CORP"),
		},
		"b.jsonl": {
			security(2, 4625, 20, "TargetUserName", "bob"),
			security(5, 4624, 21, "TargetUserName", "bob", "LogonType", "3"),
			security(6, 4625, 22, "TargetUserName", "alice"),
		},
	}
	var paths []string
	for name := range events {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return rules, paths, events
}

func TestHuntTimelineAndCorrelation(t *testing.T) {
	rules, paths, events := huntFixture(t)
	for _, format := range Formats {
		for _, threads := range []int{1, 3} {
			rep, err := Run(context.Background(), rules, paths, Options{Threads: threads, read: memReader(events)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := Render(&b, format, rep, rules); err != nil {
				t.Fatal(err)
			}
			got := strings.ReplaceAll(b.String(), filepath.Dir(paths[0]), "DIR")
			golden := filepath.Join("testdata", "TestHuntTimeline-"+format+".golden")
			if *update && threads == 1 {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s with %d threads differs from %s:\n%s", format, threads, golden, got)
			}
		}
	}
}

func TestMinLevelAndSummary(t *testing.T) {
	rules, paths, events := huntFixture(t)
	rep, err := Run(context.Background(), rules, paths, Options{MinLevel: LevelHigh, read: memReader(events)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(rep)
	if s.Matches != 2 || s.ByLevel["critical"] != 1 || s.ByLevel["high"] != 1 {
		t.Fatalf("summary %+v", s)
	}
	var b bytes.Buffer
	WriteSummary(&b, s)
	if !strings.HasPrefix(b.String(), "2 matches in 6 events from 2 files (critical 1, high 1)") {
		t.Errorf("summary text %q", b.String())
	}
}

func TestRulesConfig(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "cfg.yml")
	cfg := "placeholders:\n  Admins: [root]\nlogsources:\n  sources:\n    - {service: myapp, channels: [MyApp/Operational]}\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	rule := "title: t\nlogsource: {product: windows, service: myapp}\ndetection:\n  s: {User|expand: '%Admins%'}\n  condition: s\n"
	if err := os.WriteFile(filepath.Join(dir, "r.yml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := ReadRulesConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := LoadRules([]string{filepath.Join(dir, "r.yml")}, c)
	if err != nil || len(rules.Rejected) > 0 || rules.Loaded() != 1 {
		t.Fatalf("load: %v %v", err, rules.Rejected)
	}
	e := &event.Event{}
	e.System.Channel = "MyApp/Operational"
	e.Fields = []evtx.Field{{Name: "User", Value: "ROOT"}}
	ev := newSigmaEvent()
	ev.e = e
	n := 0
	rules.Set.NewMatcher().Match(ev, func(*sigma.Match) { n++ })
	if n != 1 {
		t.Fatalf("%d matches, want 1", n)
	}
}

func TestSigmaEventFields(t *testing.T) {
	e := &event.Event{}
	e.System = evtx.System{EventID: 800, Channel: "Windows PowerShell"}
	e.Fields = []evtx.Field{{Value: "first"}, {Value: "HostName=ConsoleHost"}, {Name: "Threat Name", Value: "EICAR"}}
	ev := newSigmaEvent()
	ev.e = e
	for name, want := range map[string]string{"EventID": "800", "Channel": "Windows PowerShell", "Data": "first\nHostName=ConsoleHost", "ThreatName": "EICAR"} {
		if got, ok := ev.Field(name); !ok || got != want {
			t.Errorf("%s = %q %v, want %q", name, got, ok, want)
		}
	}
	if _, ok := ev.Field("Threat"); ok {
		t.Error("Threat must not match Threat Name")
	}
}
