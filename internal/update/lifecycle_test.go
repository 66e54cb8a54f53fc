package update_test

import (
	"testing"
	"time"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/eventgen"
	"github.com/wuguard/wuguard/internal/update"
)

var t0 = time.Date(2025, 4, 8, 18, 0, 0, 0, time.UTC)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

func build(t *testing.T, hosts ...*eventgen.Host) []*update.Host {
	t.Helper()
	var obs []update.Observation
	for _, h := range hosts {
		for _, e := range h.ModelEvents("logs") {
			obs = update.AppendFromEvent(obs, &e)
		}
	}
	return update.Build(obs, update.Options{})
}

func TestInstalledAfterRestart(t *testing.T) {
	h := eventgen.NewHost("PC1", 19045, 5487)
	h.Boot(at(0))
	cu := h.Update("2025-04 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5055518)",
		"6d5a2a0e-4c8e-4bb9-9d3d-1f2a3b4c5d6e", 1, "KB5055518")
	cu.DownloadStarted(at(10))
	cu.Downloaded(at(20))
	cu.InstallStarted(at(21))
	cu.RestartRequired(at(40))

	hosts := build(t, h)
	if len(hosts) != 1 {
		t.Fatalf("%d hosts", len(hosts))
	}
	host := hosts[0]
	u := host.Update("KB5055518")
	if u == nil {
		t.Fatalf("no KB5055518 among %v", keys(host))
	}
	if u.Status != update.StatusPendingRestart {
		t.Fatalf("before the restart: status %s, want pending-restart", u.Status)
	}
	if len(host.PendingRestarts) != 1 || host.PendingRestarts[0].Key != "KB5055518" || !host.PendingRestarts[0].Until.IsZero() {
		t.Fatalf("pending restarts %+v", host.PendingRestarts)
	}

	boot := h.UpdateRestart(at(60))
	cu.Installed(boot.Add(3 * time.Minute))
	host = build(t, h)[0]
	u = host.Update("KB5055518")
	if u.Status != update.StatusInstalled {
		t.Fatalf("after the restart: status %s, want installed", u.Status)
	}
	if len(u.Attempts) != 1 {
		t.Fatalf("%d attempts, want the restart to continue one attempt", len(u.Attempts))
	}
	if len(host.Boots) != 2 {
		t.Fatalf("%d boots, want 2 (markers of one boot merged)", len(host.Boots))
	}
	if p := host.PendingRestarts[0]; !p.Until.Equal(host.Boots[1].Time) {
		t.Fatalf("pending restart until %v, want the boot at %v", p.Until, host.Boots[1].Time)
	}
	if host.Build != "19045.5487" {
		t.Fatalf("build %q", host.Build)
	}
}

func TestRepeatedFailuresAreSeparateAttempts(t *testing.T) {
	h := eventgen.NewHost("PC2", 19045, 3803)
	h.Boot(at(0))
	u := h.Update("2024-01 Security Update for Windows 10 Version 22H2 for x64-based Systems (KB5034441)",
		"{11111111-2222-3333-4444-555555555555}", 1, "")
	for i := 0; i < 3; i++ {
		base := i * 1440
		if i > 0 {
			h.Boot(at(base))
		}
		u.DownloadStarted(at(base + 5))
		u.InstallStarted(at(base + 10))
		u.Failed(at(base+15), 0x80070643, 0)
	}
	host := build(t, h)[0]
	got := host.Update("KB5034441")
	if got.Status != update.StatusFailed || len(got.Attempts) != 3 {
		t.Fatalf("status %s with %d attempts, want failed with 3", got.Status, len(got.Attempts))
	}
	for i, a := range got.Attempts {
		if !a.Failed() || a.ErrorCode != 0x80070643 {
			t.Errorf("attempt %d: result %s code %#x", i, a.Result, a.ErrorCode)
		}
		if s := host.Session(a.ResultAt); s != i+1 {
			t.Errorf("attempt %d in boot session %d, want %d", i, s, i+1)
		}
	}
}

func TestServicingAndClientResultsJoin(t *testing.T) {
	h := eventgen.NewHost("PC3", 20348, 3453)
	u := h.Update("2025-05 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems (KB5058385)",
		"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", 1, "Package_for_KB5058385~31bf3856ad364e35~amd64~~20348.3692.1.5")
	u.InstallStarted(at(1))
	u.Installed(at(30))
	u2 := h.Update("Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.429.1.0)",
		"bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee", 200, "")
	u2.InstallStarted(at(2))
	u2.Failed(at(3), 0x8024001E, 0)
	u2.InstallStarted(at(50))
	u2.Installed(at(51))

	host := build(t, h)[0]
	got := host.Update("KB5058385")
	if got.Status != update.StatusInstalled || len(got.Attempts) != 1 {
		t.Fatalf("KB5058385: %s with %d attempts", got.Status, len(got.Attempts))
	}
	if n := len(got.Attempts[0].Observations); n != 4 {
		t.Fatalf("KB5058385 attempt has %d observations, want 43, Servicing 1, Servicing 2, 19", n)
	}
	def := host.Update("KB2267602")
	if def.Status != update.StatusInstalled || len(def.Attempts) != 2 || !def.Attempts[0].Failed() {
		t.Fatalf("KB2267602: %s, attempts %d", def.Status, len(def.Attempts))
	}
}

func TestWinREAgentMakesPseudoUpdate(t *testing.T) {
	h := eventgen.NewHost("PC4", 22621, 1000)
	h.Boot(at(0))
	h.WinREStarted(at(10))
	h.WinREFailed(at(11), 2, 0x80070070)
	host := build(t, h)[0]
	u := host.Update(update.WinREKey)
	if u == nil || !u.WinRE {
		t.Fatal("no WinRE pseudo-update")
	}
	a := u.Attempts[0]
	if u.Status != update.StatusFailed || !a.HasErrorPhase || a.ErrorPhase != 2 || a.ErrorCode != 0x80070070 {
		t.Fatalf("status %s phase %d (%v) code %#x", u.Status, a.ErrorPhase, a.HasErrorPhase, a.ErrorCode)
	}
}

func TestCrashBootIsMarked(t *testing.T) {
	h := eventgen.NewHost("PC5", 19045, 1)
	h.Boot(at(0))
	h.Crash(at(100))
	host := build(t, h)[0]
	if len(host.Boots) != 2 || !host.Boots[1].AfterUnexpectedShutdown || host.Boots[0].AfterUnexpectedShutdown {
		t.Fatalf("boots %+v", host.Boots)
	}
}

func TestGUIDOnlyObservationsJoinTheirKB(t *testing.T) {
	ev := func(id uint16, title string) event.Event {
		return event.Event{Event: evtx.Event{
			System: evtx.System{Provider: "Microsoft-Windows-WindowsUpdateClient", EventID: id, Computer: "PC6", TimeCreated: at(int(id)), Channel: "System"},
			Fields: []evtx.Field{{Name: "updateTitle", Value: title}, {Name: "updateGuid", Value: "{ABCDEFAB-1234-1234-1234-1234567890AB}"}},
		}}
	}
	var obs []update.Observation
	for _, e := range []event.Event{ev(43, "Some update (KB5000001)"), ev(44, "")} {
		obs = update.AppendFromEvent(obs, &e)
	}
	host := update.Build(obs, update.Options{})[0]
	if len(host.Updates) != 1 || host.Updates[0].Key != "KB5000001" {
		t.Fatalf("updates %v, want one KB5000001", keys(host))
	}
}

func TestTextObservationsGoToTheOnlyHost(t *testing.T) {
	obs := []update.Observation{
		{Time: at(1), Kind: update.KindBoot, Computer: "PC7"},
		{Time: at(2), Kind: update.KindInstalled, KB: "KB5000002"},
	}
	hosts := update.Build(obs, update.Options{})
	if len(hosts) != 1 || hosts[0].Update("KB5000002") == nil {
		t.Fatalf("hosts %d", len(hosts))
	}
	obs = append(obs, update.Observation{Time: at(3), Kind: update.KindBoot, Computer: "PC8"})
	hosts = update.Build(obs, update.Options{})
	if len(hosts) != 3 || hosts[2].Computer != update.UnknownTextHost {
		t.Fatalf("%d hosts, last %q", len(hosts), hosts[len(hosts)-1].Computer)
	}
	hosts = update.Build(obs, update.Options{TextHost: "PC8"})
	if len(hosts) != 2 || hosts[1].Update("KB5000002") == nil {
		t.Fatalf("--computer PC8 did not take the text observations")
	}
}

func TestWanted(t *testing.T) {
	cases := []struct {
		provider string
		id       uint16
		want     bool
	}{
		{"Microsoft-Windows-WindowsUpdateClient", 20, true},
		{"microsoft-windows-windowsupdateclient", 19, true},
		{"Microsoft-Windows-WindowsUpdateClient", 16, false},
		{"Microsoft-Windows-Servicing", 4, true},
		{"Microsoft-Windows-WinREAgent", 4502, true},
		{"USER32", 1074, true},
		{"EventLog", 6008, true},
		{"EventLog", 6013, false},
		{"Microsoft-Windows-Kernel-General", 1, false},
		{"Microsoft-Windows-Kernel-Power", 41, true},
		{"Service Control Manager", 7036, false},
	}
	for _, c := range cases {
		if got := update.Wanted(c.provider, c.id); got != c.want {
			t.Errorf("Wanted(%q, %d) = %v", c.provider, c.id, got)
		}
	}
}

func keys(h *update.Host) []string {
	var k []string
	for _, u := range h.Updates {
		k = append(k, u.Key)
	}
	return k
}

func TestExtractKB(t *testing.T) {
	cases := map[string]string{
		"2024-01 Security Update for Windows 10 Version 22H2 for x64-based Systems (KB5034441)": "KB5034441",
		"Package_for_KB5058385~31bf3856ad364e35~amd64~~20348.3692.1.5":                          "KB5058385",
		"Security Intelligence Update - KB2267602 (Version 1.429.1.0)":                          "KB2267602",
		"windows10.0-kb5034441-x64.msu":                                                         "KB5034441",
		"KB 890830":                                                                             "KB890830",
		"KB12345":                                                                               "",
		"NKB5034441":                                                                            "",
		"Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5737.1.9":                          "",
	}
	for in, want := range cases {
		if got := update.ExtractKB(in); got != want {
			t.Errorf("ExtractKB(%q) = %q, want %q", in, got, want)
		}
	}
}
