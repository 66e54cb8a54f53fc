package sigma

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed windows.yml
var windowsLogSources []byte

// LogSources maps Sigma logsource blocks (product, category, service) to the
// channels, providers and event IDs that carry them, and renames rule fields
// where one category is logged by sources with different field names (Sysmon
// event 1 and Security event 4688 for process_creation).
type LogSources struct {
	header  map[string]bool
	sources []*Source
}

// Source is one concrete event source of a logsource.
type Source struct {
	Name      string
	Product   string
	Category  string
	Service   string
	Channels  []string
	Providers []string
	EventIDs  []int
	// Fields maps a rule's field name to where this source keeps it.
	Fields map[string]FieldMapping
	// Note explains an entry that maps to nothing (a category that no
	// event log records), shown when a rule using it is rejected.
	Note string
}

// FieldMapping says how to read a rule field from an event of a source.
type FieldMapping struct {
	// Field is the event's name for it; or, with Join, the fields whose
	// values are joined with Separator (missing ones are left out).
	Field     string
	Join      []string
	Separator string
	// Values renames values (matched case-insensitively), for fields whose
	// encoding differs between sources.
	Values map[string]string
	// Prefixes replaces a leading text (matched case-insensitively).
	Prefixes [][2]string
}

func (f FieldMapping) key() string {
	if f.Join == nil && f.Values == nil && f.Prefixes == nil {
		return f.Field
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%q|%q|", f.Field, f.Join, f.Separator)
	keys := make([]string, 0, len(f.Values))
	for k := range f.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%q=%q,", k, f.Values[k])
	}
	fmt.Fprintf(&b, "|%q", f.Prefixes)
	return b.String()
}

// DefaultLogSources returns the built-in Windows mapping.
func DefaultLogSources() *LogSources {
	ls, err := ParseLogSources("windows.yml", windowsLogSources)
	if err != nil {
		panic("sigma: built-in windows.yml: " + err.Error())
	}
	return ls
}

// HeaderFields lists the fields that events return from Field but not from
// Values (event header fields such as EventID and Channel).
func (ls *LogSources) HeaderFields() []string {
	out := make([]string, 0, len(ls.header))
	for f := range ls.header {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Sources returns the mapping's entries.
func (ls *LogSources) Sources() []*Source { return ls.sources }

type logSourcesFile struct {
	Product      string         `yaml:"product"`
	HeaderFields []string       `yaml:"header_fields"`
	Sources      []sourceRecord `yaml:"sources"`
}

type sourceRecord struct {
	Name      string               `yaml:"name"`
	Product   string               `yaml:"product"`
	Category  string               `yaml:"category"`
	Service   string               `yaml:"service"`
	Channels  []string             `yaml:"channels"`
	Providers []string             `yaml:"providers"`
	EventIDs  []int                `yaml:"event_ids"`
	Fields    map[string]yaml.Node `yaml:"fields"`
	Note      string               `yaml:"note"`
}

type fieldRecord struct {
	Field     string            `yaml:"field"`
	Join      []string          `yaml:"join"`
	Separator string            `yaml:"separator"`
	Values    map[string]string `yaml:"values"`
	Prefixes  map[string]string `yaml:"prefixes"`
}

// ParseLogSources reads a mapping file (the format of the built-in
// windows.yml, documented in docs/sigma.md).
func ParseLogSources(name string, data []byte) (*LogSources, error) {
	var f logSourcesFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ls := &LogSources{header: map[string]bool{}}
	for _, h := range f.HeaderFields {
		ls.header[h] = true
	}
	for i, r := range f.Sources {
		s := &Source{Name: r.Name, Product: strings.ToLower(r.Product), Category: r.Category, Service: r.Service,
			Channels: r.Channels, Providers: r.Providers, EventIDs: r.EventIDs, Note: r.Note}
		if s.Product == "" {
			s.Product = strings.ToLower(f.Product)
		}
		if s.Product == "" {
			s.Product = "windows"
		}
		if s.Category == "" && s.Service == "" {
			return nil, fmt.Errorf("%s: source %d has neither category nor service", name, i+1)
		}
		if len(s.Channels) == 0 && s.Note == "" {
			return nil, fmt.Errorf("%s: source %d (%s%s) has no channels and no note", name, i+1, s.Category, s.Service)
		}
		for _, id := range s.EventIDs {
			if id < 0 || id > 0xffff {
				return nil, fmt.Errorf("%s: source %d: event ID %d out of range", name, i+1, id)
			}
		}
		if len(r.Fields) > 0 {
			s.Fields = map[string]FieldMapping{}
		}
		for k, n := range r.Fields {
			var m FieldMapping
			if n.Kind == yaml.ScalarNode {
				m.Field = n.Value
			} else {
				var fr fieldRecord
				if err := n.Decode(&fr); err != nil {
					return nil, fmt.Errorf("%s: source %d field %q: %w", name, i+1, k, err)
				}
				m = FieldMapping{Field: fr.Field, Join: fr.Join, Separator: fr.Separator, Values: fr.Values}
				if m.Field == "" && len(m.Join) == 0 {
					return nil, fmt.Errorf("%s: source %d field %q: needs field or join", name, i+1, k)
				}
				pk := make([]string, 0, len(fr.Prefixes))
				for p := range fr.Prefixes {
					pk = append(pk, p)
				}
				sort.Slice(pk, func(a, b int) bool { return len(pk[a]) > len(pk[b]) || len(pk[a]) == len(pk[b]) && pk[a] < pk[b] })
				for _, p := range pk {
					m.Prefixes = append(m.Prefixes, [2]string{p, fr.Prefixes[p]})
				}
			}
			s.Fields[k] = m
		}
		ls.sources = append(ls.sources, s)
	}
	return ls, nil
}

// Extend adds the entries of other. An entry of other with the same product,
// category and service as existing ones replaces all of them, so a file can
// both override and extend the built-in mapping.
func (ls *LogSources) Extend(other *LogSources) *LogSources {
	out := &LogSources{header: map[string]bool{}}
	for h := range ls.header {
		out.header[h] = true
	}
	for h := range other.header {
		out.header[h] = true
	}
	replaced := map[[3]string]bool{}
	for _, s := range other.sources {
		replaced[[3]string{s.Product, s.Category, s.Service}] = true
	}
	for _, s := range ls.sources {
		if !replaced[[3]string{s.Product, s.Category, s.Service}] {
			out.sources = append(out.sources, s)
		}
	}
	out.sources = append(out.sources, other.sources...)
	return out
}

// resolve finds the sources of a rule's logsource block.
func (ls *LogSources) resolve(l LogSource) ([]*Source, *ruleError) {
	product := strings.ToLower(l.Product)
	known := false
	for _, s := range ls.sources {
		if s.Product == product {
			known = true
			break
		}
	}
	line := l.Line
	switch {
	case product != "" && !known:
		return nil, &ruleError{reason: ReasonUnknownLogsource, line: line, msg: fmt.Sprintf("product %q has no log source mapping (wuguard reads Windows event logs)", l.Product)}
	case l.Category == "" && l.Service == "":
		if product == "" {
			return nil, &ruleError{reason: ReasonUnknownLogsource, line: line, msg: "logsource names no product, category or service"}
		}
		// A product-only rule: every event of the product, narrowed later
		// by the EventID literals of its detection.
		return []*Source{{Name: product, Product: product}}, nil
	}
	matchProduct := func(s *Source) bool { return product == "" || s.Product == product }
	var out []*Source
	if l.Category != "" {
		var note string
		for _, s := range ls.sources {
			if s.Category == l.Category && matchProduct(s) {
				if len(s.Channels) == 0 {
					note = s.Note
					continue
				}
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			if note != "" {
				return nil, &ruleError{reason: ReasonUnknownLogsource, line: line, msg: fmt.Sprintf("category %q: %s", l.Category, note)}
			}
			return nil, &ruleError{reason: ReasonUnknownLogsource, line: line, msg: fmt.Sprintf("category %q has no Windows event log mapping", l.Category)}
		}
		if l.Service == "" {
			return out, nil
		}
		svc, err := ls.resolve(LogSource{Product: l.Product, Service: l.Service, Line: line})
		if err != nil {
			return nil, err
		}
		allowed := map[string]bool{}
		for _, s := range svc {
			for _, c := range s.Channels {
				allowed[c] = true
			}
		}
		var narrowed []*Source
		for _, s := range out {
			var chans []string
			for _, c := range s.Channels {
				if allowed[c] {
					chans = append(chans, c)
				}
			}
			if len(chans) > 0 {
				n := *s
				n.Channels = chans
				narrowed = append(narrowed, &n)
			}
		}
		if len(narrowed) == 0 {
			return nil, &ruleError{reason: ReasonUnknownLogsource, line: line, msg: fmt.Sprintf("category %q is not logged by service %q", l.Category, l.Service)}
		}
		return narrowed, nil
	}
	var note string
	for _, s := range ls.sources {
		if s.Service == l.Service && s.Category == "" && matchProduct(s) {
			if len(s.Channels) == 0 {
				note = s.Note
				continue
			}
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		if note != "" {
			return nil, &ruleError{reason: ReasonUnknownLogsource, line: line, msg: fmt.Sprintf("service %q: %s", l.Service, note)}
		}
		return nil, &ruleError{reason: ReasonUnknownLogsource, line: line, msg: fmt.Sprintf("service %q has no Windows event log mapping", l.Service)}
	}
	return out, nil
}
