package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits on what one rule file may make the parser do.
const (
	// MaxRuleFileSize is the largest rule file read; the biggest SigmaHQ rule
	// is under 100 KiB.
	MaxRuleFileSize = 4 << 20
	// maxDocuments caps the YAML documents of one file.
	maxDocuments = 1000
	// maxAliasDepth caps how deep YAML aliases are followed.
	maxAliasDepth = 32
)

// ParseFile reads and parses one rule file. See [Parse].
func ParseFile(path string) ([]*Rule, []Diagnostic) {
	f, err := os.Open(path)
	if err != nil {
		return nil, []Diagnostic{{File: path, Reason: ReasonIO, Message: describeIOError(err)}}
	}
	defer f.Close()
	// A buffer of the file's size and bytes.MinRead more reads it in one
	// call and sees the end in a second; io.ReadAll, growing from 512
	// bytes, took several of each on SigmaHQ's files.
	var buf bytes.Buffer
	if info, err := f.Stat(); err == nil && info.Size() > 0 {
		buf.Grow(int(min(info.Size(), MaxRuleFileSize)) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxRuleFileSize+1)); err != nil {
		return nil, []Diagnostic{{File: path, Reason: ReasonIO, Message: describeIOError(err)}}
	}
	data := buf.Bytes()
	if len(data) > MaxRuleFileSize {
		return nil, []Diagnostic{{File: path, Reason: ReasonIO, Message: fmt.Sprintf("file larger than %d bytes", MaxRuleFileSize)}}
	}
	return Parse(path, data)
}

func describeIOError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// Parse parses the YAML documents of one rule file into rules. name is used
// in positions. A document that cannot be parsed is reported and skipped; the
// others are returned. Parse checks only the shape of the YAML; [Compile]
// checks the meaning.
func Parse(name string, data []byte) (rules []*Rule, diags []Diagnostic) {
	defer func() {
		// yaml.v3 has panicked on hostile input in the past; a rule file must
		// never stop a run.
		if r := recover(); r != nil {
			rules = nil
			diags = append(diags, Diagnostic{File: name, Reason: ReasonYAML, Message: fmt.Sprintf("internal error while parsing YAML: %v", r)})
		}
	}()
	arena := nodeArenas.Get().(*nodeArena)
	defer nodeArenas.Put(arena)
	docs, d := decodeYAML(name, data, arena)
	if d != nil {
		return nil, append(diags, *d)
	}
	p := &parser{file: name}
	for i, d := range docs {
		root := d
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		if a := p.mapValue(root, "action"); a != nil {
			// Sigma 1 rule collections (action: global/reset/repeat) merge
			// documents into each other; every document of such a file
			// depends on them, so the whole file is rejected.
			return nil, append(diags, Diagnostic{File: name, Line: a.Line, Reason: ReasonUnsupported,
				Message: fmt.Sprintf("action: %s (Sigma 1 rule collections) is not supported; write one rule per document", a.Value)})
		}
		r, err := p.rule(root, i)
		if err != nil {
			d := Diagnostic{File: name, Line: err.line, Column: err.column, Reason: err.reason, Message: err.msg}
			if r != nil {
				d.RuleID, d.Title = r.ID, r.Title
			}
			if d.Line == 0 {
				d.Line = root.Line
			}
			diags = append(diags, d)
			continue
		}
		rules = append(rules, r)
	}
	return rules, diags
}

// decodeYAML reads the YAML documents of a rule file: with the fast parser
// for the plain YAML rules are written in, else with yaml.v3.
func decodeYAML(name string, data []byte, arena *nodeArena) ([]*yaml.Node, *Diagnostic) {
	docs, fast := parseFastYAML(data, arena)
	if !fast {
		var err error
		if docs, err = yamlV3Documents(data); err != nil {
			return nil, &Diagnostic{File: name, Line: yamlErrorLine(err), Reason: ReasonYAML, Message: yamlErrorMessage(err)}
		}
	}
	if len(docs) > maxDocuments {
		return nil, &Diagnostic{File: name, Reason: ReasonTooComplex, Message: fmt.Sprintf("more than %d YAML documents", maxDocuments)}
	}
	return docs, nil
}

// yamlV3Documents decodes data with yaml.v3, stopping after one document
// more than maxDocuments.
func yamlV3Documents(data []byte) ([]*yaml.Node, error) {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for len(docs) <= maxDocuments {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, &n)
	}
	return docs, nil
}

var yamlLinePrefix = "yaml: line "

func yamlErrorLine(err error) int {
	msg := err.Error()
	if i := strings.Index(msg, yamlLinePrefix); i >= 0 {
		rest := msg[i+len(yamlLinePrefix):]
		if j := strings.IndexByte(rest, ':'); j > 0 {
			if n, err := strconv.Atoi(rest[:j]); err == nil {
				return n
			}
		}
	}
	return 0
}

func yamlErrorMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		if j := strings.Index(msg, ": "); j > 0 {
			msg = msg[j+2:]
		}
	}
	return msg
}

type parser struct {
	file string
}

// resolve follows YAML aliases, with a depth cap against alias loops.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i == maxAliasDepth {
			return nil
		}
		n = n.Alias
	}
	return n
}

func (p *parser) mapValue(m *yaml.Node, key string) *yaml.Node {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return resolve(m.Content[i+1])
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	}
	return "an unexpected node"
}

func badNode(n *yaml.Node, what, want string) *ruleError {
	return &ruleError{reason: ReasonYAML, line: n.Line, column: n.Column, msg: fmt.Sprintf("%s must be %s, not %s", what, want, kindName(n))}
}

func scalarText(n *yaml.Node, what string) (string, *ruleError) {
	if n.Kind != yaml.ScalarNode {
		return "", badNode(n, what, "a string")
	}
	return n.Value, nil
}

// stringList accepts a list of scalars or a single scalar.
func stringList(n *yaml.Node, what string) ([]string, *ruleError) {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!null" {
			return nil, nil
		}
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, badNode(n, what, "a list of strings")
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		c = resolve(c)
		if c == nil || c.Kind != yaml.ScalarNode {
			return nil, badNode(n, what, "a list of strings")
		}
		out = append(out, c.Value)
	}
	return out, nil
}

// mapEntries returns the key/value pairs of a map, rejecting duplicate keys,
// which YAML forbids and which would silently drop a selection.
func mapEntries(m *yaml.Node, what string) ([][2]*yaml.Node, *ruleError) {
	if m.Kind != yaml.MappingNode {
		return nil, badNode(m, what, "a map")
	}
	seen := make(map[string]bool, len(m.Content)/2)
	out := make([][2]*yaml.Node, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolve(m.Content[i]), resolve(m.Content[i+1])
		if k == nil || v == nil {
			return nil, &ruleError{reason: ReasonYAML, line: m.Line, msg: "YAML aliases nested too deep"}
		}
		if k.Kind != yaml.ScalarNode {
			return nil, badNode(k, "a key in "+what, "a string")
		}
		if seen[k.Value] {
			return nil, &ruleError{reason: ReasonYAML, line: k.Line, column: k.Column, msg: fmt.Sprintf("key %q appears twice in %s", k.Value, what)}
		}
		seen[k.Value] = true
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out, nil
}

func (p *parser) rule(root *yaml.Node, doc int) (*Rule, *ruleError) {
	r := &Rule{File: p.file, Line: root.Line, Doc: doc}
	entries, err := mapEntries(root, "a rule")
	if err != nil {
		return nil, err
	}
	var topGenerate, hasTopGenerate bool
	for _, kv := range entries {
		k, v := kv[0], kv[1]
		var err *ruleError
		switch k.Value {
		case "title":
			r.Title, err = scalarText(v, "title")
		case "id":
			r.ID, err = scalarText(v, "id")
		case "name":
			r.Name, err = scalarText(v, "name")
		case "status":
			r.Status, err = scalarText(v, "status")
		case "description":
			r.Description, err = scalarText(v, "description")
		case "author":
			var authors []string
			authors, err = stringList(v, "author")
			r.Author = strings.Join(authors, ", ")
		case "level":
			r.Level, err = scalarText(v, "level")
		case "tags":
			r.Tags, err = stringList(v, "tags")
		case "references":
			r.References, err = stringList(v, "references")
		case "fields":
			r.Fields, err = stringList(v, "fields")
		case "logsource":
			err = p.logsource(r, v)
		case "detection":
			r.Detection, err = p.detection(v, k.Line)
		case "correlation":
			r.Correlation, err = p.correlation(v)
		case "generate":
			// Some writers put generate beside correlation rather than in it.
			topGenerate, err = boolValue(v, "generate")
			hasTopGenerate = true
		}
		if err != nil {
			return r, err
		}
	}
	switch {
	case r.Detection != nil && r.Correlation != nil:
		return r, &ruleError{reason: ReasonSchema, line: r.Line, msg: "a document is either a detection rule or a correlation rule, not both"}
	case r.Detection == nil && r.Correlation == nil:
		return r, &ruleError{reason: ReasonSchema, line: r.Line, msg: "no detection or correlation block"}
	}
	if hasTopGenerate {
		if r.Correlation == nil {
			return r, &ruleError{reason: ReasonSchema, line: r.Line, msg: "generate belongs to correlation rules"}
		}
		r.Correlation.Generate = r.Correlation.Generate || topGenerate
	}
	return r, nil
}

func boolValue(n *yaml.Node, what string) (bool, *ruleError) {
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(n.Value) {
		case "true", "yes":
			return true, nil
		case "false", "no":
			return false, nil
		}
	}
	return false, &ruleError{reason: ReasonYAML, line: n.Line, column: n.Column, msg: what + " must be true or false"}
}

func (p *parser) logsource(r *Rule, v *yaml.Node) *ruleError {
	entries, err := mapEntries(v, "logsource")
	if err != nil {
		return err
	}
	r.LogSource.Line = v.Line
	for _, kv := range entries {
		var s string
		if kv[1].Kind == yaml.ScalarNode {
			s = kv[1].Value
		}
		switch kv[0].Value {
		case "product":
			r.LogSource.Product = s
		case "category":
			r.LogSource.Category = s
		case "service":
			r.LogSource.Service = s
		}
	}
	return nil
}

func (p *parser) detection(v *yaml.Node, keyLine int) (*Detection, *ruleError) {
	entries, err := mapEntries(v, "detection")
	if err != nil {
		return nil, err
	}
	d := &Detection{Line: keyLine}
	for _, kv := range entries {
		k, val := kv[0], kv[1]
		switch k.Value {
		case "condition":
			switch val.Kind {
			case yaml.ScalarNode:
				d.Conditions = append(d.Conditions, conditionText(val))
			case yaml.SequenceNode:
				for _, c := range val.Content {
					c = resolve(c)
					if c == nil || c.Kind != yaml.ScalarNode {
						return nil, badNode(val, "condition", "a string or a list of strings")
					}
					d.Conditions = append(d.Conditions, conditionText(c))
				}
			default:
				return nil, badNode(val, "condition", "a string or a list of strings")
			}
		case "timeframe":
			// A Sigma 1 aggregation window; without an aggregation in the
			// condition (rejected by the condition parser) it has no effect.
		default:
			s, err := p.search(k, val)
			if err != nil {
				return nil, err
			}
			d.Searches = append(d.Searches, s)
		}
	}
	if len(d.Conditions) == 0 {
		return nil, &ruleError{reason: ReasonSchema, line: keyLine, msg: "detection has no condition"}
	}
	return d, nil
}

// conditionText records where the condition text starts, so that condition
// errors point at the right column of a plain one-line scalar.
func conditionText(n *yaml.Node) Text {
	t := Text{S: n.Value, Line: n.Line, Column: n.Column}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		t.Line++
		t.Column = 0
	} else if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
		t.Column++
	}
	return t
}

func (p *parser) search(k, v *yaml.Node) (*Search, *ruleError) {
	s := &Search{Name: k.Value, Line: k.Line}
	switch v.Kind {
	case yaml.MappingNode:
		g, err := p.group(v)
		if err != nil {
			return nil, err
		}
		s.Groups = append(s.Groups, g)
	case yaml.SequenceNode:
		var keywords *Item
		for _, c := range v.Content {
			c = resolve(c)
			if c == nil {
				return nil, &ruleError{reason: ReasonYAML, line: v.Line, msg: "YAML aliases nested too deep"}
			}
			switch c.Kind {
			case yaml.MappingNode:
				g, err := p.group(c)
				if err != nil {
					return nil, err
				}
				s.Groups = append(s.Groups, g)
			case yaml.ScalarNode:
				if keywords == nil {
					keywords = &Item{Line: c.Line, Column: c.Column}
					s.Groups = append(s.Groups, []*Item{keywords})
				}
				keywords.Values = append(keywords.Values, scalarValue(c))
			default:
				return nil, badNode(c, "an entry of search "+strconv.Quote(k.Value), "a map or a value")
			}
		}
		if len(s.Groups) == 0 {
			return nil, &ruleError{reason: ReasonSchema, line: v.Line, msg: fmt.Sprintf("search %q is an empty list", k.Value)}
		}
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, &ruleError{reason: ReasonSchema, line: k.Line, column: k.Column, msg: fmt.Sprintf("search %q is empty", k.Value)}
		}
		s.Groups = append(s.Groups, []*Item{{Line: v.Line, Column: v.Column, Values: []Value{scalarValue(v)}}})
	default:
		return nil, badNode(v, "search "+strconv.Quote(k.Value), "a map or a list")
	}
	return s, nil
}

func (p *parser) group(m *yaml.Node) ([]*Item, *ruleError) {
	entries, err := mapEntries(m, "a search")
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, &ruleError{reason: ReasonSchema, line: m.Line, column: m.Column, msg: "empty map in a search"}
	}
	items := make([]*Item, 0, len(entries))
	for _, kv := range entries {
		k, v := kv[0], kv[1]
		parts := strings.Split(k.Value, "|")
		it := &Item{Field: parts[0], Modifiers: parts[1:], Line: k.Line, Column: k.Column}
		switch v.Kind {
		case yaml.ScalarNode:
			it.Values = []Value{scalarValue(v)}
		case yaml.SequenceNode:
			if len(v.Content) == 0 {
				return nil, &ruleError{reason: ReasonSchema, line: v.Line, column: v.Column, msg: fmt.Sprintf("%q has an empty list of values", k.Value)}
			}
			for _, c := range v.Content {
				c = resolve(c)
				if c == nil || c.Kind != yaml.ScalarNode {
					return nil, badNode(v, "the values of "+strconv.Quote(k.Value), "a list of plain values")
				}
				it.Values = append(it.Values, scalarValue(c))
			}
		default:
			return nil, badNode(v, "the value of "+strconv.Quote(k.Value), "a value or a list of values")
		}
		items = append(items, it)
	}
	return items, nil
}

func scalarValue(n *yaml.Node) Value {
	v := Value{Text: n.Value, Line: n.Line}
	switch n.Tag {
	case "!!int", "!!float":
		v.Kind = ValueNumber
	case "!!bool":
		v.Kind = ValueBool
	case "!!null":
		v.Kind = ValueNull
	}
	return v
}

func (p *parser) correlation(v *yaml.Node) (*Correlation, *ruleError) {
	entries, err := mapEntries(v, "correlation")
	if err != nil {
		return nil, err
	}
	c := &Correlation{Line: v.Line}
	for _, kv := range entries {
		k, val := kv[0], kv[1]
		var err *ruleError
		switch k.Value {
		case "type":
			var s string
			s, err = scalarText(val, "correlation type")
			c.Type = CorrelationType(s)
		case "rules":
			switch val.Kind {
			case yaml.ScalarNode:
				c.Rules = append(c.Rules, Text{S: val.Value, Line: val.Line, Column: val.Column})
			case yaml.SequenceNode:
				for _, r := range val.Content {
					r = resolve(r)
					if r == nil || r.Kind != yaml.ScalarNode {
						return nil, badNode(val, "correlation rules", "a list of rule ids or names")
					}
					c.Rules = append(c.Rules, Text{S: r.Value, Line: r.Line, Column: r.Column})
				}
			default:
				err = badNode(val, "correlation rules", "a list of rule ids or names")
			}
		case "group-by":
			c.GroupBy, err = stringList(val, "group-by")
		case "timespan":
			var s string
			s, err = scalarText(val, "timespan")
			c.Timespan = Text{S: s, Line: val.Line, Column: val.Column}
		case "generate":
			c.Generate, err = boolValue(val, "generate")
		case "aliases":
			err = p.aliases(c, val)
		case "condition":
			err = p.correlationCondition(c, val)
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (p *parser) aliases(c *Correlation, v *yaml.Node) *ruleError {
	entries, err := mapEntries(v, "aliases")
	if err != nil {
		return err
	}
	c.Aliases = make(map[string]map[string]string, len(entries))
	for _, kv := range entries {
		inner, err := mapEntries(kv[1], "alias "+strconv.Quote(kv[0].Value))
		if err != nil {
			return err
		}
		m := make(map[string]string, len(inner))
		for _, rv := range inner {
			f, err := scalarText(rv[1], "an alias field")
			if err != nil {
				return err
			}
			m[rv[0].Value] = f
		}
		c.Aliases[kv[0].Value] = m
	}
	return nil
}

func (p *parser) correlationCondition(c *Correlation, v *yaml.Node) *ruleError {
	entries, err := mapEntries(v, "correlation condition")
	if err != nil {
		return err
	}
	for _, kv := range entries {
		k, val := kv[0], kv[1]
		switch k.Value {
		case "field":
			fs, err := stringList(val, "condition field")
			if err != nil {
				return err
			}
			c.Field = fs
		case "gt", "gte", "lt", "lte", "eq", "neq":
			if val.Kind != yaml.ScalarNode {
				return badNode(val, "condition "+k.Value, "a number")
			}
			f, perr := strconv.ParseFloat(val.Value, 64)
			if perr != nil {
				return &ruleError{reason: ReasonBadCorrelation, line: val.Line, column: val.Column, msg: fmt.Sprintf("condition %s: %q is not a number", k.Value, val.Value)}
			}
			c.Condition = append(c.Condition, Comparison{Op: k.Value, Value: f})
		default:
			return &ruleError{reason: ReasonBadCorrelation, line: k.Line, column: k.Column, msg: fmt.Sprintf("unknown correlation condition %q (want gt, gte, lt, lte, eq, neq or field)", k.Value)}
		}
	}
	return nil
}
