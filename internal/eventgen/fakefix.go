package eventgen

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wuguard/wuguard/evtx"
)

// Channels of the "fake fix" (ClickFix) chain's traces.
const (
	ChannelSysmon            = "Microsoft-Windows-Sysmon/Operational"
	ChannelSecurity          = "Security"
	ChannelPowerShell        = "Microsoft-Windows-PowerShell/Operational"
	ChannelWindowsPowerShell = "Windows PowerShell"
	ChannelDefender          = "Microsoft-Windows-Windows Defender/Operational"
)

var (
	providerSysmon            = provider{"Microsoft-Windows-Sysmon", "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}", ""}
	providerSecurityAuditing  = provider{"Microsoft-Windows-Security-Auditing", "{54849625-5478-4994-A5BA-3E3B0328C30D}", ""}
	providerPowerShell        = provider{"Microsoft-Windows-PowerShell", "{A0C1853B-5C40-4B15-8766-3CF1C58F985A}", ""}
	providerWindowsPowerShell = provider{"PowerShell", "", ""}
	providerDefender          = provider{"Microsoft-Windows-Windows Defender", "{11CD958A-C507-4EF3-B3F2-5FD9DFBD2C78}", ""}
)

const levelVerbose = 5

// Paths of the programs the chain's events name.
const (
	ImageExplorer   = `C:\Windows\explorer.exe`
	ImagePowerShell = `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	ImageCmd        = `C:\Windows\System32\cmd.exe`
	ImageMshta      = `C:\Windows\System32\mshta.exe`
	ImageReg        = `C:\Windows\System32\reg.exe`
)

// originalFileNames are the PE version resource names Sysmon reports as
// OriginalFileName.
var originalFileNames = map[string]string{
	"explorer.exe": "EXPLORER.EXE", "powershell.exe": "PowerShell.EXE", "pwsh.exe": "pwsh.dll",
	"cmd.exe": "Cmd.Exe", "mshta.exe": "MSHTA.EXE", "reg.exe": "reg.exe", "conhost.exe": "CONHOST.EXE",
	"wscript.exe": "wscript.exe", "curl.exe": "curl.exe", "certutil.exe": "CertUtil.exe",
}

// User is the interactive user whose session the chain runs in.
type User struct {
	Domain, Name, SID string
	// LogonID is the session's logon ID ("0x5a3c1").
	LogonID string
}

// Session is one user's interactive session on a host: the processes,
// registry writes and script blocks it produces.
type Session struct {
	h    *Host
	User User
	pid  int
}

// Session starts describing what user does on the host.
func (h *Host) Session(u User) *Session {
	return &Session{h: h, User: u, pid: 4000}
}

func (s *Session) account() string { return s.User.Domain + `\` + s.User.Name }

func (s *Session) nextPID() string {
	s.pid += 4 * (17 + len(s.h.events)%11)
	return strconv.Itoa(s.pid)
}

func guidFor(t time.Time, pid string) string {
	return fmt.Sprintf("{747F3D96-%04X-%04X-0000-0010%08X}", t.Unix()&0xffff, t.Nanosecond()>>16&0xffff, mustAtoi(pid))
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func sysmonTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

func baseName(path string) string {
	return strings.ToLower(path[strings.LastIndexByte(path, '\\')+1:])
}

// runMRUKey is the Run dialog history of the user, as Sysmon names it.
func (s *Session) runMRUKey() string {
	return `HKU\` + s.User.SID + `\Software\Microsoft\Windows\CurrentVersion\Explorer\RunMRU`
}

// RunDialog logs what Explorer writes when the user runs command from Win+R:
// the command, ended by "\1", in RunMRU value letter, then the new MRUList
// (Sysmon 13, written by explorer.exe).
func (s *Session) RunDialog(t time.Time, letter, command, mruList string) {
	s.registrySet(t, ImageExplorer, s.runMRUKey()+`\`+letter, command+`\1`)
	s.registrySet(t, ImageExplorer, s.runMRUKey()+`\MRUList`, mruList)
}

// AddressBar logs what Explorer writes when the user runs text typed or
// pasted into the File Explorer address bar (Sysmon 13 on TypedPaths\url1).
func (s *Session) AddressBar(t time.Time, text string) {
	key := `HKU\` + s.User.SID + `\Software\Microsoft\Windows\CurrentVersion\Explorer\TypedPaths\url1`
	s.registrySet(t, ImageExplorer, key, text)
}

func (s *Session) registrySet(t time.Time, image, target, details string) {
	pid := "3712"
	s.h.add(t, ChannelSysmon, providerSysmon, 13, levelInfo, fields(
		"RuleName", "-", "EventType", "SetValue", "UtcTime", sysmonTime(t),
		"ProcessGuid", guidFor(t, pid), "ProcessId", pid, "Image", image,
		"TargetObject", target, "Details", details, "User", s.account()), "")
}

// RunDialogAudited logs the RunMRU write as Security 4657 shows it when the
// key has an auditing SACL ("Audit Registry"), without Sysmon.
func (s *Session) RunDialogAudited(t time.Time, letter, command string) {
	s.h.add(t, ChannelSecurity, providerSecurityAuditing, 4657, levelInfo, fields(
		"SubjectUserSid", s.User.SID, "SubjectUserName", s.User.Name, "SubjectDomainName", s.User.Domain,
		"SubjectLogonId", s.User.LogonID,
		"ObjectName", `\REGISTRY\USER\`+s.User.SID+`\Software\Microsoft\Windows\CurrentVersion\Explorer\RunMRU`,
		"ObjectValueName", letter, "HandleId", "0x2f4", "OperationType", "%%1905",
		"OldValueType", "%%1873", "OldValue", "", "NewValueType", "%%1873", "NewValue", command+`\1`,
		"ProcessId", "0xe80", "ProcessName", ImageExplorer), "")
}

// RegistryDelete logs a deleted key or value (Sysmon 12; eventType is
// DeleteKey or DeleteValue) under the user's hive; key starts after the SID.
func (s *Session) RegistryDelete(t time.Time, image, eventType, key string) {
	pid := s.nextPID()
	s.h.add(t, ChannelSysmon, providerSysmon, 12, levelInfo, fields(
		"RuleName", "-", "EventType", eventType, "UtcTime", sysmonTime(t),
		"ProcessGuid", guidFor(t, pid), "ProcessId", pid, "Image", image,
		"TargetObject", `HKU\`+s.User.SID+`\`+key, "User", s.account()), "")
}

// Process is a started process, to start children from.
type Process struct {
	Image, CommandLine, PID string
}

// Explorer is the user's shell, the parent of what Win+R and the desktop
// start.
func (s *Session) Explorer() Process {
	return Process{Image: ImageExplorer, CommandLine: ImageExplorer, PID: "3712"}
}

// Start logs a process that parent starts (Sysmon 1) and returns it.
func (s *Session) Start(t time.Time, parent Process, image, commandLine string) Process {
	pid := s.nextPID()
	name := baseName(image)
	s.h.add(t, ChannelSysmon, providerSysmon, 1, levelInfo, fields(
		"RuleName", "-", "UtcTime", sysmonTime(t), "ProcessGuid", guidFor(t, pid), "ProcessId", pid,
		"Image", image, "FileVersion", "10.0.19041.1", "Description", name, "Product", "Microsoft® Windows® Operating System",
		"Company", "Microsoft Corporation", "OriginalFileName", originalFileNames[name],
		"CommandLine", commandLine, "CurrentDirectory", `C:\Users\`+s.User.Name+`\`, "User", s.account(),
		"LogonGuid", "{747F3D96-0000-0000-0000-0020C1A30500}", "LogonId", s.User.LogonID, "TerminalSessionId", "1",
		"IntegrityLevel", "Medium", "Hashes", "SHA256=0000000000000000000000000000000000000000000000000000000000000000",
		"ParentProcessGuid", guidFor(t, parent.PID), "ParentProcessId", parent.PID, "ParentImage", parent.Image,
		"ParentCommandLine", parent.CommandLine, "ParentUser", s.account()), "")
	return Process{Image: image, CommandLine: commandLine, PID: pid}
}

// StartAudited logs a process start as Security 4688 with command line
// auditing on, without Sysmon.
func (s *Session) StartAudited(t time.Time, parent Process, image, commandLine string) Process {
	pid := s.nextPID()
	s.h.add(t, ChannelSecurity, providerSecurityAuditing, 4688, levelInfo, fields(
		"SubjectUserSid", s.User.SID, "SubjectUserName", s.User.Name, "SubjectDomainName", s.User.Domain,
		"SubjectLogonId", s.User.LogonID, "NewProcessId", "0x"+strconv.FormatInt(int64(mustAtoi(pid)), 16),
		"NewProcessName", image, "TokenElevationType", "%%1938",
		"ProcessId", "0x"+strconv.FormatInt(int64(mustAtoi(parent.PID)), 16), "CommandLine", commandLine,
		"TargetUserSid", "S-1-0-0", "TargetUserName", "-", "TargetDomainName", "-", "TargetLogonId", "0x0",
		"ParentProcessName", parent.Image, "MandatoryLabel", "S-1-16-8192"), "")
	return Process{Image: image, CommandLine: commandLine, PID: pid}
}

// ScriptBlock logs PowerShell script block logging (4104) of text, in one
// part; warning is the level PowerShell uses for blocks it deems suspicious.
func (s *Session) ScriptBlock(t time.Time, text, id string, warning bool) {
	level := uint8(levelVerbose)
	if warning {
		level = levelWarning
	}
	s.h.add(t, ChannelPowerShell, providerPowerShell, 4104, level, fields(
		"MessageNumber", "1", "MessageTotal", "1", "ScriptBlockText", text, "ScriptBlockId", id, "Path", ""), "")
}

// ModulePipeline logs PowerShell module logging (4103) of one command run by
// host (the host program's command line): the command and its bindings, in
// the "CommandInvocation(...)" / "ParameterBinding(...)" form.
func (s *Session) ModulePipeline(t time.Time, host, command string, bindings ...string) {
	context := strings.Join([]string{
		"        Severity = Informational", "        Host Name = ConsoleHost", "        Host Version = 5.1.19041.5737",
		"        Host ID = 7c1b0e4a-52b4-4a6e-9d43-0f5e0d0c6a11", "        Host Application = " + host,
		"        Engine Version = 5.1.19041.5737", "        Runspace ID = 0e8a1c4d-5f2b-4c7a-b1e3-6d9f0a2b3c4d",
		"        Pipeline ID = 1", "        Command Name = " + command, "        Command Type = Cmdlet",
		"        Script Name = ", "        Command Path = ", "        Sequence Number = 16",
		"        User = " + s.account(), "        Connected User = ", "        Shell ID = Microsoft.PowerShell", ""}, "\r\n")
	s.h.add(t, ChannelPowerShell, providerPowerShell, 4103, levelInfo, fields(
		"ContextInfo", context, "UserData", "", "Payload", pipelineDetails(command, bindings)), "")
}

// pipelineDetails writes a command's invocation and its parameter bindings
// (name, value pairs) as PowerShell logs them.
func pipelineDetails(command string, bindings []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CommandInvocation(%s): \"%s\"\r\n", command, command)
	for i := 0; i+1 < len(bindings); i += 2 {
		fmt.Fprintf(&b, "ParameterBinding(%s): name=\"%s\"; value=\"%s\"\r\n", command, bindings[i], bindings[i+1])
	}
	return b.String()
}

// ClassicPipeline logs the classic Windows PowerShell log's pipeline
// execution details (800): the pipeline's command line, the context with
// the host's command line, and the command with its bindings, as three
// unnamed Data elements.
func (s *Session) ClassicPipeline(t time.Time, host, pipeline, command string, bindings ...string) {
	context := strings.Join([]string{
		"\tDetailSequence=1", "\tDetailTotal=1", "", "\tSequenceNumber=17", "",
		"\tUserId=" + s.account(), "\tHostName=ConsoleHost", "\tHostVersion=5.1.19041.5737",
		"\tHostId=7c1b0e4a-52b4-4a6e-9d43-0f5e0d0c6a11", "\tHostApplication=" + host,
		"\tEngineVersion=5.1.19041.5737", "\tRunspaceId=0e8a1c4d-5f2b-4c7a-b1e3-6d9f0a2b3c4d",
		"\tPipelineId=1", "\tScriptName=", "\tCommandLine=" + pipeline}, "\r\n")
	s.h.add(t, ChannelWindowsPowerShell, providerWindowsPowerShell, 800, levelInfo,
		[]evtx.Field{{Value: pipeline}, {Value: context}, {Value: pipelineDetails(command, bindings)}}, "")
	// The classic PowerShell provider logs its events with qualifier 0.
	s.h.events[len(s.h.events)-1].Qualifiers = 0
}

// Defender product fields every Defender event starts with.
func defenderProduct(kv ...string) []evtx.Field {
	return append(fields("Product Name", "Microsoft Defender Antivirus", "Product Version", "4.18.25010.11"), fields(kv...)...)
}

// Detection is one Microsoft Defender detection.
type Detection struct {
	Threat string // "Trojan:PowerShell/ClickFix.A"
	// SourceID and SourceName say what scanned the content: 10 and "AMSI"
	// for script content, 3 and "Real-Time Protection" for files. Raw logs
	// of older platforms keep only a message reference ("%%818") as name.
	SourceID, SourceName string
	// Path is the resource, with Defender's prefix: "amsi:_C:\...\powershell.exe"
	// for AMSI content, "file:_C:\..." for files.
	Path    string
	Process string
}

// DefenderDetected logs Microsoft Defender's detection event (1116) with the
// fields of the Defender Operational log.
func (h *Host) DefenderDetected(t time.Time, user User, d Detection) {
	h.add(t, ChannelDefender, providerDefender, 1116, levelWarning, defenderProduct(
		"Detection ID", "{511224D4-1EB4-47B9-BC4A-37E21F923FED}", "Detection Time", t.UTC().Format("2006-01-02T15:04:05.000Z"),
		"Unused", "", "Unused2", "", "Threat ID", "2147735505", "Threat Name", d.Threat,
		"Severity ID", "5", "Severity Name", "Severe", "Category ID", "8", "Category Name", "Trojan",
		"FWLink", "https://go.microsoft.com/fwlink/?linkid=37020&name="+d.Threat,
		"Status Code", "1", "Status Description", "", "State", "1",
		"Source ID", d.SourceID, "Source Name", d.SourceName, "Process Name", d.Process,
		"Detection User", user.Domain+`\`+user.Name, "Unused3", "", "Path", d.Path,
		"Origin ID", "1", "Origin Name", "Local machine", "Execution ID", "1", "Execution Name", "Suspended",
		"Type ID", "0", "Type Name", "Concrete", "Pre Execution Status", "0", "Action ID", "9", "Action Name", "Not Applicable",
		"Unused4", "", "Error Code", "0x00000000", "Error Description", "The operation completed successfully. ",
		"Unused5", "", "Post Clean Status", "0", "Additional Actions ID", "0",
		"Additional Actions String", "No additional actions required", "Remediation User", "", "Unused6", "",
		"Security intelligence Version", "AV: 1.421.1020.0, AS: 1.421.1020.0, NIS: 1.421.1020.0",
		"Engine Version", "AM: 1.1.25010.6, NIS: 1.1.25010.6"), "")
}

// DefenderRealTimeProtection logs real-time protection being turned on
// (5000) or off (5001).
func (h *Host) DefenderRealTimeProtection(t time.Time, on bool) {
	id, level := uint16(5001), uint8(levelWarning)
	if on {
		id, level = 5000, levelInfo
	}
	h.add(t, ChannelDefender, providerDefender, id, level, defenderProduct(), "")
}

// DefenderConfigChanged logs a Defender configuration change (5007) with the
// old and new values as "key\value = data", as Defender writes them.
func (h *Host) DefenderConfigChanged(t time.Time, oldValue, newValue string) {
	h.add(t, ChannelDefender, providerDefender, 5007, levelInfo, defenderProduct(
		"Old Value", oldValue, "New Value", newValue), "")
}

// DefenderTamperBlocked logs Tamper Protection blocking a change (5013) to
// the named setting.
func (h *Host) DefenderTamperBlocked(t time.Time, setting, value string) {
	h.add(t, ChannelDefender, providerDefender, 5013, levelWarning, defenderProduct(
		"Changed Type", setting, "Value", value), "")
}
