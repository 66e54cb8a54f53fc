package cli

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/report"
	"github.com/wuguard/wuguard/internal/scripts"
	"github.com/wuguard/wuguard/internal/triage"
)

// reportOptions are the flags shared by triage and demo: how to show the result.
type reportOptions struct {
	format   string
	lang     string
	output   string
	catalogs []string
	computer string
	failOn   string
	textTZ   string
	// noScripts turns off the analysis of the PowerShell the logs recorded.
	noScripts bool
}

func (o *reportOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&o.format, "format", "text", "report format: text, json or html")
	f.StringVar(&o.lang, "lang", "en", "language of the report: en or ja")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of standard output")
	f.StringArrayVar(&o.catalogs, "catalog", nil, "add the known-issue entries (*.yaml) of this folder; repeatable")
	f.StringVar(&o.computer, "computer", "", "host that WindowsUpdate.log and CBS.log belong to (text logs carry no computer name)")
	f.StringVar(&o.textTZ, "text-log-offset", "", "UTC offset of the local time WindowsUpdate.log and CBS.log were written in, like +09:00 (default: estimated from matching events)")
	f.BoolVar(&o.noScripts, "no-script-analysis", false, "do not look for malicious PowerShell in the logs (fake fixes run after an update error)")
	f.StringVar(&o.failOn, "fail-on", "", "exit with status 4 if an update is judged at or above this level: needs-action, investigate or false-alarm")
}

// check validates flag values before any input is read.
func (o *reportOptions) check() error {
	if !slices.Contains(report.Formats, o.format) {
		return usagef("--format %q: want text, json or html", o.format)
	}
	if o.lang != "en" && o.lang != "ja" {
		return usagef("--lang %q: want en or ja", o.lang)
	}
	if o.textTZ != "" {
		if _, err := triage.ParseUTCOffset(o.textTZ); err != nil {
			return usagef("--text-log-offset: %v", err)
		}
	}
	if o.failOn != "" && failLevel(o.failOn) < 0 {
		return usagef("--fail-on %q: want needs-action, investigate or false-alarm", o.failOn)
	}
	return nil
}

// failLevel ranks assessments for --fail-on; -1 for anything else.
func failLevel(a string) int {
	return slices.Index([]string{"false-alarm", "investigate", "needs-action"}, a)
}

const triageLong = `Triage reads Windows logs and tells, for every update found in them, whether it
installed, waits for a restart or failed, and whether a reported error is real or a
known false alarm, with the evidence (file, record, event, time) behind each verdict.

PATH may be EVTX files or whole winevt\Logs folders, XML or JSON-lines exports, and
WindowsUpdate.log or CBS.log (with CbsPersist_*.log). Events are grouped by the
computer that logged them. Text logs carry no computer name: they belong to the only
computer the events name, to the one given with --computer, or else to a host
called "unknown (text logs)".

The report starts with the short answer: a headline and one line per host. Then
come the updates that need a person, with guidance, and the rest one line each.
--format json writes the schema of docs/triage-json.md; --format html one
self-contained file to read or forward.

After an update error, fake support pages talk people into pasting a PowerShell
"fix". Triage also analyses the PowerShell the logs recorded (script blocks,
pipeline events, PowerShell command lines) and lists, per host, what it judged
malicious or suspicious; --no-script-analysis turns this off.

` + exitStatusHelp + `
  4  --fail-on was given and an update was judged at or above that level`

func newTriageCommand(io stdio) *cobra.Command {
	var o reportOptions
	c := &cobra.Command{
		Use:   "triage PATH...",
		Short: "Tell installed, pending, failed and falsely reported updates apart",
		Long:  triageLong,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("triage needs at least one PATH: a log file or a folder such as C:\\Windows\\System32\\winevt\\Logs")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTriage(cmd.Context(), io, &o, args)
		},
	}
	o.addFlags(c)
	return c
}

func runTriage(ctx context.Context, io stdio, o *reportOptions, paths []string) error {
	if err := o.check(); err != nil {
		return err
	}
	cat, damaged, err := loadCatalog(io, o.catalogs)
	if err != nil {
		return err
	}
	damage := func(d input.Damage) {
		damaged = true
		io.warnf("%s", d)
	}
	res, err := triage.Run(ctx, paths, o.triageOptions(cat), damage)
	if err != nil {
		return fmt.Errorf("failed to triage logs: %w", err)
	}
	return finishReport(io, o, res, damaged)
}

func (o *reportOptions) triageOptions(cat *catalog.Catalog) triage.Options {
	opts := triage.Options{Catalog: cat, Computer: o.computer, Lang: o.lang}
	if !o.noScripts {
		opts.Scripts = scripts.NewAnalyzer(nil)
	}
	if o.textTZ != "" {
		off, _ := triage.ParseUTCOffset(o.textTZ)
		opts.TextLogOffset = &off
	}
	return opts
}

// loadCatalog returns the built-in entries plus those of each --catalog
// folder. A rejected file is reported and left out; damaged says so.
func loadCatalog(io stdio, dirs []string) (cat *catalog.Catalog, damaged bool, err error) {
	cat, err = catalog.Builtin()
	if err != nil {
		return nil, false, fmt.Errorf("failed to load the built-in catalog: %w", err)
	}
	for _, dir := range dirs {
		for _, e := range cat.LoadDir(dir) {
			damaged = true
			io.warnf("rejected catalog entry: %v", e)
		}
	}
	return cat, damaged, nil
}

// finishReport renders the result and turns damage and --fail-on into the
// exit status.
func finishReport(io stdio, o *reportOptions, res *triage.Result, damaged bool) (err error) {
	rd, err := report.New(o.format, report.Options{Lang: o.lang, Color: o.output == "" && o.format == "text" && isTerminal(io.out)})
	if err != nil {
		return usagef("%v", err)
	}
	var w = io.out
	if o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			return fmt.Errorf("failed to create report file: %w", err)
		}
		defer func() {
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("failed to write report file: %w", cerr)
			}
		}()
		w = f
	}
	if err := rd.Render(w, res); err != nil {
		return fmt.Errorf("failed to write report: %w", err)
	}
	if damaged {
		return errDamagedInput
	}
	if o.failOn != "" && reachesLevel(res, failLevel(o.failOn)) {
		return errFindings
	}
	return nil
}

func reachesLevel(res *triage.Result, level int) bool {
	for _, h := range res.Hosts {
		for _, u := range h.Updates {
			if failLevel(u.Assessment) >= level {
				return true
			}
		}
	}
	return false
}
