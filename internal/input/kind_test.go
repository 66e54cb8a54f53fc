package input

import "testing"

func TestKindByName(t *testing.T) {
	for name, want := range map[string]Kind{
		`C:\Windows\System32\winevt\Logs\System.evtx`: KindEVTX,
		"logs/Setup.EVTX":               KindEVTX,
		"export.xml":                    KindXML,
		"events.jsonl":                  KindJSONL,
		"events.json":                   KindJSONL,
		"WindowsUpdate.log":             KindWindowsUpdateLog,
		"WindowsUpdate.20250409.log":    KindWindowsUpdateLog,
		"ReportingEvents.log":           KindWindowsUpdateLog,
		"CBS.log":                       KindCBSLog,
		"CbsPersist_20250409073200.log": KindCBSLog,
		"dism.log":                      KindUnknown,
		"notes.txt":                     KindUnknown,
	} {
		if got := KindByName(name); got != want {
			t.Errorf("KindByName(%q) = %v, want %v", name, got, want)
		}
	}
}
