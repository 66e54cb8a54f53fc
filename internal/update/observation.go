package update

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Kind says what one observation tells about an update or about the host.
type Kind int

// Observation kinds. The update kinds carry an update identity (KB, update
// GUID, package or title); the host kinds do not.
const (
	KindUnknown Kind = iota

	KindDownloadStarted // WindowsUpdateClient 44, WindowsUpdate.log download start
	KindDownloaded      // WindowsUpdateClient 41 (Operational)
	KindDownloadFailed  // WindowsUpdateClient 31
	KindInstallStarted  // WindowsUpdateClient 43, Servicing 1
	KindInstalled       // WindowsUpdateClient 19, Servicing 2 to Installed, WUSA 2
	KindInstallFailed   // WindowsUpdateClient 20, Servicing 3 and 6, WUSA 3
	KindRestartRequired // Servicing 4, WindowsUpdateClient 21/22, WUSA 4, text logs
	KindUninstalled     // WindowsUpdateClient 23, Servicing 2 to Absent, WUSA 7
	KindUninstallFailed // WindowsUpdateClient 24, WUSA 8

	KindWinREStarted    // WinREAgent 4500
	KindWinRESucceeded  // WinREAgent 4501
	KindWinREFailed     // WinREAgent 4502
	KindWinRECancelled  // WinREAgent 4503
	KindWinRERolledBack // WinREAgent 4504

	KindBoot               // Kernel-General 12, EventLog 6005/6009
	KindShutdown           // Kernel-General 13, EventLog 6006
	KindRestartInitiated   // User32 1074
	KindUnexpectedShutdown // EventLog 6008, Kernel-Power 41 (both written at the next boot)
	KindScan               // WindowsUpdateClient 25/26: Windows Update ran a search
	KindServicingError     // a CBS.log error line not tied to a package result
)

var kindNames = [...]string{
	KindUnknown:            "unknown",
	KindDownloadStarted:    "download-started",
	KindDownloaded:         "downloaded",
	KindDownloadFailed:     "download-failed",
	KindInstallStarted:     "install-started",
	KindInstalled:          "installed",
	KindInstallFailed:      "install-failed",
	KindRestartRequired:    "restart-required",
	KindUninstalled:        "uninstalled",
	KindUninstallFailed:    "uninstall-failed",
	KindWinREStarted:       "winre-servicing-started",
	KindWinRESucceeded:     "winre-servicing-succeeded",
	KindWinREFailed:        "winre-servicing-failed",
	KindWinRECancelled:     "winre-servicing-cancelled",
	KindWinRERolledBack:    "winre-servicing-rolled-back",
	KindBoot:               "boot",
	KindShutdown:           "shutdown",
	KindRestartInitiated:   "restart-initiated",
	KindUnexpectedShutdown: "unexpected-shutdown",
	KindScan:               "scan",
	KindServicingError:     "servicing-error",
}

// String returns the kind's stable name, as used in JSON reports.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// aboutUpdate reports whether observations of this kind belong to one update.
func (k Kind) aboutUpdate() bool {
	return k >= KindDownloadStarted && k <= KindUninstallFailed
}

// aboutWinRE reports whether the kind comes from the WinRE servicing agent.
func (k Kind) aboutWinRE() bool {
	return k >= KindWinREStarted && k <= KindWinRERolledBack
}

// Evidence points at the record or line behind an observation, so that an
// administrator can open the log and check the claim.
type Evidence struct {
	File     string    `json:"file"`
	Format   string    `json:"format"`
	RecordID uint64    `json:"record_id,omitempty"`
	EventID  uint16    `json:"event_id,omitempty"`
	Provider string    `json:"provider,omitempty"`
	Channel  string    `json:"channel,omitempty"`
	Line     int       `json:"line,omitempty"`
	Offset   int64     `json:"offset"`
	Time     time.Time `json:"time"`
}

// Observation is one fact read from a log: an event record or a text-log line
// reduced to what the lifecycle needs.
type Observation struct {
	Time     time.Time
	Kind     Kind
	Computer string // empty for text logs, which do not name the host

	// Update identity; any of them may be empty.
	KB       string // "KB5057589"
	UpdateID string // lower-case GUID without braces
	Revision int
	Title    string
	Package  string // CBS package identifier
	Client   string // CBS client id, or the process behind a restart

	ErrorCode uint32
	HasError  bool

	// WinRE servicing details (WinREAgent 4501/4502).
	ErrorPhase    int
	HasErrorPhase bool
	WinREVersion  string

	// Build is the OS build a boot event reports ("19045.4291"), if any.
	Build string
	// Text is free text worth matching: a CBS.log line, a restart reason.
	Text string

	Evidence Evidence
}

// kbPattern finds "KB5057589" in titles ("… (KB5057589)") and in CBS package
// names ("Package_for_KB5057589~31bf…"), where \b would not see a boundary.
// detach copies every string of o, so that o no longer shares memory with a
// reader's buffers, which input.Handler allows readers to reuse.
func (o *Observation) detach() {
	for _, s := range []*string{&o.Computer, &o.KB, &o.UpdateID, &o.Title, &o.Package, &o.Client,
		&o.WinREVersion, &o.Build, &o.Text, &o.Evidence.File, &o.Evidence.Format,
		&o.Evidence.Provider, &o.Evidence.Channel} {
		*s = strings.Clone(*s)
	}
}

var kbPattern = regexp.MustCompile(`(?i)(?:^|[^a-z0-9])KB ?(\d{6,8})(?:$|[^0-9])`)

// ExtractKB returns the first KB number in s as "KB1234567", or "".
func ExtractKB(s string) string {
	m := kbPattern.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return "KB" + m[1]
}

// extractKBs returns every distinct KB number in s, in order.
func extractKBs(s string) []string {
	var kbs []string
	for _, m := range kbPattern.FindAllStringSubmatch(s, -1) {
		kb := "KB" + m[1]
		dup := false
		for _, k := range kbs {
			dup = dup || k == kb
		}
		if !dup {
			kbs = append(kbs, kb)
		}
	}
	return kbs
}

// NormalizeGUID returns g in lower case without braces, or "" when g is not a
// GUID.
func NormalizeGUID(g string) string {
	g = strings.ToLower(strings.Trim(strings.TrimSpace(g), "{}"))
	if len(g) != 36 {
		return ""
	}
	for i, r := range g {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return ""
			}
		default:
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
				return ""
			}
		}
	}
	return g
}

// Names of the text logs, used as Evidence.Provider for their lines.
const (
	LogWindowsUpdate = "WindowsUpdate.log"
	LogCBS           = "CBS.log"
)
