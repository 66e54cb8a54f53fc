package update

import (
	"slices"
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

// detach copies every string of o, so that o no longer shares memory with a
// reader's buffers, which input.Handler allows readers to reuse.
func (o *Observation) detach() {
	for _, s := range []*string{&o.Computer, &o.KB, &o.UpdateID, &o.Title, &o.Package, &o.Client,
		&o.WinREVersion, &o.Build, &o.Text, &o.Evidence.File, &o.Evidence.Format,
		&o.Evidence.Provider, &o.Evidence.Channel} {
		*s = strings.Clone(*s)
	}
}

// ExtractKB returns the first KB number in s as "KB1234567", or "". It finds
// them in titles ("… (KB5057589)"), CBS package names
// ("Package_for_KB5057589~31bf…") and .msu names ("…-kb5057589-x64.msu"):
// "KB", an optional space, then 6 to 8 digits, not preceded by a letter or
// digit nor followed by a digit.
func ExtractKB(s string) string {
	kb, _ := nextKB(s)
	return kb
}

// extractKBs returns every distinct KB number in s, in order.
func extractKBs(s string) []string {
	var kbs []string
	for {
		kb, rest := nextKB(s)
		if kb == "" {
			return kbs
		}
		if !slices.Contains(kbs, kb) {
			kbs = append(kbs, kb)
		}
		s = rest
	}
}

// nextKB finds the first KB number in s and returns it with the text after it.
func nextKB(s string) (kb, rest string) {
	for i := 0; i+2 < len(s); i++ {
		if s[i]|0x20 != 'k' || s[i+1]|0x20 != 'b' || (i > 0 && isAlnum(s[i-1])) {
			continue
		}
		j := i + 2
		if s[j] == ' ' {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if n := k - j; n >= 6 && n <= 8 {
			return "KB" + s[j:k], s[k:]
		}
	}
	return "", ""
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
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

// Names of the text logs, used as Evidence.Provider for their lines (the
// values of textlog.Entry.Log).
const (
	LogWindowsUpdate   = "WindowsUpdate.log"
	LogReportingEvents = "ReportingEvents.log"
	LogCBS             = "CBS.log"
)

// fromWindowsUpdate reports whether an observation comes from the Windows
// Update client: its events, WindowsUpdate.log or ReportingEvents.log.
func fromWindowsUpdate(e *Evidence) bool {
	return strings.EqualFold(e.Provider, providerWU) || e.Provider == LogWindowsUpdate || e.Provider == LogReportingEvents
}
