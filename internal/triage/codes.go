package triage

type codeInfo struct {
	Name, Meaning string
	ScamBait      bool
}

func describeCode(code uint32) codeInfo { return codeInfo{} }
