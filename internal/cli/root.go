// Package cli wires wuguard's commands to the packages that do the work. It
// holds no analysis logic of its own.
package cli

import (
	"context"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
)

// globalOptions are the flags every command accepts.
type globalOptions struct {
	quiet bool
}

// Main runs wuguard with the given arguments and streams and returns the
// process exit status.
func Main(args []string, in io.Reader, out, errOut io.Writer) int {
	io := stdio{in: in, out: out, err: errOut}
	var g globalOptions
	root := newRootCommand(&g, io)
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return exitCode(io, root.ExecuteContext(ctx))
}

func newRootCommand(g *globalOptions, io stdio) *cobra.Command {
	root := &cobra.Command{
		Use:   "wuguard",
		Short: "Tell real Windows update failures from false alarms, and find fake fixes",
		Long: `wuguard reads Windows event logs and update logs offline and answers two questions:

  1. Is this update error real?   wuguard triage PATH...
  2. Did someone run a fake fix?  wuguard hunt PATH...   and   wuguard script FILE

Start with 'wuguard demo' to see a triage of built-in sample logs.

` + exitStatusHelp,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "no progress or summary on stderr")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newVersionCommand(io),
		newTriageCommand(io),
		newExplainCommand(io),
		newDemoCommand(io),
		newHuntCommand(io),
		newRulesCommand(io),
		newDumpCommand(io),
		newScriptCommand(io),
	)
	for _, c := range root.Commands() {
		if c.Args == nil {
			c.Args = cobra.NoArgs
		}
	}
	return root
}
