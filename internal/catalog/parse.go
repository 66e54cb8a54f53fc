package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wuguard/wuguard/internal/errcode"
	"github.com/wuguard/wuguard/internal/update"
)

// Limits that keep a hostile or mistaken entry file from costing much.
const (
	maxFileSize       = 1 << 20
	maxCases          = 32
	maxPredicates     = 64
	maxPredicateDepth = 8
	maxListItems      = 256
	maxTextLen        = 8 << 10
)

// LoadError says why an entry file was rejected.
type LoadError struct {
	File   string
	Line   int // 0 when the problem is not tied to a line
	Reason string
}

// Error formats the error as "catalog: FILE:LINE: REASON".
func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("catalog: %s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("catalog: %s: %s", e.File, e.Reason)
}

type rawText struct {
	EN string `yaml:"en"`
	JA string `yaml:"ja"`
}

type rawCase struct {
	Name       string    `yaml:"name"`
	When       yaml.Node `yaml:"when"`
	Status     string    `yaml:"status"`
	Assessment string    `yaml:"assessment"`
	Guidance   rawText   `yaml:"guidance"`
}

type rawEntry struct {
	ID         string    `yaml:"id"`
	Title      string    `yaml:"title"`
	Summary    rawText   `yaml:"summary"`
	KBs        []string  `yaml:"kbs"`
	Products   []string  `yaml:"products"`
	Builds     []string  `yaml:"builds"`
	ErrorCodes []string  `yaml:"error_codes"`
	Subject    string    `yaml:"subject"`
	Cases      []rawCase `yaml:"cases"`
	Sources    []string  `yaml:"sources"`
}

var (
	idPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,79}$`)
	kbIDPattern  = regexp.MustCompile(`^(?i)KB\d{6,8}$`)
	yamlLineText = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// Parse reads one entry. file names it in errors. Any problem rejects the
// whole entry with a *LoadError.
func Parse(file string, data []byte) (*Entry, error) {
	if len(data) > maxFileSize {
		return nil, &LoadError{File: file, Reason: fmt.Sprintf("file is %d bytes, more than the %d an entry may have", len(data), maxFileSize)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, &LoadError{File: file, Line: max(root.Line, 1), Reason: "an entry file must hold one YAML mapping"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var raw rawEntry
	if err := dec.Decode(&raw); err != nil {
		return nil, yamlError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &LoadError{File: file, Line: extra.Line, Reason: "an entry file must hold one YAML document; split entries into files"}
	}
	p := parser{file: file, root: root.Content[0]}
	e := p.entry(&raw)
	if p.err != nil {
		return nil, p.err
	}
	return e, nil
}

// yamlError turns a yaml.v3 error into a LoadError with its line.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLineText.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &LoadError{File: file, Line: line, Reason: m[2]}
	}
	return &LoadError{File: file, Reason: strings.TrimPrefix(msg, "yaml: ")}
}

// parser validates a decoded entry, keeping the first error with the line of
// the offending key.
type parser struct {
	file       string
	root       *yaml.Node
	err        error
	predicates int
}

func (p *parser) failf(line int, format string, args ...any) {
	if p.err == nil {
		p.err = &LoadError{File: p.file, Line: line, Reason: fmt.Sprintf(format, args...)}
	}
}

// line returns the line of the node at path (mapping keys and sequence
// indexes) below the entry's root, or of the deepest node found.
func (p *parser) line(path ...any) int {
	n := p.root
	line := n.Line
	for _, step := range path {
		var next *yaml.Node
		switch s := step.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == s {
						line = n.Content[i].Line
						next = n.Content[i+1]
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && s < len(n.Content) {
				next = n.Content[s]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

func (p *parser) entry(raw *rawEntry) *Entry {
	e := &Entry{File: p.file, Line: p.root.Line, Subject: SubjectUpdate}
	e.ID = strings.TrimSpace(raw.ID)
	if !idPattern.MatchString(e.ID) {
		p.failf(p.line("id"), "id %q must be 1 to 80 lower-case letters, digits, dots and dashes", raw.ID)
	}
	e.Title = p.text(strings.TrimSpace(raw.Title), "title")
	e.Summary = p.languages(raw.Summary, "summary")
	p.listSize(len(raw.KBs), "kbs")
	for i, kb := range raw.KBs {
		kb = strings.TrimSpace(kb)
		if !kbIDPattern.MatchString(kb) {
			p.failf(p.line("kbs", i), "%q is not a KB number such as KB5034441", kb)
		}
		e.KBs = append(e.KBs, strings.ToUpper(kb))
	}
	p.listSize(len(raw.Products), "products")
	for i, s := range raw.Products {
		e.Products = append(e.Products, p.text(strings.TrimSpace(s), "products", i))
	}
	p.listSize(len(raw.Builds), "builds")
	for i, s := range raw.Builds {
		r, ok := parseBuildRange(s)
		if !ok {
			p.failf(p.line("builds", i), "%q is not a build or build range such as 19045, 19045.3920 or 19044-19045", s)
		}
		e.Builds = append(e.Builds, r)
	}
	p.listSize(len(raw.ErrorCodes), "error_codes")
	for i, s := range raw.ErrorCodes {
		code, ok := errcode.Parse(s)
		if !ok || code == 0 {
			p.failf(p.line("error_codes", i), "%q is not an error code (write it as 0x80070643)", s)
		}
		e.ErrorCodes = append(e.ErrorCodes, code)
	}
	switch Subject(raw.Subject) {
	case "", SubjectUpdate:
	case SubjectWinRE:
		e.Subject = SubjectWinRE
		if len(e.KBs) > 0 {
			p.failf(p.line("kbs"), "a winre-servicing entry cannot name KBs: the WinRE agent's events name none")
		}
	default:
		p.failf(p.line("subject"), "subject %q must be %q or %q", raw.Subject, SubjectUpdate, SubjectWinRE)
	}
	if len(raw.Cases) == 0 {
		p.failf(p.line("cases"), "an entry needs at least one case")
	}
	if len(raw.Cases) > maxCases {
		p.failf(p.line("cases"), "%d cases, more than the %d allowed", len(raw.Cases), maxCases)
	}
	broad := len(e.KBs) == 0 && len(e.ErrorCodes) == 0
	for i := range raw.Cases {
		c := p.caseOf(&raw.Cases[i], i)
		if broad && len(c.When) == 0 {
			p.failf(c.Line, "an entry without kbs or error_codes would judge every update: each case needs a when")
		}
		e.Cases = append(e.Cases, c)
	}
	if len(raw.Sources) == 0 {
		p.failf(p.line("sources"), "an entry needs at least one source")
	}
	p.listSize(len(raw.Sources), "sources")
	for i, s := range raw.Sources {
		s = p.text(strings.TrimSpace(s), "sources", i)
		if strings.HasPrefix(s, "http") {
			if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				p.failf(p.line("sources", i), "source %q is not a valid URL", s)
			}
		}
		e.Sources = append(e.Sources, s)
	}
	return e
}

func (p *parser) listSize(n int, key string) {
	if n > maxListItems {
		p.failf(p.line(key), "%s has %d items, more than the %d allowed", key, n, maxListItems)
	}
}

// text checks a required single-language string.
func (p *parser) text(s string, path ...any) string {
	if s == "" {
		p.failf(p.line(path...), "%v must not be empty", path[0])
	}
	if len(s) > maxTextLen {
		p.failf(p.line(path...), "%v is longer than %d bytes", path[0], maxTextLen)
	}
	return s
}

// languages checks a text given in English and Japanese.
func (p *parser) languages(t rawText, path ...any) Text {
	en := strings.TrimSpace(t.EN)
	ja := strings.TrimSpace(t.JA)
	if en == "" || ja == "" {
		p.failf(p.line(path...), "%v needs both en and ja texts", path[len(path)-1])
	}
	if len(en) > maxTextLen || len(ja) > maxTextLen {
		p.failf(p.line(path...), "%v is longer than %d bytes", path[len(path)-1], maxTextLen)
	}
	return Text{EN: en, JA: ja}
}

func (p *parser) caseOf(rc *rawCase, i int) Case {
	c := Case{Name: strings.TrimSpace(rc.Name), Line: p.line("cases", i)}
	if c.Name == "" {
		p.failf(c.Line, "case %d needs a name", i+1)
	}
	if rc.Status != "" {
		c.Status = update.Status(rc.Status)
		if !c.Status.Valid() {
			p.failf(p.line("cases", i, "status"), "status %q must be installed, pending-restart, failed or unknown", rc.Status)
		}
	}
	c.Assessment = Assessment(rc.Assessment)
	if !c.Assessment.Valid() {
		p.failf(p.line("cases", i, "assessment"), "assessment %q must be ok, false-alarm, needs-action or investigate", rc.Assessment)
	}
	c.Guidance = p.languages(rc.Guidance, "cases", i, "guidance")
	switch rc.When.Kind {
	case 0:
	case yaml.SequenceNode:
		for _, n := range rc.When.Content {
			if pred := p.predicate(n, 1); pred != nil {
				c.When = append(c.When, pred)
			}
		}
	default:
		p.failf(rc.When.Line, "when must be a list of predicates")
	}
	return c
}

// predicate parses one predicate: a mapping with a single key, the
// predicate's name, whose value is its argument.
func (p *parser) predicate(n *yaml.Node, depth int) Predicate {
	if depth > maxPredicateDepth {
		p.failf(n.Line, "predicates nest deeper than %d levels", maxPredicateDepth)
		return nil
	}
	p.predicates++
	if p.predicates > maxPredicates {
		p.failf(n.Line, "more than %d predicates in one entry", maxPredicates)
		return nil
	}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		p.failf(n.Line, "a predicate is one key and its value, such as boot_after_failure: true")
		return nil
	}
	key, val := n.Content[0], n.Content[1]
	spec, ok := predicateSpecs[key.Value]
	if !ok {
		p.failf(key.Line, "unknown predicate %q (see docs/catalog.md for the vocabulary)", key.Value)
		return nil
	}
	switch spec.arg {
	case argList:
		if val.Kind != yaml.SequenceNode || len(val.Content) == 0 {
			p.failf(val.Line, "%s takes a non-empty list of predicates", key.Value)
			return nil
		}
		var subs []Predicate
		for _, s := range val.Content {
			if sub := p.predicate(s, depth+1); sub != nil {
				subs = append(subs, sub)
			}
		}
		return spec.list(subs)
	case argPredicate:
		sub := p.predicate(val, depth+1)
		if sub == nil {
			return nil
		}
		return spec.list([]Predicate{sub})
	}
	if val.Kind != yaml.ScalarNode {
		p.failf(val.Line, "%s takes a single value", key.Value)
		return nil
	}
	switch spec.arg {
	case argBool:
		var b bool
		if val.Tag != "!!bool" || val.Decode(&b) != nil {
			p.failf(val.Line, "%s takes true or false, not %q", key.Value, val.Value)
			return nil
		}
		return spec.build(arg{b: b})
	case argCount:
		n, err := strconv.Atoi(val.Value)
		if val.Tag != "!!int" || err != nil || n < 1 || n > 1000 {
			p.failf(val.Line, "%s takes a whole number from 1 to 1000, not %q", key.Value, val.Value)
			return nil
		}
		return spec.build(arg{n: n})
	case argPhase:
		n, err := strconv.Atoi(val.Value)
		if val.Tag != "!!int" || err != nil || n < 0 || n > 1000 {
			p.failf(val.Line, "%s takes a phase number, not %q", key.Value, val.Value)
			return nil
		}
		return spec.build(arg{n: n})
	case argCode:
		code, ok := errcode.Parse(val.Value)
		if !ok || code == 0 {
			p.failf(val.Line, "%s takes an error code such as 0x800f0922, not %q", key.Value, val.Value)
			return nil
		}
		return spec.build(arg{code: code})
	case argText:
		s := strings.TrimSpace(val.Value)
		if s == "" || len(s) > 200 {
			p.failf(val.Line, "%s takes a text of 1 to 200 bytes", key.Value)
			return nil
		}
		return spec.build(arg{text: s})
	}
	p.failf(key.Line, "predicate %q is not usable here", key.Value)
	return nil
}

// parseBuildRange reads "19045", "19045.3920" or "19044-19045.9999".
func parseBuildRange(s string) (BuildRange, bool) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), "-")
	from, ok := ParseBuild(lo)
	if !ok {
		return BuildRange{}, false
	}
	if !isRange {
		return BuildRange{From: from, To: from}, true
	}
	to, ok := ParseBuild(hi)
	if !ok || to.Number < from.Number || (to.Number == from.Number && from.UBR >= 0 && to.UBR >= 0 && to.UBR < from.UBR) {
		return BuildRange{}, false
	}
	return BuildRange{From: from, To: to}, true
}

// ParseBuild reads "19045" or "19045.3920" (and tolerates a "10.0." prefix).
func ParseBuild(s string) (Build, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "10.0.")
	num, ubr, hasUBR := strings.Cut(s, ".")
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || n > 1_000_000 {
		return Build{}, false
	}
	b := Build{Number: n, UBR: -1}
	if hasUBR {
		u, err := strconv.Atoi(ubr)
		if err != nil || u < 0 || u > 1_000_000 {
			return Build{}, false
		}
		b.UBR = u
	}
	return b, true
}
