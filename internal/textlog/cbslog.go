package textlog

import (
	"bytes"
	"context"
	"io"

	"github.com/wuguard/wuguard/internal/input"
)

// ReadCBSLog streams the entries of a CBS.log (or a CbsPersist_*.log
// rotation) to fn in file order. Lines that do not start with a timestamp
// continue the entry before them. Damaged lines are passed to damage and
// skipped; a file without one CBS.log line is a single damage report.
// ReadCBSLog returns an error only when fn fails or ctx ends; fn may be
// called with a reused *Entry.
func ReadCBSLog(ctx context.Context, r io.Reader, file string, fn func(*Entry) error, damage func(input.Damage)) error {
	return readLog(ctx, r, file, "CBS.log", cbsParser{}, fn, damage)
}

type cbsParser struct{}

func (cbsParser) starts(line []byte) bool { return looksDated(line) }

func (cbsParser) finish(*damageLog) {}

// parse reads "2024-01-09 10:00:00, Info                  CBS    message".
func (cbsParser) parse(e *Entry, text []byte) (bool, string) {
	e.Log = LogCBS
	y, mo, d, ok := parseDate(text, '-')
	if !ok || len(text) < 20 || text[10] != ' ' {
		return false, "not a CBS.log timestamp (want YYYY-MM-DD HH:MM:SS,)"
	}
	h, mi, s, ok := parseClock(text[11:])
	if !ok || text[19] != ',' {
		return false, "not a CBS.log timestamp (want YYYY-MM-DD HH:MM:SS,)"
	}
	t, ok := wallClock(y, mo, d, h, mi, s, 0)
	if !ok {
		return false, "impossible date or time in the timestamp"
	}
	e.Time = t
	level, rest := token(text[20:])
	comp, msg := token(rest)
	if len(level) == 0 || len(comp) == 0 {
		return false, "CBS.log line without level and component columns"
	}
	e.Level = internLevel(level)
	e.Component = internComponent(comp)
	msg = skipSpace(msg)
	e.Text = string(msg)
	classifyCBS(e, msg)
	return true, ""
}

var knownLevels = []string{"Info", "Warning", "Error", "Perf"}

var knownComponents = []string{"CBS", "CSI", "DPX", "DISM", "SXS", "TI"}

// internLevel and internComponent return shared strings for the few values
// these columns take, so that common lines do not allocate for them.
func internLevel(b []byte) string {
	for _, s := range knownLevels {
		if string(b) == s {
			return s
		}
	}
	return string(b)
}

func internComponent(b []byte) string {
	for _, s := range knownComponents {
		if string(b) == s {
			return s
		}
	}
	return string(b)
}

// classifyCBS sets the kind and fields of a CBS.log message. Sources of the
// patterns are listed in doc.go.
func classifyCBS(e *Entry, msg []byte) {
	if pkg := findPackage(msg); pkg != nil {
		e.Package = string(pkg)
		e.Build = packageBuild(e.Package)
	}
	e.KB = findKB(msg)
	if c := cbsClient(msg); c != nil {
		e.Client = string(c)
	}
	code, hasCode := cbsCode(msg)
	if hasCode {
		e.ErrorCode, e.HasError = code, true
	}
	failed := hasCode && code&0x80000000 != 0

	switch {
	case bytes.HasPrefix(msg, []byte("Exec: Processing started")):
		e.Kind = KindInstallStarted
	case bytes.HasPrefix(msg, []byte("Exec: Processing complete")):
		e.Kind = packageResult(e, failed)
	case hasReportingPrefix(msg):
		cbsReporting(e, msg)
		e.Kind = packageResult(e, failed)
	case bytes.HasPrefix(msg, []byte("Session: ")) && bytes.Contains(msg, []byte(" finalized")):
		e.Kind = KindSessionFinalized
		if v, ok := yesNo(valueAfter(msg, "Reboot required:")); ok {
			e.RebootRequired = v
		}
	case bytes.HasPrefix(msg, []byte("Appl: Evaluating package applicability for package ")):
		e.Kind = KindPackageStateChange
		e.TargetState = string(valueAfter(msg, "applicable state:"))
	case bytes.HasPrefix(msg, []byte("Startup:")), bytes.HasPrefix(msg, []byte("Startup processing")):
		// TrustedInstaller checks for queued work whenever it starts; the
		// numbered startup phases are the boot-time processing of the
		// operations a restart was waiting for.
		e.Boot = bytes.Contains(msg, []byte("startupPhase"))
		e.Kind = KindStartup
		if failed {
			e.Kind = KindError
		}
	case bytes.HasPrefix(msg, []byte("TI: --- Initializing Trusted Installer")),
		bytes.HasPrefix(msg, []byte("Starting TrustedInstaller initialization")),
		bytes.HasPrefix(msg, []byte("TrustedInstaller service starts successfully")):
		e.Kind = KindStartup
	case failed && e.Package != "":
		e.Kind = KindPackageFailed
	case failed:
		e.Kind = KindError
	}
}

// packageResult is the kind of a package report: a failure or a change for
// the package it names, a plain error when it names none.
func packageResult(e *Entry, failed bool) Kind {
	switch {
	case e.Package == "" && failed:
		return KindError
	case e.Package == "":
		return KindOther
	case failed:
		return KindPackageFailed
	}
	return KindPackageStateChange
}

// hasReportingPrefix matches the package change reports CBS writes when an
// operation on a package ends, with or without the older "SQM: " prefix.
func hasReportingPrefix(msg []byte) bool {
	msg = bytes.TrimPrefix(msg, []byte("SQM: "))
	return bytes.HasPrefix(msg, []byte("Reporting package change for package: ")) ||
		bytes.HasPrefix(msg, []byte("Reporting package change completion for package: ")) ||
		bytes.HasPrefix(msg, []byte("Reporting selectable update change for package: "))
}

// cbsReporting reads the states and flags of a package change report:
// "current: Installed, pending: Default, start: Staged, applicable:
// Installed, target: Installed, ... reboot required: False, client id: ...".
func cbsReporting(e *Entry, msg []byte) {
	from := valueAfter(msg, ", start: ")
	if from == nil {
		from = valueAfter(msg, ", original: ")
	}
	e.FromState = string(from)
	e.ToState = string(valueAfter(msg, ", current: "))
	e.TargetState = string(valueAfter(msg, ", target: "))
	if v, ok := yesNo(valueAfter(msg, "reboot required: ")); ok {
		e.RebootRequired = v
	}
}

// cbsClient finds the client id of a session or package report.
func cbsClient(msg []byte) []byte {
	if !bytes.Contains(msg, []byte("lient")) {
		return nil
	}
	if v := valueAfter(msg, "client id: "); v != nil {
		return v
	}
	if v := valueAfter(msg, "initialized by client "); v != nil {
		return bytes.TrimSuffix(v, []byte("."))
	}
	if v := valueAfter(msg, "Client: "); v != nil {
		return v
	}
	return nil
}

// cbsCode finds the result code a CBS.log message states, in the spellings
// CBS uses: "[HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]", ", hr:
// 0x800f0831", "status: 0x0", "overall result:0x800f0922", "failure status:
// 0x800f0922" and "HRESULT=800F0922" (DISM lines copied into CBS.log).
func cbsCode(msg []byte) (uint32, bool) {
	x := bytes.Index(msg, []byte("0x"))
	if x < 0 && !bytes.Contains(msg, []byte("HRESULT=")) {
		return 0, false
	}
	if i := bytes.Index(msg, []byte("HRESULT")); i >= 0 {
		if v, ok := codeAt(msg[i+len("HRESULT"):], true); ok {
			return v, true
		}
	}
	if x < 0 {
		return 0, false
	}
	for _, m := range []string{"overall result:", "failure status:", ", hr:", " hr = ", ", status: ", "Download error:"} {
		if v, ok := codeAfter(msg, m, false); ok {
			return v, true
		}
	}
	return 0, false
}
