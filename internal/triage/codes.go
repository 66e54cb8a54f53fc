package triage

import "github.com/wuguard/wuguard/internal/errcode"

type codeInfo struct {
	Name, Meaning string
	ScamBait      bool
}

// describeCode names a code for reports.
func describeCode(code uint32) codeInfo {
	i := errcode.Lookup(code)
	return codeInfo{Name: i.Name, Meaning: i.Meaning, ScamBait: i.ScamBait}
}
