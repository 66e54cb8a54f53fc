package triage

import (
	"time"

	"github.com/wuguard/wuguard/internal/update"
	"github.com/wuguard/wuguard/pwsh"
)

// SchemaVersion is the version of the JSON report (docs/triage-json.md).
// Fields are only ever added; a change that removes or renames one bumps it.
const SchemaVersion = 1

// Result is the triage of every host found in the inputs. It is the JSON
// report as it is written; renderers for text and HTML read the same values.
type Result struct {
	SchemaVersion int       `json:"schema_version"`
	GeneratedAt   time.Time `json:"generated_at"`
	Lang          string    `json:"lang"`
	Summary       Summary   `json:"summary"`
	Hosts         []Host    `json:"hosts"`
	Inputs        Inputs    `json:"inputs"`
}

// Inputs says what was read.
type Inputs struct {
	Files        int `json:"files"`
	Events       int `json:"events_used"`
	TextLines    int `json:"text_lines_used"`
	DamagedParts int `json:"damaged_parts"`
}

// Summary counts updates by assessment, and the ones waiting for a restart.
type Summary struct {
	Updates     int `json:"updates"`
	NeedsAction int `json:"needs_action"`
	FalseAlarm  int `json:"false_alarm"`
	Investigate int `json:"investigate"`
	// NoResult counts the updates among Investigate whose logs show no
	// result and no error: nothing went wrong that the logs show.
	NoResult       int `json:"no_result"`
	OK             int `json:"ok"`
	PendingRestart int `json:"pending_restart"`
}

func (s *Summary) add(u *Update) {
	s.Updates++
	switch u.Assessment {
	case "needs-action":
		s.NeedsAction++
	case "false-alarm":
		s.FalseAlarm++
	case "investigate":
		s.Investigate++
		if u.NoResult() {
			s.NoResult++
		}
	default:
		s.OK++
	}
	if u.Status == string(update.StatusPendingRestart) {
		s.PendingRestart++
	}
}

func (s *Summary) merge(o Summary) {
	s.Updates += o.Updates
	s.NeedsAction += o.NeedsAction
	s.FalseAlarm += o.FalseAlarm
	s.Investigate += o.Investigate
	s.NoResult += o.NoResult
	s.OK += o.OK
	s.PendingRestart += o.PendingRestart
}

// Host is the triage of one computer.
type Host struct {
	Computer string `json:"computer"`
	// Build is the OS build its boot events report, "" when unknown.
	Build      string    `json:"build"`
	FirstEvent time.Time `json:"first_event"`
	LastEvent  time.Time `json:"last_event"`
	Summary    Summary   `json:"summary"`
	// TextLogs says how text-log times were put on UTC; null without text logs.
	TextLogs        *TextLogClock    `json:"text_logs"`
	PendingRestarts []PendingRestart `json:"pending_restarts"`
	Boots           []Boot           `json:"boots"`
	Updates         []Update         `json:"updates"`
	// ScriptFindings are the PowerShell scripts the host's logs recorded
	// that the analysis judged malicious or suspicious, in time order: a
	// fake "fix" someone was talked into running shows here.
	ScriptFindings []ScriptFinding `json:"script_findings"`
}

// ScriptFinding is one PowerShell script of a host judged malicious or
// suspicious (see docs/hunt.md for where scripts come from).
type ScriptFinding struct {
	Time          time.Time      `json:"time"`
	File          string         `json:"file"`
	Channel       string         `json:"channel"`
	EventID       uint16         `json:"event_id"`
	RecordIDs     []uint64       `json:"record_ids"`
	Kind          string         `json:"kind"`
	ScriptBlockID string         `json:"script_block_id,omitempty"`
	Verdict       string         `json:"verdict"`
	Score         int            `json:"score"`
	Summary       []string       `json:"summary"`
	Reasons       []ScriptReason `json:"reasons"`
	IOCs          []pwsh.IOC     `json:"iocs"`
}

// ScriptReason is one finding of the analysis, in the report's language.
type ScriptReason struct {
	ID     string `json:"id"`
	Attack string `json:"attack"`
	Text   string `json:"text"`
}

// TextLogClock says how the local times of a host's text logs were turned
// into UTC.
type TextLogClock struct {
	// UTCOffset is the offset of the local time the logs were written in,
	// "+09:00"; their times were shifted by its negative.
	UTCOffset string `json:"utc_offset"`
	// Source is "estimated" (from Pairs lines matched with events), "given"
	// (--text-log-offset) or "none" (nothing to tell it by: taken as UTC).
	Source string `json:"source"`
	Pairs  int    `json:"pairs"`
}

// PendingRestart is a span during which an update waited for a restart.
type PendingRestart struct {
	Key   string    `json:"key"`
	Title string    `json:"title"`
	Since time.Time `json:"since"`
	// Until is the boot that ended the wait; null while still pending.
	Until    *time.Time        `json:"until"`
	Evidence []update.Evidence `json:"evidence"`
	// ClearedBy holds the records of the boot that ended the wait.
	ClearedBy []update.Evidence `json:"cleared_by"`
}

// Boot is one start of Windows.
type Boot struct {
	Time                    time.Time         `json:"time"`
	AfterUnexpectedShutdown bool              `json:"after_unexpected_shutdown"`
	Evidence                []update.Evidence `json:"evidence"`
}

// Update is the verdict on one update and the history behind it.
type Update struct {
	// Key identifies the update within its host (see update.Update.Key).
	Key      string `json:"key"`
	KB       string `json:"kb"`
	UpdateID string `json:"update_id"`
	Title    string `json:"title"`
	// Status is installed, pending-restart, failed or unknown.
	Status string `json:"status"`
	// StatusAt is when the lifecycle's status was reached (the result or the
	// restart request it rests on); zero when no result is logged.
	StatusAt time.Time `json:"status_at"`
	// Assessment is ok, false-alarm, needs-action or investigate.
	Assessment     string          `json:"assessment"`
	ReportedErrors []ReportedError `json:"reported_errors"`
	// KnownIssue is the catalog entry that decided the verdict, or null.
	KnownIssue *KnownIssue `json:"known_issue"`
	Guidance   string      `json:"guidance"`
	// Evidence lists the facts the verdict rests on, each with its records.
	Evidence []Claim   `json:"evidence"`
	Attempts []Attempt `json:"attempts"`
	// LastActivity is the time of the update's latest observation.
	LastActivity time.Time `json:"last_activity"`
}

// NoResult reports whether the update's logs show neither a result nor an
// error: only downloads or starts.
func (u *Update) NoResult() bool {
	return u.Status == string(update.StatusUnknown) && len(u.ReportedErrors) == 0 && u.KnownIssue == nil
}

// ReportedError is one error code an update reported, decoded.
type ReportedError struct {
	Code     string    `json:"code"`
	Name     string    `json:"name"`
	Meaning  string    `json:"meaning"`
	Count    int       `json:"count"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
	ScamBait bool      `json:"scam_bait"`
}

// KnownIssue names the catalog entry and case behind a verdict.
type KnownIssue struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Case    string   `json:"case"`
	Summary string   `json:"summary"`
	Sources []string `json:"sources"`
	Builtin bool     `json:"builtin"`
}

// Claim is one fact and the records that show it.
type Claim struct {
	Text     string            `json:"text"`
	Evidence []update.Evidence `json:"evidence"`
}

// Attempt is one try to install the update.
type Attempt struct {
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished"`
	Result          string    `json:"result"`
	ErrorCode       string    `json:"error_code"`
	Codes           []string  `json:"codes"`
	Revision        int       `json:"revision"`
	RestartRequired bool      `json:"restart_required"`
	// ErrorPhase is WinREAgent 4502's phase, or null.
	ErrorPhase   *int    `json:"error_phase"`
	WinREVersion string  `json:"winre_version,omitempty"`
	Events       []Event `json:"events"`
}

// Event is one observation in an attempt's timeline.
type Event struct {
	Time      time.Time       `json:"time"`
	Kind      string          `json:"kind"`
	ErrorCode string          `json:"error_code,omitempty"`
	Evidence  update.Evidence `json:"evidence"`
}
