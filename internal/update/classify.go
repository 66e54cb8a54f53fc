package update

import (
	"strconv"
	"strings"

	"github.com/wuguard/wuguard/internal/errcode"
	"github.com/wuguard/wuguard/internal/event"
)

// Providers whose events the lifecycle reads, by lower-case name.
const (
	providerWU            = "microsoft-windows-windowsupdateclient"
	providerServicing     = "microsoft-windows-servicing"
	providerWinREAgent    = "microsoft-windows-winreagent"
	providerWUSA          = "microsoft-windows-wusa"
	providerKernelGeneral = "microsoft-windows-kernel-general"
	providerKernelPower   = "microsoft-windows-kernel-power"
	providerEventLog      = "eventlog"
	providerEventLogNew   = "microsoft-windows-eventlog"
	providerUser32        = "user32"
)

// CBS package states (IntendedPackageState): 5000 Absent, 5112 Installed.
const (
	cbsStateAbsent    = "5000"
	cbsStateInstalled = "5112"
)

// Wanted reports whether an event from provider with this event ID can tell
// the lifecycle anything. Readers call it before decoding an event's payload,
// so it must stay cheap; provider is compared without regard to case.
func Wanted(provider string, id uint16) bool {
	switch {
	case strings.EqualFold(provider, providerWU):
		return id >= 19 && id <= 26 || id == 31 || id == 41 || id == 43 || id == 44
	case strings.EqualFold(provider, providerServicing):
		return id >= 1 && id <= 4 || id == 6
	case strings.EqualFold(provider, providerWinREAgent):
		return id >= 4500 && id <= 4504
	case strings.EqualFold(provider, providerWUSA):
		return id >= 2 && id <= 4 || id == 7 || id == 8
	case strings.EqualFold(provider, providerKernelGeneral):
		return id == 12 || id == 13
	case strings.EqualFold(provider, providerEventLog), strings.EqualFold(provider, providerEventLogNew):
		return id >= 6005 && id <= 6009 && id != 6007
	case strings.EqualFold(provider, providerUser32):
		return id == 1074
	case strings.EqualFold(provider, providerKernelPower):
		return id == 41
	}
	return false
}

// AppendFromEvent appends what e says about updates, restarts and boots to
// dst and returns it. Events that say nothing are skipped. Most events give
// one observation; a restart-required event naming several updates gives one
// per update. The observations own their strings: e may be reused after.
func AppendFromEvent(dst []Observation, e *event.Event) []Observation {
	n := len(dst)
	dst = appendFromEvent(dst, e)
	for i := n; i < len(dst); i++ {
		dst[i].detach()
	}
	return dst
}

func appendFromEvent(dst []Observation, e *event.Event) []Observation {
	s := &e.System
	if !Wanted(s.Provider, s.EventID) {
		return dst
	}
	o := Observation{
		Time:     s.TimeCreated,
		Computer: s.Computer,
		Evidence: Evidence{
			File:     e.Source.File,
			Format:   string(e.Source.Format),
			RecordID: s.RecordID,
			EventID:  s.EventID,
			Provider: s.Provider,
			Channel:  s.Channel,
			Line:     e.Source.Line,
			Offset:   e.Source.Offset,
			Time:     s.TimeCreated,
		},
	}
	p := strings.ToLower(s.Provider)
	switch p {
	case providerWU:
		return appendWindowsUpdate(dst, o, e)
	case providerServicing:
		return appendServicing(dst, o, e)
	case providerWinREAgent:
		return appendWinRE(dst, o, e)
	case providerWUSA:
		return appendWUSA(dst, o, e)
	}
	switch {
	case p == providerKernelGeneral && s.EventID == 12:
		o.Kind = KindBoot
		o.Build = buildString(field(e, "BuildVersion"), field(e, "QfeVersion"))
	case p == providerKernelGeneral && s.EventID == 13:
		o.Kind = KindShutdown
	case s.EventID == 6005:
		o.Kind = KindBoot
	case s.EventID == 6009:
		// 6009 is written at every boot: "Microsoft (R) Windows (R) 10.00. 15063 …",
		// the build in the second unnamed Data element.
		o.Kind = KindBoot
		if len(e.Fields) > 1 {
			o.Build = buildString(e.Fields[1].Value, "")
		}
	case s.EventID == 6006:
		o.Kind = KindShutdown
	case s.EventID == 6008, p == providerKernelPower:
		o.Kind = KindUnexpectedShutdown
	case p == providerUser32:
		o.Kind = KindRestartInitiated
		o.Client = field(e, "param1")
		o.Text = strings.TrimSpace(field(e, "param5") + ": " + field(e, "param3"))
	default:
		return dst
	}
	return append(dst, o)
}

func appendWindowsUpdate(dst []Observation, o Observation, e *event.Event) []Observation {
	switch e.EventID {
	case 19:
		o.Kind = KindInstalled
	case 20:
		o.Kind = KindInstallFailed
	case 21, 22:
		return appendRestartRequired(dst, o, e)
	case 23:
		o.Kind = KindUninstalled
	case 24:
		o.Kind = KindUninstallFailed
	case 25, 26:
		o.Kind = KindScan
	case 31:
		o.Kind = KindDownloadFailed
	case 41:
		o.Kind = KindDownloaded
	case 43:
		o.Kind = KindInstallStarted
	case 44:
		o.Kind = KindDownloadStarted
	default:
		return dst
	}
	o.Title = field(e, "updateTitle")
	o.KB = ExtractKB(o.Title)
	o.UpdateID = NormalizeGUID(field(e, "updateGuid"))
	o.Revision, _ = strconv.Atoi(strings.TrimSpace(field(e, "updateRevisionNumber")))
	if v, ok := e.Field("errorCode"); ok {
		o.ErrorCode, o.HasError = errcode.Parse(v)
	}
	if o.Kind != KindScan && o.KB == "" && o.UpdateID == "" && o.Title == "" {
		// An update event that names no update cannot be placed in any lifecycle.
		return dst
	}
	return append(dst, o)
}

// appendRestartRequired handles WindowsUpdateClient 21/22, whose insertion
// string lists the updates waiting for the restart ("updatelist", one
// "- title (KB…)" line per update, in the corpus's Windows 7 System log).
// Every value is searched for KB numbers, so other spellings work too; an
// event naming none stays a host-wide indicator.
func appendRestartRequired(dst []Observation, o Observation, e *event.Event) []Observation {
	o.Kind = KindRestartRequired
	var kbs []string
	for _, f := range e.Fields {
		kbs = append(kbs, extractKBs(f.Value)...)
	}
	if len(kbs) == 0 {
		return append(dst, o)
	}
	seen := map[string]bool{}
	for _, kb := range kbs {
		if seen[kb] {
			continue
		}
		seen[kb] = true
		o.KB = kb
		dst = append(dst, o)
	}
	return dst
}

func appendServicing(dst []Observation, o Observation, e *event.Event) []Observation {
	o.Package = field(e, "PackageIdentifier")
	o.KB = ExtractKB(o.Package)
	o.Client = field(e, "Client")
	state := packageState(e)
	switch e.EventID {
	case 1:
		if state != cbsStateInstalled {
			return dst
		}
		o.Kind = KindInstallStarted
	case 2:
		switch state {
		case cbsStateInstalled:
			o.Kind = KindInstalled
		case cbsStateAbsent:
			o.Kind = KindUninstalled
		default:
			// Staged, superseded and other intermediate states are steps, not results.
			return dst
		}
	case 3, 6:
		o.Kind = KindInstallFailed
		if state == cbsStateAbsent {
			o.Kind = KindUninstallFailed
		}
	case 4:
		o.Kind = KindRestartRequired
	default:
		return dst
	}
	if v, ok := e.Field("ErrorCode"); ok {
		if code, ok := errcode.Parse(v); ok && code != 0 {
			o.ErrorCode, o.HasError = code, true
		}
	}
	if o.Package == "" {
		return dst
	}
	return append(dst, o)
}

// packageState returns the CBS target state as its number, accepting the
// textized form too ("Installed", "Absent").
func packageState(e *event.Event) string {
	v := strings.TrimSpace(field(e, "IntendedPackageState"))
	if v != "" {
		return v
	}
	switch strings.ToLower(strings.TrimSpace(field(e, "IntendedPackageStateTextized"))) {
	case "installed":
		return cbsStateInstalled
	case "absent":
		return cbsStateAbsent
	}
	return ""
}

func appendWinRE(dst []Observation, o Observation, e *event.Event) []Observation {
	switch e.EventID {
	case 4500:
		o.Kind = KindWinREStarted
	case 4501:
		o.Kind = KindWinRESucceeded
		o.WinREVersion = strings.TrimSpace(field(e, "Version"))
	case 4502:
		o.Kind = KindWinREFailed
		if v, ok := e.Field("ErrorPhase"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				o.ErrorPhase, o.HasErrorPhase = n, true
			}
		}
		if v, ok := e.Field("Errorcode"); ok {
			o.ErrorCode, o.HasError = errcode.Parse(v)
		} else if v, ok := e.Field("ErrorCode"); ok {
			o.ErrorCode, o.HasError = errcode.Parse(v)
		}
	case 4503:
		o.Kind = KindWinRECancelled
	case 4504:
		o.Kind = KindWinRERolledBack
	default:
		return dst
	}
	return append(dst, o)
}

func appendWUSA(dst []Observation, o Observation, e *event.Event) []Observation {
	switch e.EventID {
	case 2:
		o.Kind = KindInstalled
	case 3:
		o.Kind = KindInstallFailed
	case 4:
		o.Kind = KindRestartRequired
	case 7:
		o.Kind = KindUninstalled
	case 8:
		o.Kind = KindUninstallFailed
	default:
		return dst
	}
	o.Title = field(e, "UpdateTitle")
	o.Client = "wusa.exe"
	o.KB = ExtractKB(o.Title)
	if o.KB == "" {
		o.KB = ExtractKB(field(e, "CommandLine"))
	}
	if v, ok := e.Field("ErrorCode"); ok {
		o.ErrorCode, o.HasError = errcode.Parse(v)
	}
	o.Text = field(e, "ErrorString")
	if o.KB == "" && o.Title == "" {
		return dst
	}
	return append(dst, o)
}

func field(e *event.Event, name string) string {
	v, _ := e.Field(name)
	return v
}

// buildString joins a build and an update build revision ("19045", "4291")
// as "19045.4291", dropping anything that is not a number.
func buildString(build, ubr string) string {
	build = strings.TrimSpace(build)
	if _, err := strconv.Atoi(build); err != nil {
		return ""
	}
	if _, err := strconv.Atoi(strings.TrimSpace(ubr)); err == nil {
		return build + "." + strings.TrimSpace(ubr)
	}
	return build
}
