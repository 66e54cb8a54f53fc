package catalog_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/catalog"
)

const validEntry = `id: site-kb5099999
title: "Our line-of-business update"
summary:
  en: An update our site packages.
  ja: 社内で配布する更新プログラム。
kbs: [KB5099999]
error_codes: ["0x80070643"]
builds: ["19044-19045.9999"]
cases:
  - name: known
    when:
      - latest_attempt_failed: true
    status: failed
    assessment: needs-action
    guidance:
      en: Call the service desk.
      ja: サービス デスクに連絡してください。
sources:
  - https://intranet.example/kb5099999
`

func TestParseValid(t *testing.T) {
	e, err := catalog.Parse("site.yaml", []byte(validEntry))
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != "site-kb5099999" || !e.HasKB("kb5099999") || !e.HasCode(0x80070643) || len(e.Cases) != 1 {
		t.Fatalf("entry %+v", e)
	}
	if got := e.Cases[0].When[0].String(); got != "latest_attempt_failed: true" {
		t.Fatalf("predicate %q", got)
	}
	if !e.Builds[0].Contains(catalog.Build{Number: 19045, UBR: 5737}) || e.Builds[0].Contains(catalog.Build{Number: 22631, UBR: -1}) {
		t.Fatal("build range")
	}
}

func TestParseRejects(t *testing.T) {
	cases := []struct {
		name, old, new string
		line           int
		reason         string
	}{
		{"unknown field", "title:", "titel: x\ntitle:", 2, "field titel not found"},
		{"wrong type", `kbs: [KB5099999]`, `kbs: {a: 1}`, 6, "cannot unmarshal"},
		{"bad id", "id: site-kb5099999", "id: Site KB", 1, "id"},
		{"bad kb", "kbs: [KB5099999]", "kbs: [5099999]", 6, "not a KB number"},
		{"bad code", `error_codes: ["0x80070643"]`, `error_codes: ["oops"]`, 7, "not an error code"},
		{"bad build", `builds: ["19044-19045.9999"]`, `builds: ["19046-19044"]`, 8, "not a build"},
		{"bad assessment", "assessment: needs-action", "assessment: panic", 14, "assessment"},
		{"bad status", "status: failed", "status: broken", 13, "status"},
		{"missing ja", "      ja: サービス デスクに連絡してください。\n", "", 15, "needs both en and ja"},
		{"unknown predicate", "latest_attempt_failed: true", "latest_attempt_exploded: true", 12, "unknown predicate"},
		{"bool predicate given a number", "latest_attempt_failed: true", "latest_attempt_failed: 3", 12, "true or false"},
		{"count predicate given a word", "latest_attempt_failed: true", "failed_attempts: many", 12, "whole number"},
		{"code predicate given junk", "latest_attempt_failed: true", "cbs_error_code: zz", 12, "error code"},
		{"two keys in one predicate", "latest_attempt_failed: true", "{latest_attempt_failed: true, boot_after_failure: true}", 12, "one key"},
		{"empty any", "latest_attempt_failed: true", "any: []", 12, "non-empty list"},
		{"when not a list", "    when:\n      - latest_attempt_failed: true", "    when: yes", 11, "list of predicates"},
		{"no cases", "cases:", "cases: []\nold_cases:", 0, ""},
		{"no sources", "sources:\n  - https://intranet.example/kb5099999\n", "", 0, "source"},
		{"bad source URL", "https://intranet.example/kb5099999", "https://", 19, "not a valid URL"},
		{"second document", "  - https://intranet.example/kb5099999\n", "  - https://intranet.example/kb5099999\n---\nid: other\n", 20, "one YAML document"},
		{"winre subject with KBs", "cases:", "subject: winre-servicing\ncases:", 6, "cannot name KBs"},
		{"yaml syntax", "title:", "title: [unclosed\n", 0, ""},
		{"not a mapping", validEntry, "- a\n- b\n", 1, "one YAML mapping"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(validEntry, c.old, c.new, 1)
			if src == validEntry {
				t.Fatalf("test edit %q did not apply", c.old)
			}
			e, err := catalog.Parse("site.yaml", []byte(src))
			if err == nil {
				t.Fatalf("accepted: %+v", e)
			}
			if e != nil {
				t.Fatal("a rejected file returned a half-loaded entry")
			}
			var le *catalog.LoadError
			if !errors.As(err, &le) || le.File != "site.yaml" {
				t.Fatalf("error %v is not a LoadError naming the file", err)
			}
			if c.line != 0 && le.Line != c.line {
				t.Errorf("line %d, want %d (%v)", le.Line, c.line, err)
			}
			if !strings.Contains(le.Reason, c.reason) {
				t.Errorf("reason %q lacks %q", le.Reason, c.reason)
			}
		})
	}
}

func TestParseRejectsDeepNesting(t *testing.T) {
	pred := "latest_attempt_failed: true"
	for i := 0; i < 10; i++ {
		pred = "not: {" + pred + "}"
	}
	src := strings.Replace(validEntry, "latest_attempt_failed: true", pred, 1)
	_, err := catalog.Parse("deep.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "nest deeper") {
		t.Fatalf("error %v", err)
	}
}

func TestParseRejectsBroadUnconditionalCase(t *testing.T) {
	src := strings.Replace(validEntry, "kbs: [KB5099999]\nerror_codes: [\"0x80070643\"]\n", "", 1)
	src = strings.Replace(src, "    when:\n      - latest_attempt_failed: true\n", "", 1)
	_, err := catalog.Parse("broad.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "judge every update") {
		t.Fatalf("error %v", err)
	}
}

func TestLoadDirKeepsGoodFilesAndReportsBadOnes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("good.yaml", validEntry)
	write("bad.yml", strings.Replace(validEntry, "id: site-kb5099999", "id: site-bad\nfoo: 1", 1))
	write("dup.yaml", strings.Replace(validEntry, "id: site-kb5099999", "id: kb5057589-winre-false-alarm", 1))
	write("notes.txt", "not an entry")
	c, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	n := len(c.Entries())
	errs := c.LoadDir(dir)
	if len(errs) != 2 {
		t.Fatalf("errors %v, want 2", errs)
	}
	msgs := errs[0].Error() + "\n" + errs[1].Error()
	if !strings.Contains(msgs, "bad.yml:2: field foo not found") || !strings.Contains(msgs, "already defined") {
		t.Fatalf("errors:\n%s", msgs)
	}
	if len(c.Entries()) != n+1 || c.Lookup("site-kb5099999") == nil || c.Lookup("site-bad") != nil {
		t.Fatal("good file not loaded or bad file half-loaded")
	}
	// An administrator's entry of the same specificity goes before built-ins.
	for _, e := range c.Entries() {
		if len(e.KBs) > 0 {
			if e.ID != "site-kb5099999" {
				t.Fatalf("first KB entry is %s", e.ID)
			}
			break
		}
	}
}

func TestForCode(t *testing.T) {
	c, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ids := func(es []*catalog.Entry) string {
		var s []string
		for _, e := range es {
			s = append(s, e.ID)
		}
		return strings.Join(s, ",")
	}
	all := ids(c.ForCode(0x80070643, ""))
	for _, want := range []string{"kb5057589-winre-false-alarm", "kb5034441-winre-partition-too-small", "code-0x80070643-install-failure"} {
		if !strings.Contains(all, want) {
			t.Errorf("0x80070643 entries %s lack %s", all, want)
		}
	}
	if got := ids(c.ForCode(0x80070643, "KB5057589")); got != "kb5057589-winre-false-alarm" {
		t.Errorf("--kb KB5057589: %s", got)
	}
	if got := ids(c.ForCode(0x12345678, "")); got != "" {
		t.Errorf("unknown code matched %s", got)
	}
}
