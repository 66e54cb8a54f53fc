package textlog

import (
	"strconv"
	"time"
)

// Kind says what one log line tells about an update's lifecycle.
type Kind int

// Line kinds. Every recognised line is one of these; most lines are
// KindOther and are kept for context.
const (
	KindOther              Kind = iota // a line kept for context, no lifecycle meaning
	KindDownloadStarted                // an update was put in a download job
	KindDownloaded                     // an update's content finished downloading
	KindInstallStarted                 // an update's installation began
	KindInstallSucceeded               // an update installed
	KindInstallFailed                  // an update failed to install; ErrorCode says why
	KindRebootRequired                 // an install finished but needs a restart
	KindPackageStateChange             // CBS "Reporting package change" / "Exec: Processing complete" / "Appl: ..." lines
	KindPackageFailed                  // CBS failure with HRESULT for a package
	KindSessionFinalized               // CBS "Session: ... finalized. Reboot required: yes/no"
	KindStartup                        // CBS/TrustedInstaller startup, or Windows Update service startup
	KindError                          // any other line with a failure HRESULT
	// KindCallComplete is the end of a Windows Update API call (search,
	// download, install) for a whole batch: "Exit code = ...; Call error
	// code = ...", "Install call complete (succeeded = 0, ... failed = 1".
	// It names no update; HasError and ErrorCode hold the call's result when
	// the line states one.
	KindCallComplete
)

var kindNames = [...]string{
	KindOther:              "other",
	KindDownloadStarted:    "download-started",
	KindDownloaded:         "downloaded",
	KindInstallStarted:     "install-started",
	KindInstallSucceeded:   "install-succeeded",
	KindInstallFailed:      "install-failed",
	KindRebootRequired:     "reboot-required",
	KindPackageStateChange: "package-state-change",
	KindPackageFailed:      "package-failed",
	KindSessionFinalized:   "session-finalized",
	KindStartup:            "startup",
	KindError:              "error",
	KindCallComplete:       "call-complete",
}

// String returns the kind's stable name ("install-failed").
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Log names, the values of [Entry.Log].
const (
	LogWindowsUpdate   = "WindowsUpdate.log"
	LogReportingEvents = "ReportingEvents.log"
	LogCBS             = "CBS.log"
)

// Entry is one log line (with its continuation lines) reduced to what the
// update lifecycle needs.
//
// The reader reuses one Entry for every call of its callback: copy what must
// outlive the call.
type Entry struct {
	Log    string // LogWindowsUpdate, LogReportingEvents or LogCBS
	File   string
	Line   int   // 1-based line number of the entry's first line
	Offset int64 // byte offset of that line in the file (UTF-16 files count two bytes a unit)
	// Time is the wall-clock time written in the log. The logs record local
	// time without a zone, so Time carries that wall clock in time.UTC; it
	// is not the UTC instant. Callers that know the host's offset shift it.
	Time time.Time
	Kind Kind

	// Level and Component are the CBS.log severity ("Info", "Warning",
	// "Error") and the component column of either log ("CBS", "CSI",
	// "Agent", "Handler", "DownloadManager", ...).
	Level     string
	Component string

	UpdateID string // lower-case GUID without braces, when the line names one
	Revision int    // the update revision ("{GUID}.201"), 0 when not given
	KB       string // "KB5057589" when the line names one
	// Package is a CBS package identity, e.g.
	// Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5737.1.7.
	Package string
	// Build is the OS build a Package_for_* identity targets ("19041.5737"),
	// the only update identity a cumulative update's package has.
	Build string
	Title string

	ErrorCode uint32
	// HasError is set when ErrorCode is meaningful, including 0 (success)
	// when the line states a result.
	HasError       bool
	RebootRequired bool
	// FromState and ToState are CBS package states as text ("Staged",
	// "Installed", "Absent", ...) before and after a reported change;
	// TargetState is the state the change aimed at, or the applicable state
	// of an "Appl:" line.
	FromState, ToState, TargetState string
	// Client is the CBS client id (WindowsUpdateAgent, UpdateAgentLCU, DISM
	// Package Manager Provider, ...) or the Windows Update caller
	// (UpdateOrchestrator, AutomaticUpdates, ...).
	Client string
	// Boot is set on CBS startup-processing lines, which run only while
	// Windows starts: they show a restart happened.
	Boot bool
	Text string // the message part of the line
}
