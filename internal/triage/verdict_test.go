package triage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/demo"
	"github.com/wuguard/wuguard/internal/eventgen"
	"github.com/wuguard/wuguard/internal/triage"
	"github.com/wuguard/wuguard/internal/update"
)

var t0 = time.Date(2025, 3, 11, 17, 0, 0, 0, time.UTC)

func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

func judge(t *testing.T, lang string, hosts ...*eventgen.Host) *triage.Result {
	t.Helper()
	cat, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var obs []update.Observation
	for _, h := range hosts {
		for _, e := range h.ModelEvents("logs") {
			obs = update.AppendFromEvent(obs, &e)
		}
	}
	return triage.FromObservations(obs, triage.Options{Catalog: cat, Lang: lang, Now: func() time.Time { return t0 }})
}

func find(t *testing.T, r *triage.Result, computer, key string) triage.Update {
	t.Helper()
	for _, h := range r.Hosts {
		if h.Computer != computer {
			continue
		}
		for _, u := range h.Updates {
			if u.Key == key {
				return u
			}
		}
	}
	t.Fatalf("no %s on %s", key, computer)
	return triage.Update{}
}

// TestDefaultVerdicts covers updates no catalog entry speaks for; the code
// 0x80248007 (the real corpus's repeated failure) has no entry.
func TestDefaultVerdicts(t *testing.T) {
	h := eventgen.NewHost("PC", 19045, 1)
	h.Boot(at(0))
	upd := func(kb string) *eventgen.Update {
		return h.Update("Update ("+kb+")", "00000000-0000-0000-0000-"+strings.Repeat("0", 12-len(kb))+kb[2:], 1, "")
	}
	recovered := upd("KB5000001")
	recovered.InstallStarted(at(1))
	recovered.Failed(at(2), 0x80248007, 0)
	recovered.InstallStarted(at(30))
	recovered.Installed(at(31))

	waiting := upd("KB5000002")
	waiting.InstallStarted(at(3))
	waiting.RestartRequired(at(4))

	twice := upd("KB5000003")
	twice.InstallStarted(at(5))
	twice.Failed(at(6), 0x80248007, 0)
	twice.InstallStarted(at(60))
	twice.Failed(at(61), 0x80248007, 0)

	once := upd("KB5000004")
	once.InstallStarted(at(7))
	once.Failed(at(8), 0x80248007, 0)

	downloaded := upd("KB5000005")
	downloaded.DownloadStarted(at(9))

	r := judge(t, "en", h)
	cases := []struct {
		key, status, assessment, guidance string
	}{
		{"KB5000001", "installed", "ok", "An earlier attempt failed with 0x80248007"},
		{"KB5000002", "pending-restart", "ok", "Restart the computer to finish"},
		{"KB5000003", "failed", "needs-action", "failed 2 times"},
		{"KB5000004", "failed", "investigate", "Failed once with 0x80248007"},
		{"KB5000005", "unknown", "investigate", "No install result is logged"},
	}
	for _, c := range cases {
		u := find(t, r, "PC", c.key)
		if u.Status != c.status || u.Assessment != c.assessment || !strings.Contains(u.Guidance, c.guidance) {
			t.Errorf("%s: %s/%s %q", c.key, u.Status, u.Assessment, u.Guidance)
		}
		if u.KnownIssue != nil {
			t.Errorf("%s: matched %s", c.key, u.KnownIssue.ID)
		}
		if len(u.Evidence) == 0 || len(u.Evidence[0].Evidence) == 0 {
			t.Errorf("%s: no evidence", c.key)
		}
	}
	got := r.Hosts[0].Updates
	if got[0].Assessment != "needs-action" || got[len(got)-1].Assessment != "ok" {
		t.Errorf("updates not sorted by what needs a person: first %s, last %s", got[0].Assessment, got[len(got)-1].Assessment)
	}
	s := r.Summary
	if s.Updates != 5 || s.NeedsAction != 1 || s.Investigate != 2 || s.OK != 2 || s.PendingRestart != 1 {
		t.Errorf("summary %+v", s)
	}
}

func TestRestartWithoutResultIsUnknown(t *testing.T) {
	h := eventgen.NewHost("PC", 19045, 1)
	h.Boot(at(0))
	u := h.Update("Update (KB5000006)", "00000000-0000-0000-0000-000000000006", 1, "KB5000006")
	u.InstallStarted(at(1))
	u.RestartRequired(at(2))
	h.UpdateRestart(at(10))
	got := find(t, judge(t, "en", h), "PC", "KB5000006")
	if got.Status != "unknown" || got.Assessment != "investigate" || !strings.Contains(got.Guidance, "no result is logged after the restart") {
		t.Fatalf("%s/%s %q", got.Status, got.Assessment, got.Guidance)
	}
}

func TestJapanese(t *testing.T) {
	r := judge(t, "ja", demo.Hosts()...)
	u := find(t, r, "PC-RECEPTION", "KB5057589")
	if r.Lang != "ja" || !strings.Contains(u.Guidance, "誤表示です") || !strings.Contains(u.Evidence[0].Text, "再起動待ち") {
		t.Fatalf("lang %s, guidance %q, evidence %q", r.Lang, u.Guidance, u.Evidence[0].Text)
	}
	if !strings.Contains(u.KnownIssue.Summary, "誤表示") && !strings.Contains(u.KnownIssue.Summary, "正しくなく") {
		t.Fatalf("summary %q", u.KnownIssue.Summary)
	}
}

// TestDemoVerdicts pins the answers the README promises for the demo.
func TestDemoVerdicts(t *testing.T) {
	r := judge(t, "en", demo.Hosts()...)
	for _, c := range []struct{ host, key, status, assessment, entry string }{
		{"PC-RECEPTION", "KB5057589", "pending-restart", "false-alarm", "kb5057589-winre-false-alarm"},
		{"PC-RECEPTION", "KB5055518", "pending-restart", "ok", ""},
		{"PC-ACCOUNTING", "KB5057589", "installed", "false-alarm", "kb5057589-winre-false-alarm"},
		{"PC-ACCOUNTING", "KB5055518", "installed", "ok", ""},
		{"PC-LAB-07", "KB5034441", "failed", "needs-action", "kb5034441-winre-partition-too-small"},
		{"PC-LAB-07", update.WinREKey, "failed", "needs-action", "winre-servicing-low-space"},
		{"PC-LAB-07", "KB5034122", "installed", "ok", ""},
		{"SRV-FILES-02", "KB5058385", "installed", "ok", ""},
		{"SRV-FILES-02", "KB2267602", "installed", "ok", ""},
	} {
		u := find(t, r, c.host, c.key)
		entry := ""
		if u.KnownIssue != nil {
			entry = u.KnownIssue.ID
		}
		if u.Status != c.status || u.Assessment != c.assessment || entry != c.entry {
			t.Errorf("%s %s: %s/%s %s, want %s/%s %s", c.host, c.key, u.Status, u.Assessment, entry, c.status, c.assessment, c.entry)
		}
	}
	if s := r.Summary; s.NeedsAction != 2 || s.FalseAlarm != 2 || s.Investigate != 0 {
		t.Errorf("summary %+v", s)
	}
}

func TestUTCOffsets(t *testing.T) {
	for in, want := range map[string]time.Duration{"+09:00": 9 * time.Hour, "-05:30": -(5*time.Hour + 30*time.Minute), "+9": 9 * time.Hour, "Z": 0} {
		got, err := triage.ParseUTCOffset(in)
		if err != nil || got != want {
			t.Errorf("ParseUTCOffset(%q) = %v, %v", in, got, err)
		}
		if err == nil && in != "Z" && in != "+9" && triage.FormatUTCOffset(got) != in {
			t.Errorf("FormatUTCOffset(%v) = %q", got, triage.FormatUTCOffset(got))
		}
	}
	for _, bad := range []string{"9", "+15:00", "+09:60", "+09:5", "x"} {
		if _, err := triage.ParseUTCOffset(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
