package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/wuguard/wuguard/internal/demo"
)

type demoOptions struct {
	reportOptions
	out string
}

func newDemoCommand(io stdio) *cobra.Command {
	var o demoOptions
	c := &cobra.Command{
		Use:   "demo",
		Short: "Write demo Windows logs and triage them",
		Long: `Demo writes the logs of four made-up computers with wuguard's own EVTX writer
(System.evtx, Setup.evtx and Microsoft-Windows-WindowsUpdateClient%4Operational.evtx
each) and triages them, as 'wuguard triage DIR' would:

  PC-RECEPTION   the April 2025 KB5057589 0x80070643 false alarm, before the restart
  PC-ACCOUNTING  the same false alarm after the restart
  PC-LAB-07      the January 2024 KB5034441 failure: recovery partition too small
  SRV-FILES-02   a normal month on Windows Server 2022

The logs go to --out DIR (created; it must be empty if it exists), or to a new
temporary folder named on stderr. Report flags are those of 'wuguard triage'.

` + exitStatusHelp,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("demo takes no arguments; use --out DIR to choose where the logs go")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			quiet, _ := cmd.Flags().GetBool("quiet")
			return runDemo(cmd.Context(), io, &o, quiet)
		},
	}
	o.addFlags(c)
	c.Flags().StringVar(&o.out, "out", "", "folder to write the demo logs to (default: a new temporary folder)")
	return c
}

func runDemo(ctx context.Context, io stdio, o *demoOptions, quiet bool) error {
	if err := o.check(); err != nil {
		return err
	}
	dir, err := demoDir(o.out)
	if err != nil {
		return err
	}
	if _, err := demo.Write(dir); err != nil {
		return fmt.Errorf("failed to write demo logs: %w", err)
	}
	// A temporary folder is always named: the user has no other way to find it.
	if !quiet || o.out == "" {
		io.hintf("demo logs written to %s; 'wuguard triage %s' reads them again", dir, dir)
	}
	return runTriage(ctx, io, &o.reportOptions, []string{dir})
}

// demoDir returns the folder to write to: --out, created or empty, or a new
// temporary folder.
func demoDir(out string) (string, error) {
	if out == "" {
		dir, err := os.MkdirTemp("", "wuguard-demo-")
		if err != nil {
			return "", fmt.Errorf("failed to create demo folder: %w", err)
		}
		return dir, nil
	}
	ents, err := os.ReadDir(out)
	switch {
	case os.IsNotExist(err):
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", fmt.Errorf("failed to create demo folder: %w", err)
		}
	case err != nil:
		return "", usagef("--out %q: %v", out, err)
	case len(ents) > 0:
		return "", usagef("--out %q is not empty; give a new or empty folder so the demo logs are not mixed with others", out)
	}
	return out, nil
}
