package report

import (
	_ "embed"
	"html/template"
	"io"
	"strings"
	"sync"

	"github.com/wuguard/wuguard/internal/triage"
	"github.com/wuguard/wuguard/internal/update"
)

//go:embed report.html.tmpl
var htmlSource string

// htmlTemplate is parsed on first use, not at start-up: every command
// would otherwise pay for it. A broken template panics in the tests that
// render a page.
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"stamp":      stamp,
		"shortStamp": shortStamp,
		"inc":        func(i int) int { return i + 1 },
		"clean":      clean,
		"scamBait":   ScamBait,
		"isURL": func(s string) bool {
			return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
		},
	}).Parse(htmlSource))
})

type htmlRenderer struct{ opts Options }

type htmlPage struct {
	*triage.Result
	L       *labels
	Lang    string
	Problem string
}

// Render writes one self-contained HTML file: styles inline, no scripts, no
// external resources, and a Content-Security-Policy that forbids loading any.
// Every string from the logs goes through html/template's escaping.
func (h *htmlRenderer) Render(w io.Writer, r *triage.Result) error {
	l := labelsFor(h.opts.Lang)
	page := htmlPage{Result: r, L: l, Lang: h.opts.Lang, Problem: l.headline(r.Summary, len(r.Hosts))}
	return htmlTemplate().Execute(w, page)
}

// The template calls these through the page's labels.

// Assessment returns the label of an assessment.
func (l *labels) Assessment(a string) string { return l.assessment[a] }

// Status returns the label of a status.
func (l *labels) Status(s string) string { return l.status[s] }

// Word returns a fixed word of the report.
func (l *labels) Word(k string) string { return l.words[k] }

// Name returns how the report names an update next to its title.
func (l *labels) Name(u triage.Update) string { return l.updateName(&u) }

// HostLine returns a host's one-line summary.
func (l *labels) HostLine(s triage.Summary) string { return l.hostLine(s) }

// Where says where a record is.
func (l *labels) Where(e update.Evidence) string { return l.where(e) }
