// Package explain answers "what does this error code mean, and is it one of
// the known issues?" for "wuguard explain": it decodes an HRESULT or Win32
// code and lists the catalog entries about it.
package explain

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/errcode"
)

// SchemaVersion is the version of the JSON output (docs/explain-json.md).
const SchemaVersion = 1

// Result is the explanation of one code.
type Result struct {
	SchemaVersion int    `json:"schema_version"`
	Input         string `json:"input"`
	Code          string `json:"code"`
	Unsigned      uint32 `json:"unsigned"`
	Signed        int32  `json:"signed"`
	// Severity is "failure" or "success".
	Severity     string `json:"severity"`
	Facility     int    `json:"facility"`
	FacilityName string `json:"facility_name"`
	// Component is the Windows Update or servicing-stack part whose code
	// range holds the code ("update handler", "CBS"), "" when none.
	Component string `json:"component"`
	// Win32 is the Win32 error inside a FACILITY_WIN32 HRESULT, or the code
	// itself when a Win32 code was given; null otherwise.
	Win32     *uint32 `json:"win32"`
	Win32Name string  `json:"win32_name"`
	// HResult is the HRESULT form of a Win32 code (0x80070643 for 1603).
	HResult  string `json:"hresult,omitempty"`
	Name     string `json:"name"`
	Meaning  string `json:"meaning"`
	Known    bool   `json:"known"`
	ScamBait bool   `json:"scam_bait"`
	// ScamWarning is set for codes that fake support sites use.
	ScamWarning string  `json:"scam_warning,omitempty"`
	KB          string  `json:"kb,omitempty"`
	KnownIssues []Issue `json:"known_issues"`
}

// Issue is one catalog entry about the code.
type Issue struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Summary    string   `json:"summary"`
	KBs        []string `json:"kbs"`
	Products   []string `json:"products"`
	ErrorCodes []string `json:"error_codes"`
	Cases      []Case   `json:"cases"`
	Sources    []string `json:"sources"`
	Builtin    bool     `json:"builtin"`
}

// Case is one verdict an entry can give and the evidence it needs.
type Case struct {
	Name       string   `json:"name"`
	When       []string `json:"when"`
	Status     string   `json:"status,omitempty"`
	Assessment string   `json:"assessment"`
	Guidance   string   `json:"guidance"`
}

// Explain decodes input (any spelling errcode.Parse reads) and collects the
// catalog entries about it, limited to kb when kb is not empty. lang picks
// the language of summaries and guidance.
func Explain(input, kb string, cat *catalog.Catalog, lang string) (*Result, error) {
	code, ok := errcode.Parse(input)
	if !ok {
		return nil, fmt.Errorf("%q is not an error code (write it like 0x80070643, -2147023293 or 1603)", input)
	}
	kb = strings.ToUpper(strings.TrimSpace(kb))
	if kb != "" && !strings.HasPrefix(kb, "KB") {
		kb = "KB" + kb
	}
	r := &Result{SchemaVersion: SchemaVersion, Input: input, Code: errcode.Hex(code), Unsigned: code, Signed: int32(code), KB: kb, KnownIssues: []Issue{}}
	info := errcode.Lookup(code)
	r.Severity, r.Facility, r.FacilityName, r.Component = info.Severity, int(info.Facility), info.FacilityName, info.Component
	r.Name, r.Meaning, r.Known, r.ScamBait = info.Name, info.Meaning, info.Known, info.ScamBait
	if info.Facility == errcode.FacilityWin32 {
		w := uint32(info.Win32)
		r.Win32, r.Win32Name = &w, info.Win32Name
	}
	// Catalog entries are keyed on HRESULTs: a Win32 code is looked up in its
	// FACILITY_WIN32 form too (1603 is 0x80070643).
	codes := []uint32{code}
	if info.BareWin32 && info.HRESULT != code {
		r.HResult = errcode.Hex(info.HRESULT)
		codes = append(codes, info.HRESULT)
	}
	if r.ScamBait {
		r.ScamWarning = scamWarning(lang)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		for _, e := range cat.ForCode(c, kb) {
			if !seen[e.ID] {
				seen[e.ID] = true
				r.KnownIssues = append(r.KnownIssues, issue(e, lang))
			}
		}
	}
	return r, nil
}

func issue(e *catalog.Entry, lang string) Issue {
	is := Issue{ID: e.ID, Title: e.Title, Summary: e.Summary.In(lang), KBs: nonNil(e.KBs), Products: nonNil(e.Products),
		ErrorCodes: []string{}, Sources: nonNil(e.Sources), Builtin: e.Builtin}
	for _, c := range e.ErrorCodes {
		is.ErrorCodes = append(is.ErrorCodes, errcode.Hex(c))
	}
	for _, c := range e.Cases {
		ec := Case{Name: c.Name, When: []string{}, Status: string(c.Status), Assessment: string(c.Assessment), Guidance: c.Guidance.In(lang)}
		for _, p := range c.When {
			ec.When = append(ec.When, p.String())
		}
		is.Cases = append(is.Cases, ec)
	}
	return is
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func scamWarning(lang string) string {
	if lang == "ja" {
		return "このコードは、偽のサポート サイトが「修正」スクリプトを実行させるのに使われます。本物の修正手順が、Web ページのコマンドを「ファイル名を指定して実行」、PowerShell、ターミナルに貼り付けるよう求めることはありません。"
	}
	return "Fake support sites use this code to make people run \"fix\" scripts. A real fix never asks you to paste a command from a web page into Run, PowerShell or Terminal."
}

// WriteJSON writes r as indented JSON.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes r for a terminal.
func WriteText(w io.Writer, r *Result, lang string) error {
	ja := lang == "ja"
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	name := r.Name
	if name == "" {
		name = pick(ja, "(no symbolic name known)", "(名前不明)")
	}
	p("%s  %s\n", r.Code, name)
	if r.Meaning != "" {
		p("  %s\n", r.Meaning)
	}
	var facts []string
	facts = append(facts, pick(ja, "severity: ", "重大度: ")+r.Severity)
	f := fmt.Sprintf("%d", r.Facility)
	if r.FacilityName != "" {
		f += " (" + r.FacilityName + ")"
	}
	facts = append(facts, pick(ja, "facility: ", "ファシリティ: ")+f)
	if r.Component != "" {
		facts = append(facts, pick(ja, "component: ", "コンポーネント: ")+r.Component)
	}
	if r.Win32 != nil {
		w := fmt.Sprintf("Win32: %d (0x%X)", *r.Win32, *r.Win32)
		if r.Win32Name != "" && r.Win32Name != r.Name {
			w += " " + r.Win32Name
		}
		facts = append(facts, w)
	}
	if r.HResult != "" {
		facts = append(facts, "HRESULT: "+r.HResult)
	}
	facts = append(facts, fmt.Sprintf("%s: %d / %d", pick(ja, "decimal", "10 進数"), r.Signed, r.Unsigned))
	p("  %s\n", strings.Join(facts, " · "))
	if r.ScamWarning != "" {
		p("\n%s %s\n", pick(ja, "Warning:", "注意:"), r.ScamWarning)
	}
	p("\n")
	switch {
	case len(r.KnownIssues) == 0 && r.KB != "":
		p("%s\n", fmt.Sprintf(pick(ja, "No known issue about this code and %s in the catalog.", "カタログにはこのコードと %s についての既知の問題はありません。"), r.KB))
	case len(r.KnownIssues) == 0:
		p("%s\n", pick(ja, "No known issue about this code in the catalog.", "カタログにはこのコードについての既知の問題はありません。"))
	default:
		p("%s (%d):\n", pick(ja, "Known issues", "既知の問題"), len(r.KnownIssues))
	}
	for _, is := range r.KnownIssues {
		p("\n  %s  [%s]\n", is.Title, is.ID)
		if len(is.KBs) > 0 {
			p("    KB: %s\n", strings.Join(is.KBs, ", "))
		}
		if len(is.Products) > 0 {
			p("    %s: %s\n", pick(ja, "Products", "対象"), strings.Join(is.Products, ", "))
		}
		for _, line := range wrap(is.Summary, 92) {
			p("    %s\n", line)
		}
		for _, c := range is.Cases {
			when := pick(ja, "otherwise", "それ以外")
			if len(c.When) > 0 {
				when = strings.Join(c.When, "; ")
			}
			verdict := c.Assessment
			if c.Status != "" {
				verdict = c.Status + " / " + c.Assessment
			}
			p("    - %s: %s → %s\n", c.Name, when, verdict)
			for _, line := range wrap(c.Guidance, 88) {
				p("        %s\n", line)
			}
		}
		if len(is.Sources) > 0 {
			p("    %s:\n", pick(ja, "Sources", "情報源"))
			for _, s := range is.Sources {
				p("      %s\n", s)
			}
		}
	}
	_, err := io.WriteString(w, clean(b.String()))
	return err
}

// wrap breaks text at spaces into lines of at most width bytes; text without
// spaces (Japanese) stays one line for the terminal to wrap.
func wrap(s string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, word := range strings.Fields(s) {
		if cur.Len() > 0 && cur.Len()+1+len(word) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(word)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

func pick(ja bool, en, jaText string) string {
	if ja {
		return jaText
	}
	return en
}

// clean drops control characters other than newlines: admin catalog texts
// end up on a terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) {
			return 0xfffd
		}
		return r
	}, s)
}
