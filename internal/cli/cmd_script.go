package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/wuguard/wuguard/internal/scriptview"
	"github.com/wuguard/wuguard/pwsh"
)

type scriptOptions struct {
	format string
	lang   string
	failOn string
}

// maxScriptBytes bounds what one input may make wuguard read into memory; the
// largest real scripts in the labelled corpus are a few MiB.
const maxScriptBytes = 64 << 20

func newScriptCommand(io stdio) *cobra.Command {
	var o scriptOptions
	c := &cobra.Command{
		Use:   "script [FILE|-]...",
		Short: "Explain what a PowerShell script or pasted command would do, without running it",
		Long: `Script reads a PowerShell script, or a one-line command such as the one a web page
asks you to paste into Win+R (also a whole "powershell.exe ..." or "cmd /c ..."
command line), and tells you what it would do. Nothing is run: wuguard peels off
the layers of obfuscation (base64, compression, character codes, string tricks,
Invoke-Expression of computed text) by evaluating strings only.

It prints the verdict first (malicious, suspicious or no-known-bad), then what the
script does in plain words, the reasons with the exact text behind each, the
web addresses and files it names (defanged, so they cannot be clicked), and the
layers. With no FILE, or with -, it reads standard input.

Examples:
  wuguard script suspicious.ps1
  wuguard script -            (paste the command, then Ctrl+D, or Ctrl+Z Enter on Windows)
  wuguard script --lang ja fix.txt
  wuguard script --format json *.ps1   (one JSON object per line, schema in docs/script.md)

` + exitStatusHelp + `
  4  --fail-on was given and an input was judged at or above that verdict`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScript(cmd.Context(), io, &o, args)
		},
	}
	f := c.Flags()
	f.StringVar(&o.format, "format", "text", "output format: text or json (one object per line)")
	f.StringVar(&o.lang, "lang", "en", "language of the text output: en or ja")
	f.StringVar(&o.failOn, "fail-on", "", "exit with status 4 if an input is judged at or above this verdict: suspicious or malicious")
	return c
}

func runScript(ctx context.Context, io stdio, o *scriptOptions, args []string) error {
	if o.format != "text" && o.format != "json" {
		return usagef("--format %q: want text or json", o.format)
	}
	if o.lang != "en" && o.lang != "ja" {
		return usagef("--lang %q: want en or ja", o.lang)
	}
	failRank := 0
	switch o.failOn {
	case "":
	case "suspicious":
		failRank = 1
	case "malicious":
		failRank = 2
	default:
		return usagef("--fail-on %q: want suspicious or malicious", o.failOn)
	}
	if len(args) == 0 {
		args = []string{"-"}
	}
	out := bufio.NewWriter(io.out)
	defer out.Flush()
	damaged, worst := false, 0
	for i, name := range args {
		data, err := readScript(io, name)
		if err != nil {
			fmt.Fprintf(io.err, "wuguard: warning: failed to read %q: %v\n", name, err)
			damaged = true
			continue
		}
		text, enc := pwsh.DecodeText(data)
		item := scriptview.Item{File: name, Encoding: enc, Result: pwsh.Analyze(ctx, text, nil)}
		worst = max(worst, verdictRank(item.Result.Verdict))
		if o.format == "json" {
			err = scriptview.JSON(out, item)
		} else {
			if i > 0 {
				out.WriteString("\n")
			}
			if len(args) == 1 {
				item.File = ""
			}
			err = scriptview.Text(out, item, scriptview.TextOptions{Lang: o.lang, Color: isTerminal(io.out)})
		}
		if err != nil {
			return fmt.Errorf("failed to write the analysis: %w", err)
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("failed to write the analysis: %w", err)
	}
	switch {
	case failRank > 0 && worst >= failRank:
		return errFindings
	case damaged:
		return errDamagedInput
	}
	return nil
}

func verdictRank(v pwsh.Verdict) int {
	switch v {
	case pwsh.Malicious:
		return 2
	case pwsh.Suspicious:
		return 1
	}
	return 0
}

func readScript(std stdio, name string) ([]byte, error) {
	var r io.Reader = std.in
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxScriptBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxScriptBytes {
		return nil, fmt.Errorf("larger than %d MiB; analyse a smaller part", maxScriptBytes>>20)
	}
	return data, nil
}
