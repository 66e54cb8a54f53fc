package pwsh

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Verdict is the overall judgement of a script.
type Verdict string

// Verdicts, from worst to best. NoKnownBad means no rule matched strongly
// enough: it is not a promise that the script is safe.
const (
	Malicious  Verdict = "malicious"
	Suspicious Verdict = "suspicious"
	NoKnownBad Verdict = "no-known-bad"
)

// Severity ranks a finding.
type Severity string

// Severities, from least to most serious.
const (
	Info     Severity = "info"
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Text is a sentence in English and Japanese.
type Text struct {
	EN string `json:"en"`
	JA string `json:"ja"`
}

// Finding is one thing a rule recognised in one layer.
type Finding struct {
	ID       string   `json:"id"`     // stable rule id, such as "download-execute"
	Attack   string   `json:"attack"` // MITRE ATT&CK technique, such as "T1105"
	Severity Severity `json:"severity"`
	Title    string   `json:"title"` // a few words, English
	Layer    int      `json:"layer"` // index into Result.Layers
	Start    int      `json:"start"` // byte offsets in that layer's text
	End      int      `json:"end"`
	Snippet  string   `json:"snippet"` // the text at Start:End, shortened if long
	Explain  Text     `json:"explanation"`
}

// IOC is an indicator found in the script: a URL, domain, IP address or
// file path. Values are raw; see [Defang] for display.
type IOC struct {
	Type  string `json:"type"` // "url", "domain", "ip", "path"
	Value string `json:"value"`
	Layer int    `json:"layer"` // first layer it appears in
}

// Obfuscation is the token-level obfuscation measure of the input layer
// and the most obfuscated layer.
type Obfuscation struct {
	Score        int `json:"score"` // 0..100, the highest over PowerShell layers
	Layers       int `json:"decoded_layers"`
	Ticks        int `json:"ticks"`
	RandomCase   int `json:"random_case"`
	Concats      int `json:"concatenations"`
	FormatOps    int `json:"format_operators"`
	CharCasts    int `json:"char_casts"`
	StringOps    int `json:"string_operators"`
	EncodedBlobs int `json:"encoded_blobs"`
}

// Result is what [Analyze] found.
type Result struct {
	Verdict     Verdict     `json:"verdict"`
	Score       int         `json:"score"` // 0..100
	Summary     Summary     `json:"summary"`
	Findings    []Finding   `json:"findings"`
	Layers      []Layer     `json:"layers"`
	IOCs        []IOC       `json:"iocs"`
	Obfuscation Obfuscation `json:"obfuscation"`
	// Notes say where a limit cut the analysis short, or that an internal
	// error was recovered; the findings so far still stand.
	Notes []string `json:"notes"`
}

// Summary says in plain words what the script does, for a reader who does
// not know PowerShell: one sentence per line, English and Japanese.
type Summary struct {
	EN []string `json:"en"`
	JA []string `json:"ja"`
}

// Analyze peels the layers of a PowerShell script or Windows command line,
// runs the rules over every layer and returns a verdict with its reasons.
// It evaluates only string expressions and never runs, downloads or
// writes anything. It stops at the limits in opts (nil for defaults) or
// when ctx is done, and reports that in Result.Notes.
func Analyze(ctx context.Context, src string, opts *Options) (res *Result) {
	o := opts.withDefaults()
	if ctx == nil {
		ctx = context.Background()
	}
	deadline := time.Now().Add(o.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	defer func() {
		if r := recover(); r != nil {
			res = &Result{
				Verdict:  Suspicious,
				Score:    30,
				Findings: []Finding{},
				Layers:   []Layer{{Index: 0, Parent: -1, Language: detectLanguage(src), Via: "input", Text: src, Techniques: []string{}}},
				IOCs:     []IOC{},
				Summary: Summary{
					EN: []string{"The analysis failed on this input; treat it as suspicious and look at it by hand."},
					JA: []string{"この入力の解析に失敗しました。疑わしいものとして扱い、手作業で確認してください。"},
				},
				Notes: []string{fmt.Sprintf("internal error: %v", r)},
			}
		}
	}()
	d := deobfuscate(ctx, src, o, deadline)
	a := &analysis{d: d}
	a.runRules()
	res = &Result{Findings: a.findings, Notes: nonNil(d.notes)}
	for _, l := range d.layers {
		res.Layers = append(res.Layers, l.Layer)
	}
	res.IOCs = a.iocs()
	res.Obfuscation = a.obfuscationSummary()
	res.Score, res.Verdict = a.verdict()
	res.Summary = a.summary(res)
	if res.Findings == nil {
		res.Findings = []Finding{}
	}
	return res
}

func (a *analysis) obfuscationSummary() Obfuscation {
	var o Obfuscation
	for _, l := range a.d.layers {
		if l.Index > 0 && !l.readable && len(l.Techniques) > 0 {
			o.Layers++
		}
		if l.readable {
			continue
		}
		if l.obf.score > o.Score {
			o.Score = l.obf.score
		}
		o.Ticks += l.obf.ticks
		o.RandomCase += l.obf.randomCase
		o.Concats += l.obf.concats
		o.FormatOps += l.obf.formats
		o.CharCasts += l.obf.charCasts
		o.StringOps += l.obf.stringOps
		o.EncodedBlobs += l.obf.longBlobs
	}
	return o
}

// severityWeight is how much one finding of a severity adds to the score.
var severityWeight = map[Severity]int{Info: 0, Low: 6, Medium: 15, High: 35, Critical: 60}

func severityRank(s Severity) int {
	switch s {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// verdict scores the findings: every rule counts once, at its highest
// severity; 60 or more is malicious, 25 or more suspicious.
func (a *analysis) verdict() (int, Verdict) {
	best := map[string]Severity{}
	for _, f := range a.findings {
		if severityRank(f.Severity) > severityRank(best[f.ID]) {
			best[f.ID] = f.Severity
		}
	}
	score := 0
	for _, s := range best {
		score += severityWeight[s]
	}
	if score > 100 {
		score = 100
	}
	switch {
	case score >= 60:
		return score, Malicious
	case score >= 25:
		return score, Suspicious
	}
	return score, NoKnownBad
}

// Defang makes a URL, domain or IP address safe to show: hxxp://evil[.]com.
func Defang(s string) string {
	low := strings.ToLower(s)
	for _, scheme := range []string{"https", "http", "ftp"} {
		if strings.HasPrefix(low, scheme+"://") {
			rest := s[len(scheme)+3:]
			return strings.Replace(scheme, "t", "x", 2) + "://" + defangHost(rest)
		}
	}
	if i := strings.Index(s, "://"); i > 0 {
		return s[:i] + "[:]//" + defangHost(s[i+3:])
	}
	return defangHost(s)
}

func defangHost(s string) string {
	end := strings.IndexAny(s, "/?#")
	if end < 0 {
		end = len(s)
	}
	return strings.ReplaceAll(s[:end], ".", "[.]") + s[end:]
}

// sortFindings orders findings by severity, then layer and position.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if a, b := severityRank(fs[i].Severity), severityRank(fs[j].Severity); a != b {
			return a > b
		}
		if fs[i].Layer != fs[j].Layer {
			return fs[i].Layer < fs[j].Layer
		}
		return fs[i].Start < fs[j].Start
	})
}
