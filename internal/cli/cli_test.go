package cli

import (
	"bytes"
	"strings"
	"testing"
)

// run executes the CLI in-process and returns stdout, stderr and the exit status.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestVersion(t *testing.T) {
	out, _, code := run(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "wuguard ") {
		t.Fatalf("version: code %d, out %q", code, out)
	}
}

func TestUsageErrorExitsTwo(t *testing.T) {
	_, errOut, code := run(t, "--no-such-flag")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	if !strings.HasPrefix(errOut, "wuguard: error: ") {
		t.Fatalf("stderr %q lacks the error prefix", errOut)
	}
}

// TestHelpEverywhere parses --help on every command, so a broken flag
// definition fails here rather than in a user's terminal.
func TestHelpEverywhere(t *testing.T) {
	var g globalOptions
	root := newRootCommand(&g, stdio{out: &bytes.Buffer{}, err: &bytes.Buffer{}})
	for _, c := range root.Commands() {
		out, _, code := run(t, c.Name(), "--help")
		if code != exitOK || !strings.Contains(out, c.Name()) {
			t.Errorf("%s --help: exit %d, out %q", c.Name(), code, out)
		}
	}
}
