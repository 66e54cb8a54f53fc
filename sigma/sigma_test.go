package sigma

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// testEvent is a plain map event: header fields are the ones of the test
// log sources, every other field is payload.
type testEvent map[string]string

var testHeader = map[string]bool{"EventID": true, "Channel": true, "Provider_Name": true}

func (e testEvent) Field(name string) (string, bool) { v, ok := e[name]; return v, ok }

func (e testEvent) Values(fn func(name, value string) bool) {
	keys := make([]string, 0, len(e))
	for k := range e {
		if !testHeader[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !fn(k, e[k]) {
			return
		}
	}
}

const testSourcesYAML = `
product: windows
header_fields: [EventID, Channel, Provider_Name]
sources:
  - {service: test, channels: [Test]}
  - {category: proc, channels: [Sysmon], event_ids: [1]}
  - category: proc
    channels: [Security]
    providers: [Auditing]
    event_ids: [4688]
    fields:
      Image: NewProcessName
      User: {join: [Domain, Name], separator: '\'}
      Level: {field: Label, values: {S-1-16-12288: High}}
      Key: {field: Object, prefixes: {'\REGISTRY\MACHINE': HKLM}}
  - {category: nowhere, note: needs a source no log records}
`

func testSources(t testing.TB) *LogSources {
	t.Helper()
	ls, err := ParseLogSources("test.yml", []byte(testSourcesYAML))
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// compileOne compiles rule documents and fails on any diagnostic.
func compileOne(t testing.TB, src string, cfg Config) *Ruleset {
	t.Helper()
	rs, diags := compileText(t, src, cfg)
	for _, d := range diags {
		t.Fatalf("unexpected diagnostic: %v", d.Error())
	}
	return rs
}

func compileText(t testing.TB, src string, cfg Config) (*Ruleset, []Diagnostic) {
	t.Helper()
	rules, diags := Parse("rule.yml", []byte(src))
	if cfg.LogSources == nil {
		cfg.LogSources = testSources(t)
	}
	rs, cd := Compile(rules, cfg)
	return rs, append(diags, cd...)
}

// detection wraps a detection block into a rule on the test service.
func detection(body string) string {
	return "title: t\nid: r1\nlogsource: {product: windows, service: test}\ndetection:\n" + body
}

func matches(rs *Ruleset, ev testEvent) []string {
	if _, ok := ev["Channel"]; !ok {
		ev["Channel"] = "Test"
	}
	var out []string
	rs.NewMatcher().Match(ev, func(m *Match) { out = append(out, m.Rule.ID) })
	return out
}

func matchOne(t *testing.T, rs *Ruleset, ev testEvent) bool {
	t.Helper()
	return len(matches(rs, ev)) > 0
}

func TestValueMatching(t *testing.T) {
	type probe struct {
		ev   testEvent
		want bool
	}
	cases := []struct {
		name   string
		body   string
		probes []probe
	}{
		{"plain value is case-insensitive equality", `  s: {Image: 'C:\Windows\cmd.exe'}
  condition: s`, []probe{{testEvent{"Image": `c:\windows\CMD.EXE`}, true}, {testEvent{"Image": `c:\windows\cmd.exe2`}, false}, {testEvent{}, false}}},
		{"star and question mark", `  s: {Image: '*\cmd?.exe'}
  condition: s`, []probe{{testEvent{"Image": `x\cmd1.exe`}, true}, {testEvent{"Image": `x\cmd.exe`}, false}, {testEvent{"Image": `\CMDé.EXE`}, true}}},
		{"escaped wildcards are literal", `  s: {F: 'a\*b\?c\\*'}
  condition: s`, []probe{{testEvent{"F": `a*b?c\zzz`}, true}, {testEvent{"F": `axb?c\`}, false}}},
		{"plain backslash kept", `  s: {F: 'C:\Temp\x'}
  condition: s`, []probe{{testEvent{"F": `C:\Temp\x`}, true}}},
		{"contains startswith endswith", `  s:
    A|contains: mid
    B|startswith: pre
    C|endswith: post
  condition: s`, []probe{{testEvent{"A": "xMIDx", "B": "PREfix", "C": "xPost"}, true}, {testEvent{"A": "xMIDx", "B": "xpre", "C": "xPost"}, false}}},
		{"value list is OR, all makes it AND", `  s:
    A|contains|all: [one, two]
    B: [x, y]
  condition: s`, []probe{{testEvent{"A": "two one", "B": "y"}, true}, {testEvent{"A": "one", "B": "y"}, false}, {testEvent{"A": "one two", "B": "z"}, false}}},
		{"list of maps is OR", `  s:
    - A: 1
    - B: 2
  condition: s`, []probe{{testEvent{"B": "2"}, true}, {testEvent{"A": "2"}, false}}},
		{"cased", `  s: {A|cased: Abc, B|contains|cased: XyZ}
  condition: s`, []probe{{testEvent{"A": "Abc", "B": "aXyZa"}, true}, {testEvent{"A": "abc", "B": "aXyZa"}, false}, {testEvent{"A": "Abc", "B": "axyz"}, false}}},
		{"neq", `  s: {A|neq: [x, y]}
  condition: s`, []probe{{testEvent{"A": "z"}, true}, {testEvent{"A": "X"}, false}, {testEvent{}, false}}},
		{"exists", `  s: {A|exists: true, B|exists: false}
  condition: s`, []probe{{testEvent{"A": ""}, true}, {testEvent{"A": "1", "B": "2"}, false}, {testEvent{}, false}}},
		{"null and empty", `  n: {A: null}
  e: {B: ''}
  condition: n and e`, []probe{{testEvent{"B": ""}, true}, {testEvent{"A": "", "B": ""}, true}, {testEvent{"A": "x", "B": ""}, false}, {testEvent{}, false}}},
		{"re is case-sensitive, i m s flags", `  a: {A|re: '^ab+c$'}
  b: {B|re|i: 'X.Y'}
  c: {C|re|m: '^second$'}
  d: {D|re|s: 'a.b'}
  condition: a and b and c and d`, []probe{{testEvent{"A": "abbc", "B": "x-y", "C": "first\nsecond", "D": "a\nb"}, true}, {testEvent{"A": "ABBC", "B": "x-y", "C": "first\nsecond", "D": "a\nb"}, false}}},
		{"base64", `  s: {A|base64: 'cmd'}
  condition: s`, []probe{{testEvent{"A": "Y21k"}, true}, {testEvent{"A": "y21k"}, false}}},
		{"base64offset contains", `  s: {A|base64offset|contains: '/bin/bash'}
  condition: s`, []probe{{testEvent{"A": "xxL2Jpbi9iYXNoxx"}, true}, {testEvent{"A": "9iaW4vYmFza"}, true}, {testEvent{"A": "vYmluL2Jhc2"}, true}, {testEvent{"A": "L2Jpbi9za"}, false}}},
		{"utf16le then base64offset", `  s: {A|wide|base64offset|contains: 'ping'}
  condition: s`, []probe{{testEvent{"A": "powershell -enc cABpAG4AZwA="}, true}}},
		{"utf16 encodings", `  a: {A|utf16le: 'ab'}
  b: {B|utf16be: 'ab'}
  c: {C|utf16: 'ab'}
  condition: a and b and c`, []probe{{testEvent{"A": "a\x00b\x00", "B": "\x00a\x00b", "C": "\xff\xfea\x00b\x00"}, true}}},
		{"windash one dash", `  s: {A|windash|contains: ' -enc '}
  condition: s`, []probe{{testEvent{"A": "ps /enc x"}, true}, {testEvent{"A": "ps \u2013enc x"}, true}, {testEvent{"A": "ps \u2015enc x"}, true}, {testEvent{"A": "ps +enc x"}, false}}},
		{"windash many dashes uses a class", `  s: {A|windash|contains: '-a -b -c'}
  condition: s`, []probe{{testEvent{"A": "x /a \u2014b -c"}, true}, {testEvent{"A": "x /a +b -c"}, false}}},
		{"windash leaves dashes inside words alone", `  s: {A|windash|contains: 'x-y -z'}
  condition: s`, []probe{{testEvent{"A": "x-y /z"}, true}, {testEvent{"A": "x/y -z"}, false}}},
		{"cidr v4 and v6", `  s: {A|cidr: [10.0.0.0/8, 'fe80::/10']}
  condition: s`, []probe{{testEvent{"A": "10.1.2.3"}, true}, {testEvent{"A": "fe80::1"}, true}, {testEvent{"A": "11.0.0.1"}, false}, {testEvent{"A": "nope"}, false}}},
		{"numeric comparisons", `  s: {A|gt: 10, B|lte: 0x10, C|lt: 5, D|gte: 5}
  condition: s`, []probe{{testEvent{"A": "11", "B": "16", "C": "4.5", "D": "5"}, true}, {testEvent{"A": "10", "B": "16", "C": "4", "D": "5"}, false}, {testEvent{"A": "x", "B": "1", "C": "1", "D": "9"}, false}}},
		{"fieldref", `  s: {A|fieldref: B, C|fieldref|endswith: D}
  condition: s`, []probe{{testEvent{"A": "x", "B": "X", "C": "path\\tool.exe", "D": "TOOL.exe"}, true}, {testEvent{"A": "x", "B": "y", "C": "a", "D": "a"}, false}}},
		{"fieldref with neq", `  s: {A|fieldref|neq: B}
  condition: s`, []probe{{testEvent{"A": "x", "B": "y"}, true}, {testEvent{"A": "x", "B": "x"}, false}}},
		{"time parts", `  s: {T|hour: 3, T|month|gte: 6}
  condition: s`, []probe{{testEvent{"T": "2024-07-01T03:04:05Z"}, true}, {testEvent{"T": "2024-05-01T03:04:05Z"}, false}}},
		{"keywords search every payload value", `  k: [evil, 'bad*thing']
  condition: k`, []probe{{testEvent{"X": "an EVIL one"}, true}, {testEvent{"Y": "bad old thing"}, true}, {testEvent{"Channel": "evil"}, false}}},
		{"keywords with all", `  k:
    '|all': [one, two]
  condition: k`, []probe{{testEvent{"X": "one", "Y": "two"}, true}, {testEvent{"X": "one"}, false}}},
		{"non-ASCII letters fold", `  s: {A|contains: 'ÄRGER'}
  condition: s`, []probe{{testEvent{"A": "viel ärger hier"}, true}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := compileOne(t, detection(c.body), Config{})
			for i, p := range c.probes {
				if got := matchOne(t, rs, p.ev); got != p.want {
					t.Errorf("probe %d %v: match %v, want %v", i, p.ev, got, p.want)
				}
			}
		})
	}
}

func TestExpandPlaceholders(t *testing.T) {
	body := detection(`  s: {User|expand: '%admins%', Host|expand: '\%lit%x'}
  condition: s`)
	_, diags := compileText(t, body, Config{})
	if len(diags) != 1 || diags[0].Reason != ReasonMissingPlaceholder {
		t.Fatalf("without config: %v, want missing-placeholder", diags)
	}
	rs := compileOne(t, body, Config{Placeholders: map[string][]string{"admins": {"root", "adm*"}}})
	for ev, want := range map[string]bool{"root": true, "ADMIN7": true, "user": false} {
		if got := matchOne(t, rs, testEvent{"User": ev, "Host": "%lit%x"}); got != want {
			t.Errorf("User=%s: %v, want %v", ev, got, want)
		}
	}
}

func TestConditions(t *testing.T) {
	searches := `  a: {A: 1}
  b: {B: 1}
  c: {C: 1}
  sel_x: {X: 1}
  sel_y: {Y: 1}
  _hidden: {H: 1}
`
	cases := []struct {
		cond string
		ev   testEvent
		want bool
	}{
		{"a or b and c", testEvent{"A": "1"}, true},           // and binds tighter
		{"a or b and c", testEvent{"B": "1"}, false},          //
		{"not a and b", testEvent{"B": "1"}, true},            // not binds tighter than and
		{"not a and b", testEvent{"A": "1", "B": "1"}, false}, //
		{"not (a or b)", testEvent{"C": "1"}, true},
		{"(a or b) and c", testEvent{"A": "1", "C": "1"}, true},
		{"1 of sel_*", testEvent{"Y": "1"}, true},
		{"any of sel_*", testEvent{"X": "1"}, true},
		{"all of sel_*", testEvent{"Y": "1"}, false},
		{"all of sel_*", testEvent{"X": "1", "Y": "1"}, true},
		{"all of them", testEvent{"A": "1", "B": "1", "C": "1", "X": "1", "Y": "1"}, true}, // _hidden excluded
		{"1 of them", testEvent{"H": "1"}, false},
		{"1 of _hid*", testEvent{"H": "1"}, true}, // explicit patterns do select _ names
		{"a and not 1 of sel_*", testEvent{"A": "1", "X": "1"}, false},
		{"not not a", testEvent{"A": "1"}, true},
		{"A and B", testEvent{}, false}, // placeholder replaced below
	}
	for _, c := range cases[:len(cases)-1] {
		rs := compileOne(t, detection(searches+"  condition: "+c.cond+"\n"), Config{})
		if got := matchOne(t, rs, c.ev); got != c.want {
			t.Errorf("%q on %v: %v, want %v", c.cond, c.ev, got, c.want)
		}
	}
	rs := compileOne(t, detection(searches+"  condition:\n    - a\n    - b\n"), Config{})
	if !matchOne(t, rs, testEvent{"B": "1"}) || matchOne(t, rs, testEvent{"C": "1"}) {
		t.Error("a list of conditions must be OR-ed")
	}
}

func TestConditionErrors(t *testing.T) {
	searches := "  a: {A: 1}\n  sel1: {B: 1}\n"
	cases := map[string]Reason{
		"a and":           ReasonConditionSyntax,
		"(a":              ReasonConditionSyntax,
		"a)":              ReasonConditionSyntax,
		"a | count() > 5": ReasonConditionSyntax,
		"a near sel1":     ReasonConditionSyntax,
		"2 of sel*":       ReasonConditionSyntax,
		"a or":            ReasonConditionSyntax,
		"b":               ReasonUnknownIdentifier,
		"1 of filter*":    ReasonUnknownIdentifier,
		strings.Repeat("(", 200) + "a" + strings.Repeat(")", 200): ReasonConditionSyntax,
	}
	for cond, want := range cases {
		_, diags := compileText(t, detection(searches+"  condition: '"+cond+"'\n"), Config{})
		if len(diags) != 1 || diags[0].Reason != want {
			t.Errorf("%q: %v, want %s", cond, diags, want)
			continue
		}
		if diags[0].Line != 7 {
			t.Errorf("%q: line %d, want 7", cond, diags[0].Line)
		}
	}
}

func TestRuleDiagnostics(t *testing.T) {
	cases := []struct {
		src  string
		want Reason
		line int
	}{
		{detection("  s: {A|nosuch: 1}\n  condition: s\n"), ReasonUnknownModifier, 5},
		{detection("  s: {A|re: 'a(?=b)'}\n  condition: s\n"), ReasonBadRegex, 5},
		{detection("  s: {A|re: '(a)\\1'}\n  condition: s\n"), ReasonBadRegex, 5},
		{detection("  s: {A|re|contains: 'a'}\n  condition: s\n"), ReasonBadModifier, 5},
		{detection("  s: {A|i: 'a'}\n  condition: s\n"), ReasonBadModifier, 5},
		{detection("  s: {A|gt: abc}\n  condition: s\n"), ReasonBadValue, 5},
		{detection("  s: {A|cidr: 300.1.1.1/8}\n  condition: s\n"), ReasonBadValue, 5},
		{detection("  s: {A|base64: 'a*b'}\n  condition: s\n"), ReasonBadValue, 5},
		{detection("  s: {A|exists: maybe}\n  condition: s\n"), ReasonBadValue, 5},
		{detection("  s: {A: 1}\n"), ReasonSchema, 4},
		{detection("  s: {A: 1, A: 2}\n  condition: s\n"), ReasonYAML, 5},
		{"title: t\nlogsource: {product: linux}\ndetection:\n  s: {A: 1}\n  condition: s\n", ReasonUnknownLogsource, 2},
		{"title: t\nlogsource: {product: windows, category: nosuch}\ndetection:\n  s: {A: 1}\n  condition: s\n", ReasonUnknownLogsource, 2},
		{"title: t\nlogsource: {product: windows, category: nowhere}\ndetection:\n  s: {A: 1}\n  condition: s\n", ReasonUnknownLogsource, 2},
		{"title: t\nlogsource: {product: windows, category: proc}\ndetection:\n  s: {EventID: 7}\n  condition: s\n", ReasonUnknownLogsource, 2},
		{"title: t\n  bad: [\n", ReasonYAML, 2},
		{"action: global\ntitle: t\n---\ntitle: u\n", ReasonUnsupported, 1},
	}
	for _, c := range cases {
		_, diags := compileText(t, c.src, Config{})
		if len(diags) != 1 || diags[0].Reason != c.want || diags[0].Line != c.line {
			t.Errorf("%q: got %v, want %s at line %d", c.src, diags, c.want, c.line)
		}
	}
}

func TestLogSourceMapping(t *testing.T) {
	rs := compileOne(t, `title: t
id: p1
logsource: {product: windows, category: proc}
detection:
  s:
    Image|endswith: '\evil.exe'
    User: 'CORP\bob'
    Level: High
  condition: s
---
title: k
id: k1
logsource: {product: windows, category: proc}
detection:
  s: {Key|startswith: 'HKLM\Software\'}
  condition: s
`, Config{})
	sysmon := testEvent{"Channel": "Sysmon", "EventID": "1", "Image": `C:\evil.exe`, "User": `corp\bob`, "Level": "high"}
	if got := matches(rs, sysmon); len(got) != 1 {
		t.Errorf("sysmon event: %v", got)
	}
	security := testEvent{"Channel": "Security", "EventID": "4688", "Provider_Name": "Auditing", "NewProcessName": `C:\evil.exe`, "Domain": "CORP", "Name": "bob", "Label": "S-1-16-12288", "Object": `\REGISTRY\MACHINE\SOFTWARE\x`}
	if got := matches(rs, security); len(got) != 2 {
		t.Errorf("security event: %v, want both rules", got)
	}
	security["Provider_Name"] = "Other"
	if got := matches(rs, security); len(got) != 0 {
		t.Errorf("wrong provider: %v", got)
	}
	wrongID := testEvent{"Channel": "Sysmon", "EventID": "2", "Image": `C:\evil.exe`, "User": `corp\bob`, "Level": "high"}
	if got := matches(rs, wrongID); len(got) != 0 {
		t.Errorf("wrong event ID: %v", got)
	}
}

func TestProductOnlyRuleDispatchesByEventID(t *testing.T) {
	rs := compileOne(t, "title: t\nid: x\nlogsource: {product: windows}\ndetection:\n  s: {EventID: 7045, A: 1}\n  condition: s\n", Config{})
	if !matchOne(t, rs, testEvent{"Channel": "Whatever", "EventID": "7045", "A": "1"}) {
		t.Error("product-only rule missed an event of another channel")
	}
	if matchOne(t, rs, testEvent{"Channel": "Whatever", "EventID": "7046", "A": "1"}) {
		t.Error("product-only rule matched the wrong event ID")
	}
}

func TestProductOnlyRuleDispatchesByChannel(t *testing.T) {
	rs := compileOne(t, "title: t\nid: x\nlogsource: {product: windows}\ndetection:\n  s: {Channel: [sysmon, Other/Log], A: 1}\n  condition: s\n", Config{})
	for _, b := range rs.idx.all() {
		if b == rs.idx.global.get(rs) && len(b.insts) > 0 {
			t.Fatal("a rule that requires channels runs on every event")
		}
	}
	for ch, want := range map[string]bool{"Sysmon": true, "other/log": true, "Test": false} {
		if got := matchOne(t, rs, testEvent{"Channel": ch, "A": "1"}); got != want {
			t.Errorf("channel %s: %v, want %v", ch, got, want)
		}
	}
}

func TestMatchedFields(t *testing.T) {
	rs := compileOne(t, detection("  s: {A|contains: x}\n  t: {B: 1}\n  condition: s or t\n"), Config{})
	var got []MatchedField
	rs.NewMatcher().Match(testEvent{"Channel": "Test", "A": "axa", "B": "2"}, func(m *Match) { got = m.Fields })
	if len(got) != 1 || got[0] != (MatchedField{"A", "axa"}) {
		t.Errorf("fields %v", got)
	}
}

// TestPrefilterSkipsOnlyImpossibleRules checks that the literal prefilter
// never hides a match: every rule is evaluated with and without it.
func TestPrefilterSkipsOnlyImpossibleRules(t *testing.T) {
	rs := compileOne(t, detection(`  s1: {A|contains: [alpha, beta]}
  s2: {B|endswith: gamma}
  f: {C: delta}
  condition: (s1 or s2) and not f
`), Config{})
	for _, ev := range []testEvent{{"A": "xALPHAx"}, {"B": "GAMMA"}, {"A": "beta", "C": "delta"}, {"D": "alpha"}, {}} {
		var direct bool
		for _, b := range rs.idx.all() {
			for _, in := range b.insts {
				m := rs.NewMatcher()
				m.ctx.gen++
				m.ctx.litSeen = nil
				ev["Channel"] = "Test"
				m.ctx.ev = ev
				direct = in.root.eval(&m.ctx)
			}
		}
		if got := matchOne(t, rs, ev); got != direct {
			t.Errorf("%v: with prefilter %v, without %v", ev, got, direct)
		}
	}
}

// TestKeywordLiteralsScanEveryValue runs a keyword rule beside field rules
// costly enough for the prefilter: keyword literals must be found in values
// no rule reads by name, field literals only where their field is read.
func TestKeywordLiteralsScanEveryValue(t *testing.T) {
	var words []string
	for i := range 60 {
		words = append(words, fmt.Sprintf("word%02d", i))
	}
	rs := compileOne(t, detection("  kw: [mimikatz, 'sekurlsa::']\n  condition: kw\n")+"---\n"+
		strings.Replace(detection("  s: {A|contains: ["+strings.Join(words, ", ")+"]}\n  condition: s\n"), "id: r1", "id: r2", 1), Config{})
	cases := []struct {
		ev   testEvent
		want []string
	}{
		{testEvent{"X": "run MimiKatz now"}, []string{"r1"}},
		{testEvent{"A": "a word07 b", "X": "sekurlsa::logonpasswords"}, []string{"r1", "r2"}},
		{testEvent{"A": "nothing", "X": "word07"}, nil},
		{testEvent{"A": "word59"}, []string{"r2"}},
		{testEvent{"B": "x", "X": "word07", "Y": "mimikatz"}, []string{"r1"}},
		{testEvent{"A": "mimikatz"}, []string{"r1"}},
		{testEvent{"0": "word07", "A": "-"}, nil},
	}
	for _, c := range cases {
		if got := matches(rs, c.ev); !slices.Equal(got, c.want) {
			t.Errorf("%v: %v, want %v", c.ev, got, c.want)
		}
	}
	// One Matcher over events whose fields change names and places gives
	// what a new Matcher gives for each.
	m := rs.NewMatcher()
	for i := range 3 * len(cases) {
		c := cases[(i*3)%len(cases)]
		var got []string
		m.Match(c.ev, func(x *Match) { got = append(got, x.Rule.ID) })
		if !slices.Equal(got, c.want) {
			t.Errorf("reused matcher, %v: %v, want %v", c.ev, got, c.want)
		}
	}
	b := rs.idx.lookup("Test", 1)
	if !b.prefilter || !b.scanAll || len(b.kwLits) != 2 {
		t.Errorf("the bucket does not scan with keyword literals apart: prefilter %v, scanAll %v, %d keyword literals", b.prefilter, b.scanAll, len(b.kwLits))
	}
}

func ts(sec int) time.Time { return time.Date(2024, 1, 1, 0, 0, sec, 0, time.UTC) }

// runCorrelation feeds events (rule id, seconds, values) to a correlator.
type corrInput struct {
	rule   string
	sec    int
	values map[string]string
}

func runCorrelation(t *testing.T, src string, inputs []corrInput) ([]*CorrelationMatch, *Ruleset) {
	t.Helper()
	rs := compileOne(t, src, Config{})
	byID := map[string]*RuleInfo{}
	for _, r := range rs.Rules() {
		byID[r.ID] = r
	}
	c := rs.NewCorrelator()
	var out []*CorrelationMatch
	for i, in := range inputs {
		r := byID[in.rule]
		if r == nil {
			t.Fatalf("no rule %q", in.rule)
		}
		c.Add(&Match{Rule: r, Values: in.values}, ts(in.sec), i, func(cm *CorrelationMatch) { out = append(out, cm) })
	}
	c.Flush(func(cm *CorrelationMatch) { out = append(out, cm) })
	return out, rs
}

const baseRules = `title: failed
id: f
name: failed_login
logsource: {product: windows, service: test}
detection:
  s: {EventID: 4625}
  condition: s
---
title: ok
id: o
name: successful_login
logsource: {product: windows, service: test}
detection:
  s: {EventID: 4624}
  condition: s
`

func u(user string) map[string]string { return map[string]string{"User": user} }

func TestEventCount(t *testing.T) {
	src := baseRules + `---
title: many failed
id: c
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [User]
  timespan: 10s
  condition: {gte: 3}
`
	// Three events 10s apart span exactly the timespan: inclusive edge.
	out, rs := runCorrelation(t, src, []corrInput{{"f", 0, u("a")}, {"f", 5, u("b")}, {"f", 5, u("a")}, {"f", 10, u("a")}})
	if len(out) != 1 || out[0].Group[0].Value != "a" || out[0].Value != 3 || len(out[0].Events) != 3 {
		t.Fatalf("got %+v", out)
	}
	// Just outside the timespan: no match.
	out, _ = runCorrelation(t, src, []corrInput{{"f", 0, u("a")}, {"f", 5, u("a")}, {"f", 11, u("a")}})
	if len(out) != 0 {
		t.Fatalf("outside timespan: %+v", out)
	}
	for _, r := range rs.Rules() {
		if r.ID == "f" && (r.Emit || !r.Correlated) {
			t.Errorf("base rule: Emit %v Correlated %v, want false true", r.Emit, r.Correlated)
		}
	}
}

func TestEventCountUpperBoundUsesClosedWindows(t *testing.T) {
	src := baseRules + `---
title: few
id: c
correlation:
  type: event_count
  rules: [f]
  group-by: [User]
  timespan: 10s
  condition: {lt: 3}
`
	out, _ := runCorrelation(t, src, []corrInput{{"f", 0, u("a")}, {"f", 1, u("a")}, {"f", 2, u("a")}, {"f", 20, u("a")}})
	// Window [0,10] has 3 events (no match); window from 20 has 1 (match at flush).
	if len(out) != 1 || out[0].Value != 1 || !out[0].Time.Equal(ts(20)) {
		t.Fatalf("got %+v", out)
	}
}

func TestValueCorrelations(t *testing.T) {
	head := baseRules + "---\ntitle: c\nid: c\ncorrelation:\n  rules: [f]\n  group-by: [Host]\n  timespan: 1m\n"
	vals := func(user, host, bytes string) map[string]string {
		return map[string]string{"User": user, "Host": host, "Bytes": bytes}
	}
	in := []corrInput{{"f", 0, vals("a", "h", "10")}, {"f", 1, vals("b", "h", "20")}, {"f", 2, vals("a", "h", "30")}, {"f", 3, vals("c", "h", "40")}}
	cases := []struct {
		spec string
		n    int
		val  float64
	}{
		{"  type: value_count\n  condition: {field: User, gte: 3}\n", 1, 3},
		{"  type: value_count\n  condition: {field: User, gt: 3}\n", 0, 0},
		{"  type: value_sum\n  condition: {field: Bytes, gt: 50}\n", 1, 60},
		{"  type: value_avg\n  condition: {field: Bytes, gte: 25, lt: 26}\n", 1, 25},
		// value_percentile: share of each value among the window's events.
		{"  type: value_percentile\n  condition: {field: User, lte: 25}\n", 2, 25},
	}
	for _, c := range cases {
		out, _ := runCorrelation(t, head+c.spec, in)
		if len(out) != c.n || c.n > 0 && out[0].Value != c.val {
			t.Errorf("%s: got %d matches %+v, want %d with value %v", c.spec, len(out), out, c.n, c.val)
		}
	}
}

func TestTemporal(t *testing.T) {
	src := baseRules + `---
title: both
id: c
correlation:
  type: temporal
  rules: [successful_login, failed_login]
  group-by: [User]
  timespan: 10s
`
	out, _ := runCorrelation(t, src, []corrInput{{"f", 0, u("a")}, {"o", 3, u("b")}, {"o", 5, u("a")}})
	if len(out) != 1 || out[0].Group[0].Value != "a" || len(out[0].Events) != 2 {
		t.Fatalf("got %+v", out)
	}
	out, _ = runCorrelation(t, src, []corrInput{{"o", 0, u("a")}, {"f", 11, u("a")}})
	if len(out) != 0 {
		t.Fatalf("outside timespan: %+v", out)
	}
}

func TestTemporalOrderedAndChaining(t *testing.T) {
	// The specification's example: many failed logins, then a success.
	src := baseRules + `---
title: brute force then success
id: outer
correlation:
  type: temporal_ordered
  rules: [many_failed, successful_login]
  group-by: [User]
  timespan: 1m
level: high
---
title: many failed
id: inner
name: many_failed
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [User]
  timespan: 1m
  condition: {gte: 2}
`
	out, _ := runCorrelation(t, src, []corrInput{{"f", 0, u("a")}, {"f", 1, u("a")}, {"o", 2, u("a")}})
	var ids []string
	for _, m := range out {
		ids = append(ids, fmt.Sprintf("%s:%d", m.Rule.ID, len(m.Events)))
	}
	if strings.Join(ids, " ") != "inner:2 outer:3" {
		t.Fatalf("got %v", ids)
	}
	// Success before the failures: wrong order, no outer match.
	out, _ = runCorrelation(t, src, []corrInput{{"o", 0, u("a")}, {"f", 1, u("a")}, {"f", 2, u("a")}})
	for _, m := range out {
		if m.Rule.ID == "outer" {
			t.Fatalf("out of order matched: %+v", m)
		}
	}
}

func TestAliasesAndGenerate(t *testing.T) {
	src := baseRules + `---
title: same host
id: c
correlation:
  type: temporal
  rules: [failed_login, successful_login]
  group-by: [ip]
  timespan: 1m
  generate: true
  aliases:
    ip:
      failed_login: SourceIp
      successful_login: DestIp
`
	out, rs := runCorrelation(t, src, []corrInput{{"f", 0, map[string]string{"SourceIp": "1.2.3.4"}}, {"o", 1, map[string]string{"DestIp": "1.2.3.4"}}})
	if len(out) != 1 || out[0].Group[0] != (MatchedField{"ip", "1.2.3.4"}) {
		t.Fatalf("got %+v", out)
	}
	for _, r := range rs.Rules() {
		if r.Correlation == "" && !r.Emit {
			t.Errorf("generate: true, but rule %s is not emitted", r.ID)
		}
	}
}

func TestCorrelationDiagnostics(t *testing.T) {
	cases := map[string]Reason{
		"  type: event_count\n  rules: [nosuch]\n  timespan: 1m\n  condition: {gte: 1}\n":      ReasonUnknownCorrelationRule,
		"  type: event_count\n  rules: [f]\n  timespan: 1x\n  condition: {gte: 1}\n":           ReasonBadCorrelation,
		"  type: event_count\n  rules: [f]\n  timespan: 1m\n":                                  ReasonBadCorrelation,
		"  type: value_count\n  rules: [f]\n  timespan: 1m\n  condition: {gte: 1}\n":           ReasonBadCorrelation,
		"  type: nosuch\n  rules: [f]\n  timespan: 1m\n":                                       ReasonBadCorrelation,
		"  type: event_count\n  rules: [c]\n  timespan: 1m\n  condition: {gte: 1}\n":           ReasonBadCorrelation,
		"  type: event_count\n  rules: [f]\n  timespan: 1m\n  condition: {gte: 1, most: 2}\n":  ReasonBadCorrelation,
		"  type: temporal\n  rules: [f, o]\n  timespan: 1m\n  aliases: {x: {nosuch: Field}}\n": ReasonUnknownCorrelationRule,
	}
	for spec, want := range cases {
		src := baseRules + "---\ntitle: c\nid: c\ncorrelation:\n" + spec
		_, diags := compileText(t, src, Config{})
		if len(diags) != 1 || diags[0].Reason != want {
			t.Errorf("%q: %v, want %s", spec, diags, want)
		}
	}
}

func TestGenerateBesideCorrelation(t *testing.T) {
	src := baseRules + "---\ntitle: c\nid: c\ngenerate: true\ncorrelation:\n  type: event_count\n  rules: [f]\n  timespan: 1m\n  condition: {gte: 2}\n"
	rs := compileOne(t, src, Config{})
	for _, r := range rs.Rules() {
		if r.ID == "f" && !r.Emit {
			t.Error("generate beside the correlation block was ignored")
		}
	}
	_, diags := compileText(t, detection("  s: {A: 1}\n  condition: s\ngenerate: true\n"), Config{})
	if len(diags) != 1 || diags[0].Reason != ReasonSchema {
		t.Errorf("generate on a detection rule: %v", diags)
	}
}

// all builds and returns every bucket of the index, for tests that look
// at them all.
func (ix *index) all() []*bucket {
	var slots []*bucketSlot
	for _, s := range ix.exact {
		slots = append(slots, s)
	}
	for _, s := range ix.channel {
		slots = append(slots, s)
	}
	for _, s := range ix.anyIDs {
		slots = append(slots, s)
	}
	slots = append(slots, ix.global)
	var out []*bucket
	for _, s := range slots {
		if b := s.get(ix.rs); b != nil {
			out = append(out, b)
		}
	}
	return out
}

// TestParseFileReports reads rule files of every kind ParseFile can meet:
// one that parses, one over the size limit, one missing and a folder.
func TestParseFileReports(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	if err := os.WriteFile(good, []byte(detection("  s: {A: x}\n  condition: s\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("#\n"), MaxRuleFileSize/2+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if rules, diags := ParseFile(good); len(rules) != 1 || len(diags) != 0 {
		t.Errorf("good.yml: %d rules, diagnostics %v", len(rules), diags)
	}
	for path, want := range map[string]string{big: "larger than", filepath.Join(dir, "missing.yml"): "open: no such file", dir: "read"} {
		_, diags := ParseFile(path)
		if len(diags) != 1 || diags[0].Reason != ReasonIO || !strings.Contains(diags[0].Message, want) {
			t.Errorf("%s: %v, want one io diagnostic with %q", path, diags, want)
		}
	}
}
