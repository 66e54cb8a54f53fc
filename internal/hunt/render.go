package hunt

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/wuguard/wuguard/internal/scripts"
	"github.com/wuguard/wuguard/pwsh"
	"github.com/wuguard/wuguard/sigma"
)

// Formats lists the output formats of [Render].
var Formats = []string{"table", "csv", "json", "jsonl"}

// Render writes the findings in format (see docs/hunt.md for the schemas).
func Render(w io.Writer, format string, rep *Report, rules *Rules) error {
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case "table":
		err = renderTable(bw, rep)
	case "csv":
		err = renderCSV(bw, rep)
	case "json":
		err = renderJSON(bw, rep, rules)
	case "jsonl":
		err = renderJSONL(bw, rep)
	default:
		return fmt.Errorf("unknown format %q", format)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// jsonEvent is an event of a correlation in JSON output.
type jsonEvent struct {
	Time     string `json:"time"`
	Computer string `json:"computer"`
	Channel  string `json:"channel"`
	EventID  uint16 `json:"event_id"`
	RecordID uint64 `json:"record_id"`
	File     string `json:"file"`
	RuleID   string `json:"rule_id"`
}

// jsonFinding is one match in json and jsonl output.
type jsonFinding struct {
	Time        string            `json:"time"`
	Computer    string            `json:"computer"`
	Channel     string            `json:"channel"`
	EventID     uint16            `json:"event_id"`
	RecordID    uint64            `json:"record_id"`
	File        string            `json:"file"`
	RuleID      string            `json:"rule_id"`
	RuleTitle   string            `json:"rule_title"`
	Level       string            `json:"level"`
	Tags        []string          `json:"tags"`
	Fields      map[string]string `json:"fields"`
	Correlation string            `json:"correlation,omitempty"`
	Value       *float64          `json:"value,omitempty"`
	EventCount  int               `json:"event_count,omitempty"`
	Events      []jsonEvent       `json:"events,omitempty"`
	Script      *jsonScript       `json:"script_analysis,omitempty"`
}

// jsonScript is the analysis of the PowerShell a matched event holds.
type jsonScript struct {
	Kind          string         `json:"kind"`
	ScriptBlockID string         `json:"script_block_id,omitempty"`
	Parts         int            `json:"parts,omitempty"`
	PartsExpected int            `json:"parts_expected,omitempty"`
	RecordIDs     []uint64       `json:"record_ids"`
	Verdict       pwsh.Verdict   `json:"verdict"`
	Score         int            `json:"score"`
	Summary       pwsh.Summary   `json:"summary"`
	Findings      []pwsh.Finding `json:"findings"`
	Layers        int            `json:"layers"`
	FinalLayer    string         `json:"final_layer"`
	IOCs          []pwsh.IOC     `json:"iocs"`
	Notes         []string       `json:"notes"`
}

// maxFinalLayer bounds the decoded text a match line carries; 'wuguard
// script' shows all of it.
const maxFinalLayer = 4096

func toJSONScript(sa *ScriptAnalysis) *jsonScript {
	r := sa.Result
	j := &jsonScript{Kind: string(sa.Kind), ScriptBlockID: sa.BlockID, RecordIDs: sa.RecordIDs, Verdict: r.Verdict, Score: r.Score,
		Summary: r.Summary, Findings: r.Findings, Layers: len(r.Layers), IOCs: r.IOCs, Notes: r.Notes}
	if sa.Kind == scripts.KindScriptBlock {
		j.Parts, j.PartsExpected = sa.Parts, sa.Total
	}
	if len(r.Layers) > 0 {
		j.FinalLayer = truncateUTF8(r.Layers[len(r.Layers)-1].Text, maxFinalLayer)
	}
	if j.Findings == nil {
		j.Findings = []pwsh.Finding{}
	}
	if j.IOCs == nil {
		j.IOCs = []pwsh.IOC{}
	}
	if j.Notes == nil {
		j.Notes = []string{}
	}
	return j
}

// truncateUTF8 cuts s to at most n bytes on a character boundary, marking
// the cut with an ellipsis.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func toJSON(f *Finding) jsonFinding {
	j := jsonFinding{Time: formatTime(f.Time), Computer: f.Computer, Channel: f.Channel, EventID: f.EventID, RecordID: f.RecordID,
		File: f.File, RuleID: f.Rule.ID, RuleTitle: f.Rule.Title, Level: f.Level.String(), Tags: f.Rule.Tags,
		Fields: map[string]string{}}
	if j.Tags == nil {
		j.Tags = []string{}
	}
	for _, x := range f.Fields {
		j.Fields[x.Name] = x.Value
	}
	if f.Rule.Correlation != "" {
		j.Correlation = string(f.Rule.Correlation)
		v := f.Value
		j.Value = &v
		j.EventCount = f.EventCount
		j.Events = []jsonEvent{}
		for _, e := range f.Events {
			j.Events = append(j.Events, jsonEvent{Time: formatTime(e.Time), Computer: e.Computer, Channel: e.Channel, EventID: e.EventID,
				RecordID: e.RecordID, File: e.File, RuleID: e.RuleID})
		}
	}
	if f.Script != nil {
		j.Script = toJSONScript(f.Script)
	}
	return j
}

func renderJSONL(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range rep.Findings {
		if err := enc.Encode(toJSON(&rep.Findings[i])); err != nil {
			return err
		}
	}
	return nil
}

// Summary counts findings by level and by rule.
type Summary struct {
	Matches int            `json:"matches"`
	Events  int64          `json:"events"`
	Files   int            `json:"files"`
	ByLevel map[string]int `json:"by_level"`
	ByRule  []RuleCount    `json:"by_rule"`
}

// RuleCount is the number of findings of one rule.
type RuleCount struct {
	RuleID    string `json:"rule_id"`
	RuleTitle string `json:"rule_title"`
	Level     string `json:"level"`
	Matches   int    `json:"matches"`
	level     Level
}

// Summarize counts the findings of rep, rules by level (highest first),
// then by count.
func Summarize(rep *Report) Summary {
	s := Summary{Matches: len(rep.Findings), Events: rep.Events, Files: rep.Files, ByLevel: map[string]int{}}
	// Rules are told apart by what identifies them, not by pointer: the
	// PowerShell analysis makes a copy of its pseudo-rule per finding.
	type ruleKey struct {
		id, title, file string
		line            int
		level           Level
	}
	idx := map[ruleKey]int{}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		s.ByLevel[f.Level.String()]++
		rk := ruleKey{f.Rule.ID, f.Rule.Title, f.Rule.File, f.Rule.Line, f.Level}
		k, ok := idx[rk]
		if !ok {
			k = len(s.ByRule)
			idx[rk] = k
			s.ByRule = append(s.ByRule, RuleCount{RuleID: f.Rule.ID, RuleTitle: f.Rule.Title, Level: f.Level.String(), level: f.Level})
		}
		s.ByRule[k].Matches++
	}
	sort.SliceStable(s.ByRule, func(i, j int) bool {
		a, b := s.ByRule[i], s.ByRule[j]
		if a.level != b.level {
			return a.level > b.level
		}
		if a.Matches != b.Matches {
			return a.Matches > b.Matches
		}
		return a.RuleTitle < b.RuleTitle
	})
	return s
}

// WriteSummary prints the summary as text (wuguard prints it on stderr).
func WriteSummary(w io.Writer, s Summary) {
	fmt.Fprintf(w, "%d matches in %d events from %d files", s.Matches, s.Events, s.Files)
	var parts []string
	for l := LevelCritical; l >= LevelInformational; l-- {
		if n := s.ByLevel[l.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", l, n))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range s.ByRule {
		fmt.Fprintf(tw, "  %d\t%s\t%s\n", r.Matches, r.Level, r.RuleTitle)
	}
	tw.Flush()
}

func renderJSON(w io.Writer, rep *Report, rules *Rules) error {
	out := struct {
		Matches       []jsonFinding `json:"matches"`
		Summary       Summary       `json:"summary"`
		RulesLoaded   int           `json:"rules_loaded"`
		RulesRejected int           `json:"rules_rejected"`
	}{Matches: []jsonFinding{}, Summary: Summarize(rep)}
	if out.Summary.ByRule == nil {
		out.Summary.ByRule = []RuleCount{}
	}
	if rules != nil {
		out.RulesLoaded, out.RulesRejected = rules.Loaded(), len(rules.Rejected)
	}
	for i := range rep.Findings {
		out.Matches = append(out.Matches, toJSON(&rep.Findings[i]))
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// fieldsText joins matched fields as name=value pairs.
func fieldsText(fs []sigma.MatchedField, sep string) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Name + "=" + f.Value
	}
	return strings.Join(parts, sep)
}

func renderCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	header := []string{"time", "computer", "channel", "event_id", "record_id", "file", "rule_id", "rule_title", "level", "tags", "fields", "correlation", "event_count", "script_verdict", "script_score"}
	if err := cw.Write(header); err != nil {
		return err
	}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		fields, _ := json.Marshal(toJSON(f).Fields)
		count := ""
		if f.Rule.Correlation != "" {
			count = strconv.Itoa(f.EventCount)
		}
		verdict, score := "", ""
		if f.Script != nil {
			verdict, score = string(f.Script.Result.Verdict), strconv.Itoa(f.Script.Result.Score)
		}
		rec := []string{formatTime(f.Time), f.Computer, f.Channel, strconv.Itoa(int(f.EventID)), strconv.FormatUint(f.RecordID, 10), f.File,
			f.Rule.ID, f.Rule.Title, f.Level.String(), strings.Join(f.Rule.Tags, " "), string(fields), string(f.Rule.Correlation), count,
			verdict, score}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

const maxTableField = 160

func renderTable(w io.Writer, rep *Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tCOMPUTER\tCHANNEL\tEVENT\tLEVEL\tRULE\tFIELDS")
	for i := range rep.Findings {
		f := &rep.Findings[i]
		fields := oneLine(fieldsText(f.Fields, " "))
		if f.Rule.Correlation != "" {
			fields = fmt.Sprintf("%s: %d events %s", f.Rule.Correlation, f.EventCount, fields)
		}
		if f.Script != nil && f.Rule.ID != PwshRule.ID {
			fields = fmt.Sprintf("[PowerShell: %s %d] %s", f.Script.Result.Verdict, f.Script.Result.Score, fields)
		}
		if len(fields) > maxTableField {
			n := maxTableField
			for n > 0 && !utf8.RuneStart(fields[n]) {
				n--
			}
			fields = fields[:n] + "…"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", formatTime(f.Time), f.Computer, f.Channel, f.EventID, f.Level, oneLine(f.Rule.Title), fields)
	}
	return tw.Flush()
}

// oneLine keeps a table row on one line whatever the event holds.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
}
