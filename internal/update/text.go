package update

import (
	"strings"

	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/textlog"
)

// AppendFromText appends what one WindowsUpdate.log, ReportingEvents.log or
// CBS.log entry says to dst and returns it. Entries carry no computer name,
// and local time that [EstimateTextOffset] puts on UTC later. The
// observations own their strings: the reader reuses e.
func AppendFromText(dst []Observation, e *textlog.Entry) []Observation {
	n := len(dst)
	dst = appendFromText(dst, e)
	for i := n; i < len(dst); i++ {
		dst[i].detach()
	}
	return dst
}

func appendFromText(dst []Observation, e *textlog.Entry) []Observation {
	cbs := e.Log == textlog.LogCBS
	o := Observation{
		Time:     e.Time,
		UpdateID: NormalizeGUID(e.UpdateID),
		Revision: e.Revision,
		KB:       strings.ToUpper(e.KB),
		Title:    e.Title,
		Package:  e.Package,
		Client:   e.Client,
		Text:     e.Text,
		Evidence: Evidence{
			File:     e.File,
			Format:   string(event.FormatText),
			Provider: e.Log,
			Line:     e.Line,
			Offset:   e.Offset,
			Time:     e.Time,
		},
	}
	if e.HasError && e.ErrorCode != 0 {
		o.ErrorCode, o.HasError = e.ErrorCode, true
	}
	if o.KB == "" {
		o.KB = ExtractKB(o.Title)
	}
	if o.KB == "" {
		o.KB = ExtractKB(o.Package)
	}
	if e.Boot {
		// CBS startup processing runs only while Windows starts.
		b := o
		b.Kind, b.HasError, b.ErrorCode = KindBoot, false, 0
		dst = append(dst, b)
	}
	named := o.KB != "" || o.UpdateID != "" || o.Package != "" || o.Title != ""
	switch e.Kind {
	case textlog.KindDownloadStarted:
		o.Kind = KindDownloadStarted
	case textlog.KindDownloaded:
		o.Kind = KindDownloaded
	case textlog.KindInstallStarted:
		o.Kind = KindInstallStarted
	case textlog.KindInstallSucceeded:
		o.Kind = KindInstalled
	case textlog.KindInstallFailed, textlog.KindPackageFailed:
		o.Kind = KindInstallFailed
	case textlog.KindRebootRequired:
		o.Kind = KindRestartRequired
		named = true
	case textlog.KindSessionFinalized:
		if !e.RebootRequired {
			return dst
		}
		o.Kind = KindRestartRequired
		named = true
	case textlog.KindPackageStateChange:
		switch {
		case o.HasError:
			o.Kind = KindInstallFailed
		case e.RebootRequired:
			o.Kind = KindRestartRequired
		case strings.EqualFold(e.ToState, "Installed"):
			o.Kind = KindInstalled
		case strings.EqualFold(e.ToState, "Absent"):
			o.Kind = KindUninstalled
		default:
			return dst
		}
	case textlog.KindCallComplete:
		if cbs {
			return dst
		}
		// A finished Windows Update call names no update but shows the
		// client at work, which no_failure_after_next_boot looks for.
		o.Kind = KindScan
		named = true
	default:
		if !cbs || !(o.HasError || notableCBSText(e.Text)) {
			return dst
		}
		// Kept for cbs_error_code and cbs_log_contains.
		o.Kind = KindServicingError
		named = true
	}
	if !named {
		// An update line that names no update cannot join any history.
		return dst
	}
	dst = append(dst, o)
	if o.Kind == KindInstalled && e.RebootRequired {
		r := o
		r.Kind = KindRestartRequired
		dst = append(dst, r)
	}
	return dst
}

// notableCBSText picks the CBS.log lines worth keeping for cbs_log_contains
// besides those with an error code: the ones that describe a failure.
// Keeping every line of a CBS.log would cost memory for no evidence.
func notableCBSText(s string) bool {
	l := strings.ToLower(s)
	for _, w := range []string{"error", "fail", "insufficient", "corrupt"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}
