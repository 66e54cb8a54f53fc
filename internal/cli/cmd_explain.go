package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wuguard/wuguard/internal/explain"
)

type explainOptions struct {
	kb       string
	format   string
	lang     string
	catalogs []string
}

func newExplainCommand(io stdio) *cobra.Command {
	var o explainOptions
	c := &cobra.Command{
		Use:   "explain CODE",
		Short: "Decode an update error code and list the known issues about it",
		Long: `Explain decodes an HRESULT or Win32 error code written in any spelling (0x80070643,
80070643, -2147023293, 2147944003, 1603): its severity, facility, Win32 code,
symbolic name and meaning. It then lists the known issues of the catalog about the
code (only those naming --kb when given), with the evidence each one needs and what
to do. Put -- before a negative decimal code: wuguard explain -- -2147023293. For codes that fake support sites use, it warns that a real fix never asks
you to paste a command from a web page.

--format json writes the schema of docs/explain-json.md.

` + exitStatusHelp,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("explain takes one error code, such as 0x80070643")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			return runExplain(io, &o, args[0])
		},
	}
	f := c.Flags()
	f.StringVar(&o.kb, "kb", "", "only known issues about this KB (KB5057589 or 5057589)")
	f.StringVar(&o.format, "format", "text", "output format: text or json")
	f.StringVar(&o.lang, "lang", "en", "language: en or ja")
	f.StringArrayVar(&o.catalogs, "catalog", nil, "add the known-issue entries (*.yaml) of this folder; repeatable")
	return c
}

func runExplain(io stdio, o *explainOptions, code string) error {
	if o.format != "text" && o.format != "json" {
		return usagef("--format %q: want text or json", o.format)
	}
	if o.lang != "en" && o.lang != "ja" {
		return usagef("--lang %q: want en or ja", o.lang)
	}
	cat, damaged, err := loadCatalog(io, o.catalogs)
	if err != nil {
		return err
	}
	r, err := explain.Explain(code, o.kb, cat, o.lang)
	if err != nil {
		return usagef("%v", err)
	}
	if o.format == "json" {
		err = explain.WriteJSON(io.out, r)
	} else {
		err = explain.WriteText(io.out, r, o.lang)
	}
	if err != nil {
		return fmt.Errorf("failed to write explanation: %w", err)
	}
	if damaged {
		return errDamagedInput
	}
	return nil
}
