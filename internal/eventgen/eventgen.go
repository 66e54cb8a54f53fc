// Package eventgen writes Windows-shaped update, servicing and boot events
// for one or more hosts: the events Windows itself logs in System.evtx,
// Setup.evtx and the WindowsUpdateClient Operational log, with the providers,
// event IDs and payload field names real logs use (see docs/domain.md in the
// shared docs). The demo and the scenario tests build their logs with it, so
// that what wuguard triages in a test is what it would read on a machine.
package eventgen

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/errcode"
	"github.com/wuguard/wuguard/internal/event"
)

// Channels and the file names Windows gives their logs.
const (
	ChannelSystem      = "System"
	ChannelSetup       = "Setup"
	ChannelWUOperation = "Microsoft-Windows-WindowsUpdateClient/Operational"
)

// FileName returns the file Windows keeps a channel in, as found in
// C:\Windows\System32\winevt\Logs.
func FileName(channel string) string {
	return strings.ReplaceAll(channel, "/", "%4") + ".evtx"
}

type provider struct{ name, guid, sourceName string }

var (
	providerWU            = provider{"Microsoft-Windows-WindowsUpdateClient", "{945A8954-C147-4ACD-923F-40C45405A658}", ""}
	providerServicing     = provider{"Microsoft-Windows-Servicing", "{BD12F3B8-FC40-4A61-A307-B7A013A069C1}", ""}
	providerWinREAgent    = provider{"Microsoft-Windows-WinREAgent", "{1F7A6C55-5532-573B-35B7-2107E43A6EF5}", ""}
	providerWUSA          = provider{"Microsoft-Windows-WUSA", "", ""}
	providerKernelGeneral = provider{"Microsoft-Windows-Kernel-General", "{A68CA8B7-004F-D7B6-A698-07E2DE0F1F5D}", ""}
	providerKernelPower   = provider{"Microsoft-Windows-Kernel-Power", "{331C3B3A-2005-44C2-AC5E-77220C37D6B4}", ""}
	providerUser32        = provider{"User32", "{B0AA8734-56F7-41CC-B2F4-DE228E98B946}", "User32"}
	providerEventLog      = provider{"EventLog", "", ""}
)

// ServiceWindowsUpdate is the serviceGuid of Windows Update.
const ServiceWindowsUpdate = "{9482F4B4-E343-43B6-B170-9A65BC822C77}"

// Host collects the events of one computer.
type Host struct {
	Computer string
	// Build and UBR are reported by the boot events ("19045", 5737).
	Build  int
	UBR    int
	events []evtx.Event
}

// NewHost starts the log of one computer running the given OS build.
func NewHost(computer string, build, ubr int) *Host {
	return &Host{Computer: computer, Build: build, UBR: ubr}
}

func (h *Host) add(t time.Time, channel string, p provider, id uint16, level uint8, fields []evtx.Field, userData string) {
	e := evtx.Event{
		System: evtx.System{
			Provider:        p.name,
			ProviderGUID:    p.guid,
			EventSourceName: p.sourceName,
			EventID:         id,
			Level:           level,
			TimeCreated:     t.UTC(),
			Channel:         channel,
			Computer:        h.Computer,
			UserID:          "S-1-5-18",
		},
		Fields:       fields,
		UserDataName: userData,
	}
	if hd, ok := headers[headerKey{p.name, id}]; ok {
		e.Version, e.Task, e.Opcode, e.Keywords = hd.version, hd.task, hd.opcode, hd.keywords
	}
	if p.guid == "" || p.sourceName != "" {
		// Classic providers (EventLog, User32) log the 0x8000 qualifier.
		e.Qualifiers, e.HasQualifiers = 32768, true
	}
	if p == providerEventLog {
		e.UserID = ""
	}
	h.events = append(h.events, e)
}

type headerKey struct {
	provider string
	id       uint16
}

type header struct {
	version, opcode uint8
	task            uint16
	keywords        uint64
}

// headers holds the System values real logs show for the events whose
// headers were seen in samples (docs/domain.md §2.1, and the System logs of
// the test corpus); other events keep zeros.
var headers = map[headerKey]header{
	{providerWU.name, 19}:            {version: 1, task: 1, opcode: 13, keywords: 0x8000000000000018},
	{providerWU.name, 20}:            {version: 1, task: 1, opcode: 13, keywords: 0x8000000000000028},
	{providerWU.name, 41}:            {keywords: 0x4000000000000014},
	{providerWU.name, 43}:            {version: 1, task: 1, opcode: 13, keywords: 0x8000000000002008},
	{providerWU.name, 44}:            {version: 1, task: 1, opcode: 12, keywords: 0x8000000000002004},
	{providerKernelGeneral.name, 12}: {task: 1, keywords: 0x8000000000000080},
	{providerKernelGeneral.name, 13}: {task: 2, keywords: 0x8000000000000080},
	{providerKernelPower.name, 41}:   {version: 2, task: 63, keywords: 0x8000000000000002},
	{providerEventLog.name, 6005}:    {keywords: 0x0080000000000000},
	{providerEventLog.name, 6006}:    {keywords: 0x0080000000000000},
	{providerEventLog.name, 6008}:    {keywords: 0x0080000000000000},
	{providerEventLog.name, 6009}:    {keywords: 0x0080000000000000},
	{providerUser32.name, 1074}:      {keywords: 0x8080000000000000},
}

func fields(kv ...string) []evtx.Field {
	f := make([]evtx.Field, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		f = append(f, evtx.Field{Name: kv[i], Value: kv[i+1]})
	}
	return f
}

const (
	levelCritical = 1
	levelError    = 2
	levelWarning  = 3
	levelInfo     = 4
)

// Boot logs a start of Windows: Kernel-General 12 at t, then EventLog 6009 and
// 6005 when the event log service starts.
func (h *Host) Boot(t time.Time) {
	h.add(t, ChannelSystem, providerKernelGeneral, 12, levelInfo, fields(
		"MajorVersion", "10", "MinorVersion", "0",
		"BuildVersion", strconv.Itoa(h.Build), "QfeVersion", strconv.Itoa(h.UBR),
		"ServiceVersion", "0", "BootMode", "0",
		"StartTime", t.UTC().Format("2006-01-02T15:04:05.0000000Z")), "")
	later := t.Add(25 * time.Second)
	h.add(later, ChannelSystem, providerEventLog, 6009, levelInfo, []evtx.Field{
		{Value: "10.00."}, {Value: strconv.Itoa(h.Build)}, {Value: ""}, {Value: "Multiprocessor Free"}, {Value: "0"},
	}, "")
	h.add(later, ChannelSystem, providerEventLog, 6005, levelInfo, nil, "")
}

// Shutdown logs a clean shutdown: Kernel-General 13 and EventLog 6006.
func (h *Host) Shutdown(t time.Time) {
	h.add(t, ChannelSystem, providerEventLog, 6006, levelInfo, nil, "")
	h.add(t.Add(time.Second), ChannelSystem, providerKernelGeneral, 13, levelInfo, fields(
		"StopTime", t.UTC().Format("2006-01-02T15:04:05.0000000Z")), "")
}

// Restart logs a planned restart that process asked for (User32 1074), the
// shutdown, and the boot two minutes later. It returns the boot time.
func (h *Host) Restart(t time.Time, process, reason, reasonCode string) time.Time {
	h.add(t, ChannelSystem, providerUser32, 1074, levelInfo, fields(
		"param1", process+" ("+h.Computer+")", "param2", h.Computer,
		"param3", reason, "param4", reasonCode, "param5", "restart",
		"param6", "", "param7", `NT AUTHORITY\SYSTEM`), "")
	h.Shutdown(t.Add(10 * time.Second))
	boot := t.Add(2 * time.Minute)
	h.Boot(boot)
	return boot
}

// UpdateRestart is Restart as Windows Update's orchestrator does it.
func (h *Host) UpdateRestart(t time.Time) time.Time {
	return h.Restart(t, `C:\Windows\System32\MoUsoCoreWorker.exe`, "Operating System: Service pack (Planned)", "0x80020010")
}

// Crash logs a boot after the previous session ended without a shutdown:
// Kernel-General 12, Kernel-Power 41, then EventLog 6008 and 6005.
func (h *Host) Crash(boot time.Time) {
	h.add(boot, ChannelSystem, providerKernelGeneral, 12, levelInfo, fields(
		"MajorVersion", "10", "MinorVersion", "0",
		"BuildVersion", strconv.Itoa(h.Build), "QfeVersion", strconv.Itoa(h.UBR),
		"ServiceVersion", "0", "BootMode", "0",
		"StartTime", boot.UTC().Format("2006-01-02T15:04:05.0000000Z")), "")
	h.add(boot.Add(20*time.Second), ChannelSystem, providerKernelPower, 41, levelCritical, fields(
		"BugcheckCode", "0", "BugcheckParameter1", "0x0", "BugcheckParameter2", "0x0",
		"BugcheckParameter3", "0x0", "BugcheckParameter4", "0x0",
		"SleepInProgress", "0", "PowerButtonTimestamp", "0"), "")
	later := boot.Add(25 * time.Second)
	h.add(later, ChannelSystem, providerEventLog, 6008, levelError, []evtx.Field{
		{Value: later.Format("3:04:05 PM")}, {Value: later.Format("1/2/2006")}, {}, {}, {Value: "1"}, {}, {},
	}, "")
	h.add(later, ChannelSystem, providerEventLog, 6005, levelInfo, nil, "")
}

// Scan logs a Windows Update search that found n updates (Operational 26).
func (h *Host) Scan(t time.Time, n int) {
	h.add(t, ChannelWUOperation, providerWU, 26, levelInfo, fields("updateCount", strconv.Itoa(n)), "")
}

// Update is one update as Windows Update and CBS name it.
type Update struct {
	h        *Host
	Title    string
	GUID     string // braced, as the events show it
	Revision int
	// Package is the CBS package identifier; empty for updates that CBS does
	// not service (Defender definitions, Store apps).
	Package string
}

// Update returns an update of this host. guid is given braced or bare.
func (h *Host) Update(title, guid string, revision int, pkg string) *Update {
	guid = "{" + strings.ToUpper(strings.Trim(guid, "{}")) + "}"
	return &Update{h: h, Title: title, GUID: guid, Revision: revision, Package: pkg}
}

func (u *Update) wuFields(extra ...string) []evtx.Field {
	f := fields(extra...)
	return append(f, fields(
		"updateTitle", u.Title, "updateGuid", u.GUID,
		"updateRevisionNumber", strconv.Itoa(u.Revision), "serviceGuid", ServiceWindowsUpdate)...)
}

// DownloadStarted logs WindowsUpdateClient 44 (System).
func (u *Update) DownloadStarted(t time.Time) {
	u.h.add(t, ChannelSystem, providerWU, 44, levelInfo, u.wuFields(), "")
}

// Downloaded logs WindowsUpdateClient 41 (Operational).
func (u *Update) Downloaded(t time.Time) {
	u.h.add(t, ChannelWUOperation, providerWU, 41, levelInfo, u.wuFields(), "")
}

// InstallStarted logs WindowsUpdateClient 43 and, for CBS packages,
// Servicing 1 a few seconds later.
func (u *Update) InstallStarted(t time.Time) {
	u.h.add(t, ChannelSystem, providerWU, 43, levelInfo, u.wuFields(), "")
	if u.Package != "" {
		u.h.add(t.Add(5*time.Second), ChannelSetup, providerServicing, 1, levelInfo, fields(
			"PackageIdentifier", u.Package,
			"InitialPackageState", "5000", "InitialPackageStateTextized", "Absent",
			"IntendedPackageState", "5112", "IntendedPackageStateTextized", "Installed",
			"Client", "UpdateAgentLCU"), "CbsPackageInitiateChanges")
	}
}

func (u *Update) servicing(t time.Time, id uint16, level uint8, code string) {
	u.h.add(t, ChannelSetup, providerServicing, id, level, fields(
		"PackageIdentifier", u.Package,
		"IntendedPackageState", "5112", "IntendedPackageStateTextized", "Installed",
		"ErrorCode", code, "Client", "UpdateAgentLCU"), "CbsPackageChangeState")
}

// RestartRequired logs that the install waits for a restart: Servicing 4
// for CBS packages, then WindowsUpdateClient 21 naming the update.
func (u *Update) RestartRequired(t time.Time) {
	if u.Package != "" {
		u.servicing(t, 4, levelInfo, "0x0")
	}
	u.h.add(t.Add(10*time.Second), ChannelSystem, providerWU, 21, levelWarning, fields("updatelist", u.Title), "")
}

// Installed logs the success: Servicing 2 for CBS packages, then
// WindowsUpdateClient 19.
func (u *Update) Installed(t time.Time) {
	if u.Package != "" {
		u.servicing(t, 2, levelInfo, "0x0")
	}
	u.h.add(t.Add(3*time.Second), ChannelSystem, providerWU, 19, levelInfo, u.wuFields(), "")
}

// Failed logs WindowsUpdateClient 20 with the code Windows Update shows.
// When cbsCode is not zero, Servicing 3 logs it first, as CBS does for
// package failures.
func (u *Update) Failed(t time.Time, code, cbsCode uint32) {
	if u.Package != "" && cbsCode != 0 {
		u.servicing(t, 3, levelError, "0x"+strconv.FormatUint(uint64(cbsCode), 16))
	}
	u.h.add(t.Add(2*time.Second), ChannelSystem, providerWU, 20, levelError,
		u.wuFields("errorCode", strings.ToLower(errcode.Hex(code))), "")
}

// WinREStarted logs WinREAgent 4500.
func (h *Host) WinREStarted(t time.Time) {
	h.add(t, ChannelSystem, providerWinREAgent, 4500, levelInfo, nil, "")
}

// WinRESucceeded logs WinREAgent 4501 with the new WinRE version.
func (h *Host) WinRESucceeded(t time.Time, version string) {
	h.add(t, ChannelSystem, providerWinREAgent, 4501, levelInfo, fields("Version", version), "")
}

// WinREFailed logs WinREAgent 4502 with the phase and the code as the agent
// writes them (signed 32-bit integers).
func (h *Host) WinREFailed(t time.Time, phase int, code uint32) {
	h.add(t, ChannelSystem, providerWinREAgent, 4502, levelError, fields(
		"ErrorPhase", strconv.Itoa(phase), "Errorcode", strconv.Itoa(int(int32(code)))), "")
}

// WUSAFailed logs a manual .msu install failure (WUSA 3, Setup log) with the
// code in decimal, as WUSA writes it.
func (h *Host) WUSAFailed(t time.Time, title, msu string, code uint32) {
	h.add(t, ChannelSetup, providerWUSA, 3, levelError, fields(
		"UpdateTitle", title, "ErrorCode", strconv.FormatUint(uint64(code), 10),
		"ErrorString", "", "CommandLine", `"C:\Windows\system32\wusa.exe" "`+msu+`"`), "")
}

// Events returns the host's events in time order with record numbers
// assigned per channel, as a log file would hold them.
func (h *Host) Events() []evtx.Event {
	out := append([]evtx.Event(nil), h.events...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].TimeCreated.Before(out[j].TimeCreated) })
	next := map[string]uint64{}
	for i := range out {
		next[out[i].Channel]++
		out[i].RecordID = next[out[i].Channel]
	}
	return out
}

// Files returns the host's events split by the file Windows keeps them in.
func (h *Host) Files() map[string][]evtx.Event {
	files := map[string][]evtx.Event{}
	for _, e := range h.Events() {
		name := FileName(e.Channel)
		files[name] = append(files[name], e)
	}
	return files
}

// ModelEvents returns the host's events as the analyses read them, with
// sources named dir/<computer>/<file>.
func (h *Host) ModelEvents(dir string) []event.Event {
	var out []event.Event
	for _, e := range h.Events() {
		out = append(out, event.Event{
			Event: e,
			Source: event.Source{
				File:   fmt.Sprintf("%s/%s/%s", dir, h.Computer, FileName(e.Channel)),
				Format: event.FormatEVTX,
			},
		})
	}
	return out
}
