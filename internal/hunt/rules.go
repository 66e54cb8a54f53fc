package hunt

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wuguard/wuguard/sigma"
)

// builtin holds the rules shipped inside the binary (internal/hunt/rules).
//
//go:embed rules
var builtin embed.FS

// ErrNoBuiltinRules is returned when hunt is asked for the built-in rules
// and the binary was built without any.
var ErrNoBuiltinRules = errors.New("no built-in rules: this build ships none; pass --rules DIR")

// Rules is a compiled rule set with the report of rules that could not be
// loaded.
type Rules struct {
	Set      *sigma.Ruleset
	Rejected []sigma.Diagnostic
	// Builtin is true when the rules came from the binary.
	Builtin bool
}

// Loaded is the number of rules in the set.
func (r *Rules) Loaded() int { return len(r.Set.Rules()) }

// RulesConfig is the --rules-config file: values for expand placeholders and
// log source mappings that extend or replace the built-in Windows mapping.
type RulesConfig struct {
	Placeholders map[string][]string
	LogSources   *sigma.LogSources
}

// ReadRulesConfig reads a rules configuration file. Its format:
//
//	placeholders:
//	  Administrators: [admin, 'adm_*']
//	logsources:            # same format as sigma's built-in windows.yml
//	  sources:
//	    - {service: myapp, channels: [MyApp/Operational]}
func ReadRulesConfig(path string) (*RulesConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read rules configuration: %w", err)
	}
	var raw struct {
		Placeholders map[string][]string `yaml:"placeholders"`
		LogSources   yaml.Node           `yaml:"logsources"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("failed to parse rules configuration %q: %w", path, err)
	}
	cfg := &RulesConfig{Placeholders: raw.Placeholders, LogSources: sigma.DefaultLogSources()}
	if raw.LogSources.Kind != 0 {
		text, err := yaml.Marshal(&raw.LogSources)
		if err != nil {
			return nil, fmt.Errorf("failed to read logsources of %q: %w", path, err)
		}
		extra, err := sigma.ParseLogSources(path, text)
		if err != nil {
			return nil, fmt.Errorf("failed to parse logsources of %q: %w", path, err)
		}
		cfg.LogSources = cfg.LogSources.Extend(extra)
	}
	return cfg, nil
}

// LoadRules parses and compiles the rules at paths, or the built-in rules
// when paths is empty. cfg may be nil.
func LoadRules(paths []string, cfg *RulesConfig) (*Rules, error) {
	var parsed []*sigma.Rule
	var diags []sigma.Diagnostic
	builtinRules := len(paths) == 0
	if builtinRules {
		sub, err := fs.Sub(builtin, "rules")
		if err != nil {
			return nil, err
		}
		parsed, diags = sigma.ParseFS(sub)
		if len(parsed) == 0 && len(diags) == 0 {
			return nil, ErrNoBuiltinRules
		}
		for i := range diags {
			diags[i].File = "builtin:" + diags[i].File
		}
		for _, r := range parsed {
			r.File = "builtin:" + r.File
		}
	} else {
		parsed, diags = sigma.ParsePaths(paths)
	}
	var sc sigma.Config
	if cfg != nil {
		sc.Placeholders, sc.LogSources = cfg.Placeholders, cfg.LogSources
	}
	rs, cdiags := sigma.Compile(parsed, sc)
	diags = append(diags, cdiags...)
	sigma.SortDiagnostics(diags)
	return &Rules{Set: rs, Rejected: diags, Builtin: builtinRules}, nil
}

// ReasonCounts counts rejected rules by reason, for summaries.
func ReasonCounts(ds []sigma.Diagnostic) string {
	counts := map[sigma.Reason]int{}
	var order []sigma.Reason
	for _, d := range ds {
		if counts[d.Reason] == 0 {
			order = append(order, d.Reason)
		}
		counts[d.Reason]++
	}
	parts := make([]string, len(order))
	for i, r := range order {
		parts[i] = fmt.Sprintf("%s %d", r, counts[r])
	}
	return strings.Join(parts, ", ")
}
