package cli

import (
	"errors"
	"fmt"
)

// Exit statuses, the same for every command. Scripts depend on them.
const (
	exitOK       = 0 // all input was read whole
	exitError    = 1 // any other error
	exitUsage    = 2 // bad flags or arguments
	exitDamaged  = 3 // the run completed, but damaged input was reported and skipped
	exitFindings = 4 // --fail-on asked for it and findings reached that level
)

const exitStatusHelp = `EXIT STATUS
  0  all input was read whole
  1  an error stopped the run
  2  usage error (bad flag or argument)
  3  the run completed, but damaged input was reported and skipped`

// usageError marks mistakes in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// errDamagedInput is returned by a command that finished its work but had to
// skip damaged input, which it has already reported line by line.
var errDamagedInput = errors.New("damaged input was skipped")

// errFindings is returned when --fail-on found matches at or above its level.
var errFindings = errors.New("findings at or above the --fail-on level")

// exitCode maps the error a command returned to the process exit status and
// prints it. It is the only place that decides exit statuses.
func exitCode(io stdio, err error) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errDamagedInput):
		return exitDamaged
	case errors.Is(err, errFindings):
		return exitFindings
	case errors.As(err, &ue):
		fmt.Fprintf(io.err, "wuguard: error: %v\n", err)
		io.hintf("run 'wuguard help' or add --help to the command for usage")
		return exitUsage
	default:
		fmt.Fprintf(io.err, "wuguard: error: %v\n", err)
		return exitError
	}
}
