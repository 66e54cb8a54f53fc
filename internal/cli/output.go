package cli

// Message rules for everything the CLI prints, so that users and scripts can
// rely on them:
//
//   - Results go to stdout; progress, warnings and errors go to stderr.
//   - Lines on stderr carry a prefix: "wuguard: error: ", "wuguard: warning: "
//     or "wuguard: hint: ".
//   - Messages are lowercase, have no trailing period, quote user input with
//     %q, and read "failed to <verb> <object>: <cause>".
//   - A damaged input is reported as file, offset and reason, and the run goes
//     on; the exit status then says so (see exitDamaged).

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// stdio carries the streams of one CLI run, so that tests can capture them.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

func (s stdio) warnf(format string, args ...any) {
	fmt.Fprintf(s.err, "wuguard: warning: "+format+"\n", args...)
}

func (s stdio) hintf(format string, args ...any) {
	fmt.Fprintf(s.err, "wuguard: hint: "+format+"\n", args...)
}

// isTerminal reports whether w is a terminal, for colour and progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
