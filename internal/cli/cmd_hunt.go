package cli

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wuguard/wuguard/internal/hunt"
	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/scripts"
)

type huntOptions struct {
	rules       []string
	rulesConfig string
	format      string
	minLevel    string
	failOn      string
	threads     int
	noScripts   bool
}

func newHuntCommand(io stdio) *cobra.Command {
	var opts huntOptions
	cmd := &cobra.Command{
		Use:   "hunt [--rules DIR|FILE]... PATH...",
		Short: "Run Sigma rules over event logs and print a timeline of matches",
		Long: `hunt reads Windows event logs (EVTX, XML or JSON lines exports; folders are
searched) and runs Sigma rules over them: the built-in rules, or those given
with --rules (repeatable). Each rule only sees events of its log source
(channel, provider, event ID). Matches are printed as a timeline ordered by
time, then file, record id and rule id, whatever --threads is.

The PowerShell the logs recorded is analysed as 'wuguard script' would:
script blocks (4104, put back together from their parts), pipeline
payloads (4103), classic pipeline commands (800), engine start command
lines (400) and Sysmon 1 / Security 4688 command lines that start
PowerShell. A match on such an event carries the analysis, and scripts
judged malicious or suspicious are matches of the rule
wuguard-pwsh-analysis (high or medium) even when no Sigma rule fired.
--no-script-analysis turns this off.

Rules that cannot be used are listed on stderr with their reason (see
'wuguard rules lint'). A summary of matches by level and rule goes to stderr
at the end (not with --quiet), so stdout holds only the timeline. Formats and
their fields are described in docs/hunt.md.

EXIT STATUS
  0  the hunt completed, all input and all rules were used
  1  an error stopped the run
  2  usage error (bad flag or argument)
  3  the hunt completed, but damaged input was skipped or rules were rejected
  4  --fail-on LEVEL was given and a match at or above LEVEL was found
Findings alone never change the exit status unless --fail-on is given.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			quiet, _ := cmd.Flags().GetBool("quiet")
			return runHunt(cmd, io, opts, args, quiet)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.rules, "rules", nil, "Sigma rule file or folder (repeatable; default: the built-in rules)")
	f.StringVar(&opts.rulesConfig, "rules-config", "", "YAML file with expand placeholder values and extra log source mappings")
	f.StringVar(&opts.format, "format", "table", "output format: "+strings.Join(hunt.Formats, ", "))
	f.StringVar(&opts.minLevel, "min-level", "informational", "lowest rule level to report: informational, low, medium, high, critical")
	f.StringVar(&opts.failOn, "fail-on", "", "exit with status 4 when a match at or above this level is found")
	f.IntVar(&opts.threads, "threads", 0, "threads: files, or the chunks of one file, read in parallel (0: one per CPU)")
	f.BoolVar(&opts.noScripts, "no-script-analysis", false, "do not analyse the PowerShell that events recorded")
	return cmd
}

func runHunt(cmd *cobra.Command, io stdio, opts huntOptions, paths []string, quiet bool) error {
	if len(paths) == 0 {
		return usagef("hunt needs at least one log file or folder")
	}
	validFormat := false
	for _, f := range hunt.Formats {
		validFormat = validFormat || f == opts.format
	}
	if !validFormat {
		return usagef("unknown --format %q (want %s)", opts.format, strings.Join(hunt.Formats, ", "))
	}
	minLevel, err := hunt.ParseLevel(opts.minLevel)
	if err != nil {
		return usagef("--min-level: %v", err)
	}
	failOn := hunt.Level(-1)
	if opts.failOn != "" {
		if failOn, err = hunt.ParseLevel(opts.failOn); err != nil {
			return usagef("--fail-on: %v", err)
		}
	}
	if opts.threads < 0 {
		return usagef("--threads must be 0 or more, not %d", opts.threads)
	}
	// Loading thousands of rules makes much short-lived garbage around a
	// large live rule set: collecting when the heap has tripled rather
	// than doubled took a hunt with all SigmaHQ Windows rules from 1.01 to
	// 0.84 s of CPU, for 107 -> 121 MiB of peak memory.
	defer debug.SetGCPercent(debug.SetGCPercent(200))

	var cfg *hunt.RulesConfig
	if opts.rulesConfig != "" {
		if cfg, err = hunt.ReadRulesConfig(opts.rulesConfig); err != nil {
			return err
		}
	}
	// Rules load in a fraction of a second and most of what they allocate
	// stays: collecting meanwhile only rescans the growing rule set. With
	// the collector off until they are loaded, a hunt of one small file
	// with all SigmaHQ Windows rules took 133 instead of 139 ms (158 ->
	// 137 ms of user CPU), for 98 instead of 67 MiB of peak memory; a hunt
	// of the 64 MiB bench file peaks at 133 MiB either way. A memory limit
	// still starts a collection should a huge rule set approach it.
	limit := debug.SetMemoryLimit(-1)
	debug.SetMemoryLimit(min(limit, rulesLoadMemory))
	prev := debug.SetGCPercent(-1)
	rules, err := hunt.LoadRules(opts.rules, cfg)
	debug.SetGCPercent(prev)
	debug.SetMemoryLimit(limit)
	if errors.Is(err, hunt.ErrNoBuiltinRules) {
		return err
	}
	if err != nil {
		return fmt.Errorf("failed to load rules: %w", err)
	}
	printRejected(io, rules.Rejected)
	if len(rules.Rejected) > 0 {
		io.warnf("%d rules rejected (%s); run 'wuguard rules lint' on them for details", len(rules.Rejected), hunt.ReasonCounts(rules.Rejected))
	}
	if rules.Loaded() == 0 {
		return errors.New("no rule could be loaded")
	}
	hopts := hunt.Options{MinLevel: minLevel, Threads: opts.threads}
	if !opts.noScripts {
		hopts.Scripts = scripts.NewAnalyzer(nil)
	}
	progress := !quiet && isTerminal(io.err)
	if progress {
		hopts.Progress = func(p hunt.Progress) {
			pct := 100
			if p.Bytes > 0 {
				pct = int(100 * p.BytesDone / p.Bytes)
			}
			fmt.Fprintf(io.err, "\rhunting: %d/%d files (%d%%), %d events, %d matches\033[K", p.FilesDone, p.Files, pct, p.Events, p.Matches)
		}
	}
	rep, err := hunt.Run(cmd.Context(), rules, paths, hopts, func(d input.Damage) {
		if progress {
			fmt.Fprint(io.err, "\r\033[K")
		}
		io.warnf("skipped damaged input: %s", d)
	})
	if progress {
		fmt.Fprint(io.err, "\r\033[K")
	}
	if err != nil {
		return err
	}
	if rep.Files == 0 {
		io.warnf("no event log files (.evtx, .xml, .jsonl, .json) found in %s", quoteList(paths))
	}
	if err := hunt.Render(io.out, opts.format, rep, rules); err != nil {
		return fmt.Errorf("failed to write output: %w", err)
	}
	if !quiet {
		hunt.WriteSummary(io.err, hunt.Summarize(rep))
	}
	if failOn >= 0 {
		for i := range rep.Findings {
			if rep.Findings[i].Level >= failOn {
				return errFindings
			}
		}
	}
	if rep.Damaged || len(rules.Rejected) > 0 {
		return errDamagedInput
	}
	return nil
}

// rulesLoadMemory is the heap size at which rule loading collects garbage
// after all (see runHunt).
const rulesLoadMemory = 256 << 20

func quoteList(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = fmt.Sprintf("%q", p)
	}
	return strings.Join(q, ", ")
}
