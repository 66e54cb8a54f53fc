package textlog_test

import (
	"testing"

	"github.com/wuguard/wuguard/internal/textlog"
)

// TestDomainLines feeds the line shapes docs/domain.md 2.6 quotes, one at a
// time, and checks what each yields.
func TestDomainLines(t *testing.T) {
	const wuPrefix = "2019/06/05 11:07:50.0950566 21136   9740  "
	const cbsPrefix = "2017-03-10 10:24:32, Info                  CBS    "
	for _, c := range []struct {
		cbs    bool
		line   string
		kind   textlog.Kind
		update string
		code   uint32
		check  func(e textlog.Entry) bool
	}{
		{false, "Agent           LogHistory called. idUpdate={E0F87EBF-B414-4AC7-A225-8FE802CF8618}.1, resultMapped=80070643, resultUnMapped=FFFE",
			textlog.KindInstallFailed, "e0f87ebf-b414-4ac7-a225-8fe802cf8618", 0x80070643, nil},
		{false, "Agent           Install updates CallerId = UpdateOrchestrator",
			textlog.KindOther, "", 0, func(e textlog.Entry) bool { return e.Client == "UpdateOrchestrator" }},
		{false, "ComApi          Install call complete (succeeded = 0, succeeded with errors = 0, failed = 1, cancelled = 0, unaccounted = 0",
			textlog.KindCallComplete, "", 0, nil},
		{false, "ComApi          Reboot required = False",
			textlog.KindOther, "", 0, func(e textlog.Entry) bool { return !e.RebootRequired }},
		{false, "ComApi          Reboot required = True",
			textlog.KindRebootRequired, "", 0, func(e textlog.Entry) bool { return e.RebootRequired }},
		{false, "ComApi          Exit code = 0x00000000; Call error code = 0x80240022",
			textlog.KindCallComplete, "", 0x80240022, nil},
		{false, "DownloadManager DO job {996E1F2A-0C3B-4D5E-8F60-718293A4B5C6} completed successfully, updateId = E0F87EBF-B414-4AC7-A225-8FE802CF8618.1",
			textlog.KindDownloaded, "e0f87ebf-b414-4ac7-a225-8fe802cf8618", 0, nil},
		{false, "Agent           * START * Finding updates CallerId = Update;taskhostw Id = 25",
			textlog.KindOther, "", 0, func(e textlog.Entry) bool { return e.Client == "Update;taskhostw" }},
		{false, "Misc            *FAILED* [80070426] Method failed [AuthTicketHelper::GetDeviceTickets:570]",
			textlog.KindError, "", 0x80070426, nil},
		{false, "Agent           Exit code = 0x80070426",
			textlog.KindCallComplete, "", 0x80070426, nil},
		{false, "Handler         Loaded state. m_dwState now: Setup360_Phase2DownloadRequest(7)",
			textlog.KindOther, "", 0, nil},
		{false, "Agent           Adding update {E0F87EBF-B414-4AC7-A225-8FE802CF8618}.201 to the update list",
			textlog.KindOther, "e0f87ebf-b414-4ac7-a225-8fe802cf8618", 0, func(e textlog.Entry) bool { return e.Revision == 201 }},
		{false, "Agent           Title = 2025-04 Update for Windows 10 Version 22H2 for x64-based Systems (KB5057589)",
			textlog.KindOther, "", 0, func(e textlog.Entry) bool { return e.KB == "KB5057589" }},
		{true, "Exec: Processing complete.  Session: 30579072_298067563, Package: Package_for_KB5034441~31bf3856ad364e35~amd64~~19041.3920.1.2, Identifier: KB5034441 [HRESULT = 0x800f0828 - CBS_E_INSUFFICIENT_DISK_SPACE]",
			textlog.KindPackageFailed, "", 0x800F0828, func(e textlog.Entry) bool { return e.KB == "KB5034441" && e.Build == "19041.3920" }},
		{true, "Session: 30579072_298067563 finalized. Reboot required: no [HRESULT = 0x00000000 - S_OK]",
			textlog.KindSessionFinalized, "", 0, func(e textlog.Entry) bool { return e.HasError && !e.RebootRequired }},
		{true, "Reporting package change for package: Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5737.1.7, current: Staged, pending: Default, start: Staged, applicable: Installed, target: Installed, limit: Installed, status: 0x800f0922, failure source: Execute, reboot required: False, client id: DISM Package Manager Provider, overall result:0x800f0922 (CBS_E_INSTALLERS_FAILED)",
			textlog.KindPackageFailed, "", 0x800F0922, func(e textlog.Entry) bool {
				return e.FromState == "Staged" && e.ToState == "Staged" && e.TargetState == "Installed" && e.Client == "DISM Package Manager Provider" && e.KB == "" && e.Build == "19041.5737"
			}},
		{true, "Startup: Failed to process advanced operation queue, startupPhase: 0. A rollback transaction will be created. [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]",
			textlog.KindError, "", 0x800F0922, func(e textlog.Entry) bool { return e.Boot }},
		{true, "Setting original failure status: 0x800f0922, last forward execute state: CbsExecuteStateResolvePending",
			textlog.KindError, "", 0x800F0922, nil},
		{true, "Store corruption, manifest missing for package: Package_for_KB5034441~31bf3856ad364e35~amd64~~19041.3920.1.2 [HRESULT = 0x800f0831 - CBS_E_STORE_CORRUPTION]",
			textlog.KindPackageFailed, "", 0x800F0831, nil},
	} {
		read, prefix := textlog.ReadWindowsUpdateLog, wuPrefix
		if c.cbs {
			read, prefix = textlog.ReadCBSLog, cbsPrefix
		}
		entries, damage := collect(t, read, []byte(prefix+c.line+"\n"))
		if len(entries) != 1 || len(damage) != 0 {
			t.Errorf("%s: %d entries, damage %v", c.line, len(entries), damage)
			continue
		}
		e := entries[0]
		if e.Kind != c.kind || e.UpdateID != c.update || (c.code != 0 && (!e.HasError || e.ErrorCode != c.code)) || (c.check != nil && !c.check(e)) {
			t.Errorf("%s:\n got %+v", c.line, e)
		}
	}
}
