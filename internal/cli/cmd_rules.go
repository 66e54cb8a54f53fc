package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wuguard/wuguard/internal/hunt"
	"github.com/wuguard/wuguard/sigma"
)

type rulesLintOptions struct {
	format      string
	rulesConfig string
}

func newRulesCommand(io stdio) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Check Sigma rules",
		Long:  "Commands that work on Sigma rules without reading any log.",
	}
	cmd.AddCommand(newRulesLintCommand(io))
	return cmd
}

func newRulesLintCommand(io stdio) *cobra.Command {
	var opts rulesLintOptions
	cmd := &cobra.Command{
		Use:   "lint DIR|FILE...",
		Short: "Load Sigma rules and list every rule that cannot be used, with the reason",
		Long: `lint parses and compiles Sigma rules exactly as 'wuguard hunt' does and lists
every rule it rejects as FILE:LINE[:COL]: REASON: MESSAGE, then a summary.
Folders are searched for *.yml and *.yaml files.

Reasons: yaml, schema, unsupported, unknown-modifier, bad-modifier, bad-value,
bad-regex, unknown-logsource, condition-syntax, unknown-identifier,
missing-placeholder, unknown-correlation-rule, bad-correlation, duplicate-id,
too-complex, io. --format json prints the schema of docs/rules-lint.md.

EXIT STATUS
  0  every rule loaded
  1  an error stopped the run
  2  usage error (bad flag or argument)
  3  some rules were rejected`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRulesLint(io, opts, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.format, "format", "text", "output format: text or json")
	f.StringVar(&opts.rulesConfig, "rules-config", "", "YAML file with expand placeholder values and extra log source mappings")
	return cmd
}

// lintJSON is the --format json output; file, line and reason are a
// contract (docs/rules-lint.md).
type lintJSON struct {
	Loaded   int            `json:"loaded"`
	Rejected []lintRejected `json:"rejected"`
}

type lintRejected struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column,omitempty"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	RuleID  string `json:"rule_id,omitempty"`
	Title   string `json:"title,omitempty"`
}

func runRulesLint(io stdio, opts rulesLintOptions, paths []string) error {
	if len(paths) == 0 {
		return usagef("rules lint needs at least one rule file or folder")
	}
	if opts.format != "text" && opts.format != "json" {
		return usagef("unknown --format %q (want text or json)", opts.format)
	}
	var cfg *hunt.RulesConfig
	if opts.rulesConfig != "" {
		var err error
		if cfg, err = hunt.ReadRulesConfig(opts.rulesConfig); err != nil {
			return err
		}
	}
	rules, err := hunt.LoadRules(paths, cfg)
	if err != nil {
		return fmt.Errorf("failed to load rules: %w", err)
	}
	if opts.format == "json" {
		out := lintJSON{Loaded: rules.Loaded(), Rejected: []lintRejected{}}
		for _, d := range rules.Rejected {
			out.Rejected = append(out.Rejected, lintRejected{File: d.File, Line: d.Line, Column: d.Column, Reason: string(d.Reason),
				Message: d.Message, RuleID: d.RuleID, Title: d.Title})
		}
		enc := json.NewEncoder(io.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("failed to write output: %w", err)
		}
	} else {
		for _, d := range rules.Rejected {
			fmt.Fprintln(io.out, d.Error())
		}
		fmt.Fprintf(io.out, "%d rules loaded, %d rejected", rules.Loaded(), len(rules.Rejected))
		if len(rules.Rejected) > 0 {
			fmt.Fprintf(io.out, " (%s)", hunt.ReasonCounts(rules.Rejected))
		}
		fmt.Fprintln(io.out)
	}
	if len(rules.Rejected) > 0 {
		return errDamagedInput
	}
	return nil
}

// printRejected lists rejected rules on stderr.
func printRejected(io stdio, ds []sigma.Diagnostic) {
	for _, d := range ds {
		io.warnf("rule rejected: %s", d.Error())
	}
}
