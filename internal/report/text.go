package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/wuguard/wuguard/internal/triage"
)

type textRenderer struct{ opts Options }

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[1;33m"
	ansiCyan   = "\x1b[1;36m"
	ansiGreen  = "\x1b[32m"
)

const wrapWidth = 96

// Render writes the short answer first (a headline and one line per host),
// then each host's updates: those needing a person in full, the rest one
// line each.
func (t *textRenderer) Render(w io.Writer, r *triage.Result) error {
	l := labelsFor(t.opts.Lang)
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, cleanArgs(args)...) }

	p("%s\n", t.paint(ansiBold, l.headline(r.Summary, len(r.Hosts))))
	dangerous := 0
	for _, h := range r.Hosts {
		dangerous += len(h.ScriptFindings)
	}
	if dangerous > 0 {
		p("%s\n", t.paint(ansiRed, fmt.Sprintf(l.words["scriptsHeadline"], dangerous)))
	}
	p("\n")
	width := 0
	for _, h := range r.Hosts {
		width = max(width, len(h.Computer))
	}
	for _, h := range r.Hosts {
		p("  %-*s  %s\n", width, h.Computer, l.hostLine(h.Summary))
	}
	if len(r.Hosts) == 0 {
		p("  %s\n", l.words["noUpdates"])
	}
	for i := range r.Hosts {
		t.host(p, l, &r.Hosts[i])
	}
	in := r.Inputs
	p("\n%s\n", fmt.Sprintf(l.words["inputs"], in.Files, in.Events, in.TextLines, in.DamagedParts))
	return bw.Flush()
}

func (t *textRenderer) host(p func(string, ...any), l *labels, h *triage.Host) {
	w := l.words
	build := w["unknownBuild"]
	if h.Build != "" {
		build = w["build"] + " " + h.Build
	}
	p("\n%s\n", t.paint(ansiBold, fmt.Sprintf("== %s (%s; %s %s %s %s; %s)", h.Computer, build,
		w["logs"], shortStamp(h.FirstEvent), w["to"], shortStamp(h.LastEvent), l.Boots(len(h.Boots)))))
	if tl := h.TextLogs; tl != nil {
		p("  %s\n", l.textClock(tl))
	}
	for _, pr := range h.PendingRestarts {
		if pr.Until == nil {
			name := pr.Key
			if name == "" {
				name = pr.Title
			}
			p("  %s: %s, %s %s\n", w["waiting"], name, w["since"], shortStamp(pr.Since))
		}
	}
	t.scripts(p, l, h.ScriptFindings)
	if len(h.Updates) == 0 {
		p("  %s\n", w["noUpdates"])
		return
	}
	var quiet, noResult []*triage.Update
	for i := range h.Updates {
		u := &h.Updates[i]
		switch {
		case u.Assessment == "ok":
			quiet = append(quiet, u)
		case u.NoResult():
			noResult = append(noResult, u)
		default:
			t.update(p, l, u)
		}
	}
	for _, group := range []struct {
		title   string
		updates []*triage.Update
	}{{w["noResult"], noResult}, {w["okUpdates"], quiet}} {
		if len(group.updates) == 0 {
			continue
		}
		p("\n  %s:\n", group.title)
		for _, u := range group.updates {
			p("    %s  %-10s %-20s %s\n", t.badge(l, u.Assessment), l.updateName(u), l.status[u.Status], u.Title)
		}
	}
}

// maxScriptSentences keeps each script to a few lines; the summary's first
// sentence (the verdict) is shown as a badge instead.
const maxScriptSentences = 3

func (t *textRenderer) scripts(p func(string, ...any), l *labels, sfs []triage.ScriptFinding) {
	if len(sfs) == 0 {
		return
	}
	p("\n  %s\n", t.paint(ansiRed, l.words["scripts"]))
	for _, sf := range sfs {
		color := ansiYellow
		if sf.Verdict == "malicious" {
			color = ansiRed
		}
		p("    %s  %s  %s %d, %s\n", t.paint(color, strings.ToUpper(sf.Verdict)), shortStamp(sf.Time), sf.Channel, sf.EventID, sf.File)
		for _, line := range sf.Summary[min(1, len(sf.Summary)):min(1+maxScriptSentences, len(sf.Summary))] {
			p("      %s\n", line)
		}
	}
}

func (t *textRenderer) update(p func(string, ...any), l *labels, u *triage.Update) {
	w := l.words
	p("\n  %s  %s  %s\n", t.badge(l, u.Assessment), l.updateName(u), l.status[u.Status])
	p("    %s\n", u.Title)
	if len(u.ReportedErrors) > 0 {
		var errs []string
		for _, e := range u.ReportedErrors {
			s := e.Code
			if e.Name != "" {
				s += " " + e.Name
			}
			errs = append(errs, fmt.Sprintf("%s ×%d", s, e.Count))
		}
		p("    %s: %s\n", w["errors"], strings.Join(errs, ", "))
		if ScamBait(*u) {
			p("      %s\n", w["scamBait"])
		}
	}
	if u.KnownIssue != nil {
		p("    %s: %s [%s]\n", w["knownIssue"], u.KnownIssue.Title, u.KnownIssue.ID)
	}
	p("    %s:\n", w["whatToDo"])
	for _, line := range wrap(u.Guidance, wrapWidth-6) {
		p("      %s\n", line)
	}
	if len(u.Evidence) > 0 {
		p("    %s:\n", w["evidence"])
		for _, c := range u.Evidence {
			p("      - %s\n", c.Text)
			for _, e := range c.Evidence {
				p("          %s, %s\n", l.where(e), stamp(e.Time))
			}
		}
	}
}

func (t *textRenderer) badge(l *labels, assessment string) painted {
	label := l.assessment[assessment]
	color := ansiGreen
	switch assessment {
	case "needs-action":
		color = ansiRed
	case "investigate":
		color = ansiYellow
	case "false-alarm":
		color = ansiCyan
	}
	pad := 12 - displayWidth(label)
	return t.paint(color, label) + painted(strings.Repeat(" ", max(pad, 0)))
}

// painted is text with the renderer's own colour codes, which cleanArgs
// leaves alone.
type painted string

func (t *textRenderer) paint(color, s string) painted {
	s = clean(s)
	if !t.opts.Color {
		return painted(s)
	}
	return painted(color + s + ansiReset)
}

// cleanArgs cleans every string argument that comes from the logs.
func cleanArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			a = clean(s)
		}
		out[i] = a
	}
	return out
}

// clean replaces control characters with U+FFFD, keeping tabs: log text is
// attacker-controlled, and an escape sequence in a title could rewrite the
// terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\t' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) {
			return 0xfffd
		}
		return r
	}, s)
}

// displayWidth counts East Asian wide characters as two columns, so that
// Japanese labels line up in a terminal.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// wrap breaks text at spaces into lines of at most width columns. Text
// without spaces (Japanese) is left to the terminal.
func wrap(s string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, word := range strings.Fields(s) {
		if cur.Len() > 0 && displayWidth(cur.String())+1+displayWidth(word) > width {
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

type jsonRenderer struct{}

// Render writes the result as indented JSON, the schema of
// docs/triage-json.md.
func (jsonRenderer) Render(w io.Writer, r *triage.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
