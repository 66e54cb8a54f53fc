package update_test

import (
	"testing"
	"time"

	"github.com/wuguard/wuguard/internal/textlog"
	"github.com/wuguard/wuguard/internal/update"
)

func TestAppendFromText(t *testing.T) {
	at := time.Date(2025, 4, 9, 3, 44, 28, 0, time.UTC)
	cases := []struct {
		name  string
		entry textlog.Entry
		want  []update.Kind
	}{
		{"install failed", textlog.Entry{Log: textlog.LogWindowsUpdate, Kind: textlog.KindInstallFailed, UpdateID: "C6E1B0D2-9F43-47A8-B215-0E7D3A9C6F58", KB: "KB5057589", ErrorCode: 0x80070643, HasError: true}, []update.Kind{update.KindInstallFailed}},
		{"installed, restart needed", textlog.Entry{Log: textlog.LogWindowsUpdate, Kind: textlog.KindInstallSucceeded, KB: "KB5055518", RebootRequired: true, HasError: true}, []update.Kind{update.KindInstalled, update.KindRestartRequired}},
		{"anonymous reboot required", textlog.Entry{Log: textlog.LogWindowsUpdate, Kind: textlog.KindRebootRequired, RebootRequired: true}, []update.Kind{update.KindRestartRequired}},
		{"call complete shows activity", textlog.Entry{Log: textlog.LogWindowsUpdate, Kind: textlog.KindCallComplete}, []update.Kind{update.KindScan}},
		{"WindowsUpdate.log error without update", textlog.Entry{Log: textlog.LogWindowsUpdate, Kind: textlog.KindError, ErrorCode: 0x80240022, HasError: true}, nil},
		{"CBS package staged, restart needed", textlog.Entry{Log: textlog.LogCBS, Kind: textlog.KindPackageStateChange, Package: "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5737.1.7", ToState: "Staged", RebootRequired: true, HasError: true}, []update.Kind{update.KindRestartRequired}},
		{"CBS package installed", textlog.Entry{Log: textlog.LogCBS, Kind: textlog.KindPackageStateChange, Package: "Package_for_KB5057589~31bf3856ad364e35~amd64~~19041.5737.1.2", ToState: "Installed", HasError: true}, []update.Kind{update.KindInstalled}},
		{"CBS applicability line", textlog.Entry{Log: textlog.LogCBS, Kind: textlog.KindPackageStateChange, Package: "Package_for_KB5057589~31bf3856ad364e35~amd64~~19041.5737.1.2", TargetState: "Installed"}, nil},
		{"CBS package failed", textlog.Entry{Log: textlog.LogCBS, Kind: textlog.KindPackageFailed, KB: "KB5034441", ErrorCode: 0x800F0828, HasError: true}, []update.Kind{update.KindInstallFailed}},
		{"CBS session needs restart", textlog.Entry{Log: textlog.LogCBS, Kind: textlog.KindSessionFinalized, RebootRequired: true}, []update.Kind{update.KindRestartRequired}},
		{"CBS session without restart", textlog.Entry{Log: textlog.LogCBS, Kind: textlog.KindSessionFinalized}, nil},
		{"CBS error line", textlog.Entry{Log: textlog.LogCBS, Kind: textlog.KindError, ErrorCode: 0x800f0922, HasError: true, Text: "Failed to process advanced operation queue"}, []update.Kind{update.KindServicingError}},
		{"CBS startup at boot", textlog.Entry{Log: textlog.LogCBS, Kind: textlog.KindStartup, Boot: true, Text: "Startup: Processing advanced operation queue"}, []update.Kind{update.KindBoot}},
		{"CBS other line about a failure", textlog.Entry{Log: textlog.LogCBS, Kind: textlog.KindOther, Text: "RegisterTask failed 0x80070002"}, []update.Kind{update.KindServicingError}},
		{"CBS other line", textlog.Entry{Log: textlog.LogCBS, Kind: textlog.KindOther, Text: "Loaded Servicing Stack"}, nil},
	}
	for _, c := range cases {
		e := c.entry
		e.Time, e.File, e.Line = at, "logs/x.log", 7
		obs := update.AppendFromText(nil, &e)
		if len(obs) != len(c.want) {
			t.Errorf("%s: %d observations, want %d", c.name, len(obs), len(c.want))
			continue
		}
		for i, o := range obs {
			if o.Kind != c.want[i] || o.Computer != "" || o.Evidence.Format != "text" || o.Evidence.Line != 7 || o.Evidence.Provider != e.Log {
				t.Errorf("%s: observation %d = %+v", c.name, i, o)
			}
		}
	}
	e := textlog.Entry{Log: textlog.LogWindowsUpdate, Kind: textlog.KindInstallFailed, UpdateID: "C6E1B0D2-9F43-47A8-B215-0E7D3A9C6F58", Title: "Update (KB5057589)", ErrorCode: 0x80070643, HasError: true, Time: at}
	o := update.AppendFromText(nil, &e)[0]
	if o.UpdateID != "c6e1b0d2-9f43-47a8-b215-0e7d3a9c6f58" || o.KB != "KB5057589" || !o.HasError || o.ErrorCode != 0x80070643 {
		t.Fatalf("%+v", o)
	}
}
