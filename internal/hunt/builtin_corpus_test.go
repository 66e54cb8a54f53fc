package hunt

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/wuguard/wuguard/internal/eventgen"
	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/testcorpus"
)

// psSample is one script of the labelled PowerShell corpus.
type psSample struct {
	path, label, text string
}

// readPowerShellCorpus reads every script of the corpus with its label,
// honouring byte-order marks.
func readPowerShellCorpus(t *testing.T) []psSample {
	root := testcorpus.Dir(t, "powershell")
	f, err := os.Open(filepath.Join(root, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []psSample
	for _, row := range rows[1:] {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(row[0])))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, psSample{path: row[0], label: row[2], text: scriptText(data)})
	}
	return out
}

func scriptText(b []byte) string {
	switch {
	case len(b) >= 2 && b[0] == 0xff && b[1] == 0xfe:
		u := make([]uint16, (len(b)-2)/2)
		for i := range u {
			u[i] = uint16(b[2+2*i]) | uint16(b[3+2*i])<<8
		}
		return string(utf16.Decode(u))
	case len(b) >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf:
		b = b[3:]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// launcher recognises a command typed into Win+R: one line that starts a
// program, rather than PowerShell code pasted into a console.
var launcher = regexp.MustCompile(`(?i)^(powershell|pwsh|cmd|conhost|mshta)(\.exe)?\s`)

// TestBuiltinRulesOnFakeFixSamples replays every "fake fix" command of the
// corpus (ClickFix payloads collected in the wild) the way it reaches a
// computer: a command line is typed into Win+R, so Explorer writes RunMRU
// and starts it; PowerShell code is pasted into a console, so script block
// logging records it. Every sample must be caught in both of its traces.
func TestBuiltinRulesOnFakeFixSamples(t *testing.T) {
	rules := loadBuiltin(t)
	var hosts []*eventgen.Host
	kind := map[string]bool{} // computer -> typed into Win+R
	names := map[string]string{}
	for _, s := range readPowerShellCorpus(t) {
		if s.label != "fake-fix" {
			continue
		}
		h := newHost("FF-" + strconv.Itoa(len(hosts)))
		names[h.Computer] = s.path
		sess := h.Session(bob)
		command := strings.TrimSpace(s.text)
		if launcher.MatchString(command) && !strings.Contains(command, "\n") {
			kind[h.Computer] = true
			sess.RunDialog(at(1, 0), "a", command, "a")
			image := eventgen.ImagePowerShell
			switch strings.ToLower(command[:3]) {
			case "cmd":
				image = eventgen.ImageCmd
			case "con":
				image = `C:\Windows\System32\conhost.exe`
			case "msh":
				image = eventgen.ImageMshta
			}
			sess.Start(at(1, 0).Add(time.Second), sess.Explorer(), image, command)
		} else {
			sess.ScriptBlock(at(1, 0), s.text, "ff-"+strconv.Itoa(len(hosts)), true)
		}
		hosts = append(hosts, h)
	}
	if len(hosts) != 58 {
		t.Fatalf("%d fake-fix samples, want 58", len(hosts))
	}
	fired := map[string][]string{}
	for _, f := range huntHosts(t, rules, hosts...).Findings {
		fired[f.Computer] = append(fired[f.Computer], f.Rule.ID)
	}
	typed := 0
	for _, h := range hosts {
		got := fired[h.Computer]
		if kind[h.Computer] {
			typed++
			runDialog := slices.Contains(got, ruleRunDialogCommand) || slices.Contains(got, ruleRunDialogLure)
			process := slices.Contains(got, ruleExplorerPowerShell) || slices.Contains(got, ruleExplorerLOLBin)
			if !runDialog || !process {
				t.Errorf("%s typed into Win+R: fired %v, want a Run dialog rule and an Explorer process rule", names[h.Computer], got)
			}
		} else if !slices.Contains(got, rulePoshCradle) {
			t.Errorf("%s pasted into PowerShell: fired %v, want the download cradle rule", names[h.Computer], got)
		}
	}
	// 41 one-line commands start a program; 16 are PowerShell one-liners
	// (iex (irm ...), iwr ... | iex) and one is a whole second-stage script.
	if typed != 41 {
		t.Errorf("%d samples typed into Win+R, want 41", typed)
	}
}

// benignFlagged pins the benign scripts of the corpus that the built-in
// rules flag, each checked by hand: all of them really do what the rule
// describes, as installers, build and CI scripts do.
var benignFlagged = []struct{ path, rule, why string }{
	{"benign/CSS-Exchange/Setup/SetExchAVExclusions/Set-ExchAVExclusions.ps1", rulePoshDefender, "Add-MpPreference -ExclusionPath for the Exchange folders (Microsoft's script)"},
	{"benign/PowerShell/tools/install-powershell.ps1", rulePoshCradle, `its help shows iex "& { $(irm https://aka.ms/install-powershell.ps1) }"`},
	{"benign/chocolatey-packages/scripts/Start-Sandbox.ps1", rulePoshCradle, "Invoke-WebRequest https://chocolatey.org/install.ps1 | Invoke-Expression"},
	{"benign/dbatools/.github/runners/image-scripts/step1-tools.ps1", rulePoshCradle, "Invoke-Expression $webClient.DownloadString(the Chocolatey installer)"},
	{"benign/dbatools/.github/runners/image-scripts/step1-tools.ps1", rulePoshDefender, "Set-MpPreference -DisableRealtimeMonitoring $true on a CI runner image"},
	{"benign/nathanaim-benign/2672.ps1", rulePoshCradle, "Invoke-Expression (New-Object Net.WebClient).DownloadString(an installer on GitHub)"},
	{"benign/nathanaim-benign/4302.ps1", rulePoshCradle, "iex ((new-object net.webclient).DownloadString(an installer on GitHub))"},
	{"benign/nathanaim-benign/614.ps1", rulePoshCradle, "Invoke-Expression (new-object Net.WebClient).DownloadString($_) over a list of URLs"},
	{"benign/winutil/functions/private/Invoke-WinUtilInstallPSProfile.ps1", rulePoshCradle, `pwsh -Command "irm https://github.com/.../setup.ps1 | iex"`},
	{"benign/winutil/functions/public/Invoke-WPFImpex.ps1", rulePoshCradle, `writes iex "& { $(irm https://christitus.com/win) }" into a shortcut`},
	{"benign/winutil/scripts/start.ps1", rulePoshCradle, "&([ScriptBlock]::Create((irm https://github.com/.../winutil.ps1)))"},
}

// TestBuiltinRulesOnBenignScripts runs every benign script of the corpus
// (admin, install, build and documentation scripts, 1,162 of them
// downloading, installing or calling iex) through the PowerShell rules as
// script block logging would record it, and expects the pinned list of
// flagged scripts exactly.
func TestBuiltinRulesOnBenignScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 30 MB of scripts")
	}
	rules := loadBuiltin(t)
	h := newHost("PC-ADMIN")
	s := h.Session(bob)
	var samples []psSample
	for _, x := range readPowerShellCorpus(t) {
		if x.label != "benign" {
			continue
		}
		s.ScriptBlock(at(1, 0).Add(time.Duration(len(samples))*time.Second), x.text, strconv.Itoa(len(samples)), false)
		samples = append(samples, x)
	}
	if len(samples) != 6434 {
		t.Fatalf("%d benign scripts, want 6434", len(samples))
	}
	var got []string
	for _, f := range huntInMemory(t, rules, h).Findings {
		got = append(got, samples[f.RecordID-1].path+" "+f.Rule.ID)
	}
	var want []string
	for _, b := range benignFlagged {
		want = append(want, b.path+" "+b.rule)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("flagged benign scripts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBuiltinRulesOnSigmaRegressionData hunts the events SigmaHQ recorded
// for the regression tests of about 200 of its rules (evtx_dump JSON) with the
// built-in rules. They fire once: on the recording of reg.exe deleting the
// RunMRU key, which is what the RunMRU deletion rule looks for.
func TestBuiltinRulesOnSigmaRegressionData(t *testing.T) {
	root := testcorpus.Dir(t, "sigma")
	rules := loadBuiltin(t)
	data := filepath.Join(root, "regression_data")
	rep, err := Run(t.Context(), rules, []string{data}, Options{Threads: 2, read: jsonReader}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		rel, _ := filepath.Rel(data, f.File)
		got = append(got, filepath.ToSlash(rel)+" "+f.Rule.ID)
	}
	want := []string{"rules/windows/registry/registry_delete/registry_delete_runmru/3a9b8c1e-5b2e-4f7a-9d1c-2a7f3b6e1c55.json " + ruleRunMRUDeleted}
	if rep.Damaged || rep.Events < 200 || !slices.Equal(got, want) {
		t.Errorf("damaged %v, %d events, findings %v; want %v", rep.Damaged, rep.Events, got, want)
	}
}

// attackSampleFindings pins what the built-in rules find in the
// EVTX-ATTACK-SAMPLES recordings: per file, the rule ids with repeats.
// Each hit was read and judged right:
var attackSampleFindings = map[string][]string{
	// Explorer starts wscript running VBScript hidden in icon.ico, which runs
	// powershell -exec bypass -c "IEX ([...]::FromBase64String(...))".
	"Execution/susp_explorer_exec.evtx": {ruleExplorerLOLBin},
	// regedit deletes the user's RunMRU key (Sysmon 12 DeleteKey): the
	// anti-forensics the recording is named after. The mmc CreateKey events
	// on the same key in this file do not match.
	"Defense Evasion/Sysmon_12_DE_AntiForensics_MRU_DeleteKey.evtx": {ruleRunMRUDeleted},
	// Emotet's downloader: New-Object Net.WebClient, then ."d`OWN`load`FIlE"(...)
	// over a list of URLs and Invoke-Item of the download (4104).
	"Other/emotet/exec_emotet_ps_4104.evtx": {rulePoshCradle},
	// The same script in the classic log's pipeline details (800), one
	// pipeline per recording.
	"Other/emotet/exec_emotet_ps_800_get-item.evtx":    {rulePoshClassic},
	"Other/emotet/exec_emotet_ps_800_invoke-item.evtx": {rulePoshClassic},
	"Other/emotet/exec_emotet_ps_800_new-item.evtx":    {rulePoshClassic},
	"Other/emotet/exec_emotet_ps_800_new-object.evtx":  {rulePoshClassic},
}

// TestBuiltinRulesOnAttackSamples hunts all of EVTX-ATTACK-SAMPLES (277
// recordings of attacks, with the benign activity around them) with the
// built-in rules and expects exactly the pinned findings. Near misses in
// the recordings that must stay quiet: RunMRU values powershell.exe\1,
// cmd.exe\1, notepad.exe\1 and eventvwr\1 (SharpRDP), Explorer starting
// plain PowerShell and cmd, Defender 1116 detections of files by real-time
// protection, and download cradles started by cmd rather than Explorer.
func TestBuiltinRulesOnAttackSamples(t *testing.T) {
	root := testcorpus.Dir(t, "evtx/evtx-attack-samples")
	rules := loadBuiltin(t)
	rep, err := Run(t.Context(), rules, []string{root}, Options{Threads: 2}, func(d input.Damage) {
		t.Errorf("damaged input: %+v", d)
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 277 || rep.Events != 8255 {
		t.Errorf("%d files, %d events; want 277 files, 8255 events", rep.Files, rep.Events)
	}
	got := map[string][]string{}
	for _, f := range rep.Findings {
		rel, _ := filepath.Rel(root, f.File)
		got[filepath.ToSlash(rel)] = append(got[filepath.ToSlash(rel)], f.Rule.ID)
	}
	for file, ids := range got {
		sort.Strings(ids)
		want := slices.Clone(attackSampleFindings[file])
		sort.Strings(want)
		if !slices.Equal(ids, want) {
			t.Errorf("%s: fired %v, want %v", file, ids, want)
		}
	}
	for file, want := range attackSampleFindings {
		if _, ok := got[file]; !ok {
			t.Errorf("%s: fired nothing, want %v", file, want)
		}
	}
}
