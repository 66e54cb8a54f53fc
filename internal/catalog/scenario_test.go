package catalog_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/eventgen"
	"github.com/wuguard/wuguard/internal/update"
)

// Every built-in entry is shown matching a scenario written as the events
// Windows logs, next to a near miss that must not reach it. A scenario names
// the entry and case it must hit; "" means no entry may match.

var base = time.Date(2025, 4, 8, 17, 0, 0, 0, time.UTC)

func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

const day = 24 * 60

// scenario is a host's events, plus CBS.log lines given as observations.
type scenario struct {
	name      string
	build     int
	events    func(h *eventgen.Host)
	cbsLines  []cbsLine
	key       string // the update to judge
	wantEntry string
	wantCase  string
}

type cbsLine struct {
	minute int
	text   string
}

func (s scenario) host(t *testing.T) (*update.Host, *update.Update) {
	t.Helper()
	g := eventgen.NewHost("HOST", s.build, 1000)
	g.Boot(at(0))
	s.events(g)
	var obs []update.Observation
	for _, e := range g.ModelEvents("logs") {
		obs = update.AppendFromEvent(obs, &e)
	}
	for i, l := range s.cbsLines {
		obs = append(obs, update.Observation{
			Time: at(l.minute), Kind: update.KindServicingError, Text: l.text,
			Evidence: update.Evidence{File: "logs/CBS.log", Format: "text", Provider: update.LogCBS, Line: i + 1, Time: at(l.minute)},
		})
	}
	hosts := update.Build(obs, update.Options{})
	if len(hosts) != 1 {
		t.Fatalf("%d hosts", len(hosts))
	}
	u := hosts[0].Update(s.key)
	if u == nil {
		t.Fatalf("no update %s in the scenario", s.key)
	}
	return hosts[0], u
}

// Updates the scenarios use.
func cu(h *eventgen.Host) *eventgen.Update {
	return h.Update("2025-04 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5055518)",
		"0e6f2a58-1c8b-4d3e-9a57-3b2f1c0d9e11", 1, "KB5055518")
}

func winreDU(h *eventgen.Host, kb string) *eventgen.Update {
	return h.Update("2025-04 Windows Recovery Environment Update for Windows 10 Version 22H2 ("+kb+")",
		"7a4c1e90-5b2d-4f6a-8c3e-2d1f0b9a8e77", 1, "")
}

func named(h *eventgen.Host, kb string) *eventgen.Update {
	return h.Update("Update for Windows ("+kb+")", "5f0c9d1e-2a3b-4c5d-8e9f-"+fmt.Sprintf("%012x", len(kb)*7919), 1, kb)
}

// failOnce logs one download, install start and failure of u at minute m.
func failOnce(u *eventgen.Update, m int, code uint32) {
	u.DownloadStarted(at(m))
	u.InstallStarted(at(m + 2))
	u.Failed(at(m+5), code, 0)
}

func install(u *eventgen.Update, m int) {
	u.DownloadStarted(at(m))
	u.InstallStarted(at(m + 2))
	u.Installed(at(m + 5))
}

// cuPendingRestart installs the cumulative update up to its restart.
func cuPendingRestart(h *eventgen.Host) {
	c := cu(h)
	c.DownloadStarted(at(5))
	c.InstallStarted(at(8))
	c.RestartRequired(at(25))
}

// failAcrossBoots fails u once in each of n boot sessions, a day apart.
func failAcrossBoots(h *eventgen.Host, u *eventgen.Update, n int, code uint32) {
	for i := 0; i < n; i++ {
		if i > 0 {
			h.Restart(at(i*day-10), `C:\Windows\system32\shutdown.exe`, "Other (Planned)", "0x80000000")
		}
		failOnce(u, i*day+30, code)
	}
}

var scenarios = []scenario{
	// #1/#2 April 2025 WinRE false alarm.
	{name: "kb5057589 before restart", build: 19045, key: "KB5057589",
		wantEntry: "kb5057589-winre-false-alarm", wantCase: "before-restart",
		events: func(h *eventgen.Host) {
			cuPendingRestart(h)
			failOnce(winreDU(h, "KB5057589"), 40, 0x80070643)
		}},
	{name: "kb5057589 after restart, WinRE 4501", build: 19045, key: "KB5057589",
		wantEntry: "kb5057589-winre-false-alarm", wantCase: "after-restart",
		events: func(h *eventgen.Host) {
			cuPendingRestart(h)
			failOnce(winreDU(h, "KB5057589"), 40, 0x80070643)
			boot := h.UpdateRestart(at(120))
			cu(h).Installed(boot.Add(4 * time.Minute))
			h.WinREStarted(boot.Add(6 * time.Minute))
			h.WinRESucceeded(boot.Add(8*time.Minute), "10.0.19041.5737")
		}},
	{name: "kb5057589 after restart, no repeat on the next scan", build: 19045, key: "KB5057589",
		wantEntry: "kb5057589-winre-false-alarm", wantCase: "after-restart",
		events: func(h *eventgen.Host) {
			cuPendingRestart(h)
			failOnce(winreDU(h, "KB5057589"), 40, 0x80070643)
			boot := h.UpdateRestart(at(120))
			h.Scan(boot.Add(time.Hour), 0)
		}},
	{name: "kb5057589 restarted, Windows Update not run since", build: 19045, key: "KB5057589",
		wantEntry: "kb5057589-winre-false-alarm", wantCase: "restarted-not-rechecked",
		events: func(h *eventgen.Host) {
			cuPendingRestart(h)
			failOnce(winreDU(h, "KB5057589"), 40, 0x80070643)
			h.UpdateRestart(at(120))
		}},
	{name: "near miss: kb5057589 with no pending restart", build: 19045, key: "KB5057589",
		wantEntry: "kb5057589-winre-false-alarm", wantCase: "no-pending-restart",
		events: func(h *eventgen.Host) {
			failOnce(winreDU(h, "KB5057589"), 40, 0x80070643)
		}},
	{name: "near miss: kb5057589 pending restart cleared before the failure", build: 19045, key: "KB5057589",
		wantEntry: "kb5057589-winre-false-alarm", wantCase: "no-pending-restart",
		events: func(h *eventgen.Host) {
			cuPendingRestart(h)
			boot := h.UpdateRestart(at(30))
			cu(h).Installed(boot.Add(3 * time.Minute))
			failOnce(winreDU(h, "KB5057589"), 60, 0x80070643)
		}},
	{name: "near miss: kb5057589 failing across restarts with WinRE 4502", build: 19045, key: "KB5057589",
		wantEntry: "kb5057589-winre-false-alarm", wantCase: "real-failure",
		events: func(h *eventgen.Host) {
			cuPendingRestart(h)
			u := winreDU(h, "KB5057589")
			failOnce(u, 40, 0x80070643)
			h.WinREStarted(at(43))
			h.WinREFailed(at(44), 2, 0x80070070)
		}},
	{name: "kb5057588 on Server 2022 before restart", build: 20348, key: "KB5057588",
		wantEntry: "kb5057589-winre-false-alarm", wantCase: "before-restart",
		events: func(h *eventgen.Host) {
			cuPendingRestart(h)
			failOnce(winreDU(h, "KB5057588"), 40, 0x80070643)
		}},
	{name: "near miss: kb5057588 on a Windows 11 build", build: 22631, key: "KB5057588",
		wantEntry: "code-0x80070643-install-failure", wantCase: "once",
		events: func(h *eventgen.Host) {
			cuPendingRestart(h)
			failOnce(winreDU(h, "KB5057588"), 40, 0x80070643)
		}},

	// #3-#5 January 2024 WinRE partition failure.
	{name: "kb5034441 failing in three boot sessions", build: 19045, key: "KB5034441",
		wantEntry: "kb5034441-winre-partition-too-small", wantCase: "partition-too-small",
		events: func(h *eventgen.Host) { failAcrossBoots(h, named(h, "KB5034441"), 3, 0x80070643) }},
	{name: "kb5034439 once with WinREAgent 4502 ErrorPhase 2", build: 20348, key: "KB5034439",
		wantEntry: "kb5034441-winre-partition-too-small", wantCase: "partition-too-small",
		events: func(h *eventgen.Host) {
			h.WinREStarted(at(31))
			h.WinREFailed(at(33), 2, 0x80070070)
			failOnce(named(h, "KB5034439"), 30, 0x80070643)
		}},
	{name: "near miss: kb5034441 failing once, 4502 of another phase", build: 19045, key: "KB5034441",
		wantEntry: "kb5034441-winre-partition-too-small", wantCase: "unconfirmed",
		events: func(h *eventgen.Host) {
			h.WinREFailed(at(33), 3, 0x80004005)
			failOnce(named(h, "KB5034441"), 30, 0x80070643)
		}},
	{name: "near miss: kb5034441 failing once then succeeding", build: 19045, key: "KB5034441",
		events: func(h *eventgen.Host) {
			u := named(h, "KB5034441")
			failOnce(u, 30, 0x80070643)
			install(u, 2*60)
		}},
	{name: "kb5034441 once with CBS_E_INSUFFICIENT_DISK_SPACE in the Setup log", build: 19045, key: "KB5034441",
		wantEntry: "kb5034441-winre-partition-too-small", wantCase: "partition-too-small",
		events: func(h *eventgen.Host) {
			u := h.Update("2024-01 Security Update for Windows 10 Version 22H2 for x64-based Systems (KB5034441)",
				"b47e2a90-5c13-4d8f-a6e2-9f0c3b71d58e", 1, "KB5034441")
			u.InstallStarted(at(30))
			u.Failed(at(32), 0x80070643, 0x800F0828)
		}},
	{name: "kb5034440 on Windows 11 21H2 across boots", build: 22000, key: "KB5034440",
		wantEntry: "kb5034441-winre-partition-too-small", wantCase: "partition-too-small",
		events: func(h *eventgen.Host) { failAcrossBoots(h, named(h, "KB5034440"), 2, 0x80070643) }},

	// #6 WinRE servicing through the monthly cumulative update.
	{name: "cumulative update installs, WinRE servicing fails for space", build: 22621, key: update.WinREKey,
		wantEntry: "winre-servicing-low-space", wantCase: "low-space",
		events: func(h *eventgen.Host) {
			install(cu(h), 10)
			h.WinREStarted(at(20))
			h.WinREFailed(at(22), 2, 0x80070070)
		}},
	{name: "near miss: WinRE servicing succeeds", build: 22621, key: update.WinREKey,
		events: func(h *eventgen.Host) {
			h.WinREStarted(at(20))
			h.WinRESucceeded(at(22), "10.0.22621.5000")
		}},
	{name: "WinRE servicing fails in another phase", build: 22621, key: update.WinREKey,
		wantEntry: "winre-servicing-low-space", wantCase: "other-failure",
		events: func(h *eventgen.Host) { h.WinREFailed(at(22), 4, 0x80004005) }},

	// KB-specific entries.
	{name: "kb5031356 0x8007000D", build: 19045, key: "KB5031356",
		wantEntry: "kb5031356-invalid-data", wantCase: "kir-pending",
		events: func(h *eventgen.Host) { failOnce(named(h, "KB5031356"), 30, 0x8007000D) }},
	{name: "near miss: kb5031356 with another code", build: 19045, key: "KB5031356",
		events: func(h *eventgen.Host) { failOnce(named(h, "KB5031356"), 30, 0x80070002) }},
	{name: "kb4023057 repeating", build: 17763, key: "KB4023057",
		wantEntry: "kb4023057-update-service-components", wantCase: "repeats",
		events: func(h *eventgen.Host) {
			u := named(h, "KB4023057")
			failOnce(u, 30, 0x80070643)
			failOnce(u, 300, 0x80070643)
		}},
	{name: "kb4023057 once", build: 17134, key: "KB4023057",
		wantEntry: "kb4023057-update-service-components", wantCase: "once",
		events: func(h *eventgen.Host) { failOnce(named(h, "KB4023057"), 30, 0x80070643) }},
	{name: "near miss: kb4023057 on a build it does not cover", build: 19045, key: "KB4023057",
		wantEntry: "code-0x80070643-install-failure", wantCase: "once",
		events: func(h *eventgen.Host) { failOnce(named(h, "KB4023057"), 30, 0x80070643) }},
	{name: "kb4524244 0x800f0922", build: 18363, key: "KB4524244",
		wantEntry: "kb4524244-withdrawn", wantCase: "withdrawn",
		events: func(h *eventgen.Host) { failOnce(named(h, "KB4524244"), 30, 0x800f0922) }},
	{name: "kb5063878 0x80240069 on 24H2", build: 26100, key: "KB5063878",
		wantEntry: "kb5063878-wsus-0x80240069", wantCase: "wsus",
		events: func(h *eventgen.Host) { failOnce(named(h, "KB5063878"), 30, 0x80240069) }},
	{name: "near miss: kb5063878 on 23H2", build: 22631, key: "KB5063878",
		events: func(h *eventgen.Host) { failOnce(named(h, "KB5063878"), 30, 0x80240069) }},
	{name: "kb5068781 0x800f0922", build: 19045, key: "KB5068781",
		wantEntry: "kb5068781-esu-0x800f0922", wantCase: "subscription-activation",
		events: func(h *eventgen.Host) { failOnce(named(h, "KB5068781"), 30, 0x800f0922) }},
	{name: "near miss: kb5068781 installed", build: 19045, key: "KB5068781",
		events: func(h *eventgen.Host) { install(named(h, "KB5068781"), 30) }},
	{name: "kb5089549 with the ESP lines in CBS.log", build: 26100, key: "KB5089549",
		wantEntry: "kb5089549-esp-0x800f0922", wantCase: "esp-full",
		cbsLines: []cbsLine{{33, "Error CSI ServicingBootFiles failed. Error = 0x70"}},
		events:   func(h *eventgen.Host) { failOnce(named(h, "KB5089549"), 30, 0x800f0922) }},
	{name: "near miss: kb5089549 without CBS.log", build: 26200, key: "KB5089549",
		wantEntry: "kb5089549-esp-0x800f0922", wantCase: "unconfirmed",
		events: func(h *eventgen.Host) { failOnce(named(h, "KB5089549"), 30, 0x800f0922) }},
	{name: "kb5046740 manual install 0x800f0991", build: 26100, key: "KB5046740",
		wantEntry: "kb5046740-0x800f0991", wantCase: "install-order",
		events: func(h *eventgen.Host) {
			h.WUSAFailed(at(30), "Update for Windows (KB5046740)", `C:\temp\windows11.0-kb5046740-x64.msu`, 0x800f0991)
		}},
	{name: "near miss: 0x800f0991 on another KB", build: 26100, key: "KB5046739",
		events: func(h *eventgen.Host) {
			h.WUSAFailed(at(30), "Update for Windows (KB5046739)", `C:\temp\windows11.0-kb5046739-x64.msu`, 0x800f0991)
		}},

	{name: "kb5068966 installing again and again", build: 26200, key: "KB5068966",
		wantEntry: "kb5068966-hotpatch-reinstall-loop", wantCase: "reinstall-loop",
		events: func(h *eventgen.Host) {
			u := named(h, "KB5068966")
			install(u, 30)
			install(u, day)
			install(u, 2*day)
		}},
	{name: "near miss: kb5068966 installed once", build: 26200, key: "KB5068966",
		events: func(h *eventgen.Host) { install(named(h, "KB5068966"), 30) }},

	// Generic codes.
	{name: "0x80242014 before the restart", build: 19045, key: "KB5055518",
		wantEntry: "code-0x80242014-post-reboot-pending", wantCase: "waiting-for-restart",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x80242014) }},
	{name: "0x80242014 completed after the restart", build: 19045, key: "KB5055518",
		wantEntry: "code-0x80242014-post-reboot-pending", wantCase: "completed-after-restart",
		events: func(h *eventgen.Host) {
			failOnce(cu(h), 30, 0x80242014)
			boot := h.UpdateRestart(at(60))
			h.Scan(boot.Add(30*time.Minute), 0)
		}},
	{name: "0x80242014 failing again after the restart", build: 19045, key: "KB5055518",
		wantEntry: "code-0x80242014-post-reboot-pending", wantCase: "still-pending",
		events: func(h *eventgen.Host) {
			failOnce(cu(h), 30, 0x80242014)
			h.UpdateRestart(at(60))
			failOnce(cu(h), 90, 0x80242014)
		}},
	{name: "0x80240016", build: 19045, key: "KB5055518",
		wantEntry: "code-0x80240016-install-not-allowed", wantCase: "retry",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x80240016) }},
	{name: "near miss: 0x80240016 then installed", build: 19045, key: "KB5055518",
		events: func(h *eventgen.Host) {
			failOnce(cu(h), 30, 0x80240016)
			install(cu(h), 90)
		}},
	{name: "0x80070BC9", build: 19045, key: "KB5055518",
		wantEntry: "code-0x80070bc9-fail-reboot-required", wantCase: "trustedinstaller",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x80070BC9) }},
	{name: "0x8024A10A", build: 19045, key: "KB5055518",
		wantEntry: "code-0x8024a10a-usoservice-shutting-down", wantCase: "retry",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x8024A10A) }},
	{name: "0x8024001E", build: 19045, key: "KB5055518",
		wantEntry: "code-0x8024001e-wu-service-stop", wantCase: "retry",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x8024001E) }},
	{name: "near miss: 0x8024001E then a different failure", build: 19045, key: "KB5055518",
		wantEntry: "code-0x80240022-all-updates-failed", wantCase: "check-antivirus",
		events: func(h *eventgen.Host) {
			failOnce(cu(h), 30, 0x8024001E)
			failOnce(cu(h), 90, 0x80240022)
		}},
	{name: "0x8024200B", build: 19045, key: "KB5055518",
		wantEntry: "code-0x8024200b-installer-failure", wantCase: "find-real-code",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x8024200B) }},
	{name: "0x800f0922 with the scheduled task in CBS.log", build: 19045, key: "KB5055518",
		wantEntry: "code-0x800f0922-installers-failed", wantCase: "scheduled-task",
		cbsLines: []cbsLine{{34, `Error CBS RegisterTask failed 0x80070002 \Microsoft\Windows\PI\SecureBootEncodeUEFI`}},
		events:   func(h *eventgen.Host) { failOnce(cu(h), 30, 0x800f0922) }},
	{name: "0x800f0922 with a full partition in CBS.log", build: 19045, key: "KB5055518",
		wantEntry: "code-0x800f0922-installers-failed", wantCase: "partition-full",
		cbsLines: []cbsLine{{34, "Error CBS Insufficient free space on the system partition"}},
		events:   func(h *eventgen.Host) { failOnce(cu(h), 30, 0x800f0922) }},
	{name: "near miss: 0x800f0922 with CBS.log lines from another boot", build: 19045, key: "KB5055518",
		wantEntry: "code-0x800f0922-installers-failed", wantCase: "unknown-cause",
		cbsLines: []cbsLine{{2 * day, "Error CBS RegisterTask failed 0x80070002"}},
		events: func(h *eventgen.Host) {
			failOnce(cu(h), 30, 0x800f0922)
			h.Restart(at(day), `C:\Windows\system32\shutdown.exe`, "Other (Planned)", "0x80000000")
		}},
	{name: "0x800f081f", build: 19045, key: "KB5055518",
		wantEntry: "code-0x800f081f-source-missing", wantCase: "repair",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x800f081f) }},
	{name: "0x800f0831", build: 19045, key: "KB5055518",
		wantEntry: "code-0x800f0831-store-corruption", wantCase: "repair",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x800f0831) }},
	{name: "0x80073712", build: 19045, key: "KB5055518",
		wantEntry: "code-0x80073712-component-store-corrupt", wantCase: "repair",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x80073712) }},
	{name: "0x80073701", build: 19045, key: "KB5055518",
		wantEntry: "code-0x80073701-assembly-missing", wantCase: "repair",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x80073701) }},
	{name: "near miss: 0x80073701 earlier, installed later", build: 19045, key: "KB5055518",
		events: func(h *eventgen.Host) {
			failOnce(cu(h), 30, 0x80073701)
			install(cu(h), 3*day)
		}},
	{name: "0x800f0821", build: 20348, key: "KB5055518",
		wantEntry: "code-0x800f0821-servicing-timeout", wantCase: "timeout",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x800f0821) }},
	{name: "0x800F0920", build: 20348, key: "KB5055518",
		wantEntry: "code-0x800f0821-servicing-timeout", wantCase: "timeout",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x800F0920) }},
	{name: "0x800F0823", build: 17763, key: "KB5055518",
		wantEntry: "code-0x800f0823-new-servicing-stack-required", wantCase: "ssu-first",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x800F0823) }},
	{name: "0x80070643 on another update across boots", build: 22631, key: "KB5049622",
		wantEntry: "code-0x80070643-install-failure", wantCase: "repeats",
		events: func(h *eventgen.Host) { failAcrossBoots(h, named(h, "KB5049622"), 2, 0x80070643) }},
	{name: "0x80240017", build: 19045, key: "KB5055518",
		wantEntry: "code-0x80240017-not-applicable", wantCase: "not-applicable",
		events: func(h *eventgen.Host) { failOnce(cu(h), 30, 0x80240017) }},
	{name: "near miss: installed update with no error", build: 19045, key: "KB5055518",
		events: func(h *eventgen.Host) { install(cu(h), 30) }},
}

func TestScenarios(t *testing.T) {
	cat, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			h, u := s.host(t)
			m := cat.Match(h, u)
			switch {
			case m == nil && s.wantEntry == "":
			case m == nil:
				t.Fatalf("no match, want %s/%s", s.wantEntry, s.wantCase)
			case s.wantEntry == "":
				t.Fatalf("matched %s/%s, want no match", m.Entry.ID, m.Case.Name)
			case m.Entry.ID != s.wantEntry || m.Case.Name != s.wantCase:
				t.Fatalf("matched %s/%s, want %s/%s", m.Entry.ID, m.Case.Name, s.wantEntry, s.wantCase)
			}
			if m != nil {
				for _, c := range m.Claims {
					if c.Text.EN == "" || c.Text.JA == "" {
						t.Errorf("claim without text in both languages: %+v", c.Text)
					}
				}
			}
		})
	}
}

// TestEveryEntryHasAScenario keeps the rule that no entry ships untested:
// each case of each built-in entry is reached by at least one scenario.
func TestEveryEntryHasAScenario(t *testing.T) {
	cat, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	reached := map[string]bool{}
	nearMiss := false
	for _, s := range scenarios {
		reached[s.wantEntry+"/"+s.wantCase] = true
		nearMiss = nearMiss || s.wantEntry == ""
	}
	for _, e := range cat.Entries() {
		for _, c := range e.Cases {
			if !reached[e.ID+"/"+c.Name] {
				t.Errorf("no scenario reaches %s/%s", e.ID, c.Name)
			}
		}
	}
	if !nearMiss {
		t.Error("no near-miss scenario")
	}
}
