package textlog_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/textlog"
)

// collect reads data with read and returns copies of every entry and the
// damage reports.
func collect(t *testing.T, read func(context.Context, io.Reader, string, func(*textlog.Entry) error, func(input.Damage)) error, data []byte) ([]textlog.Entry, []input.Damage) {
	t.Helper()
	var entries []textlog.Entry
	var damage []input.Damage
	err := read(context.Background(), bytes.NewReader(data), "f.log", func(e *textlog.Entry) error {
		entries = append(entries, *e)
		return nil
	}, func(d input.Damage) { damage = append(damage, d) })
	if err != nil {
		t.Fatal(err)
	}
	return entries, damage
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func find(entries []textlog.Entry, kind textlog.Kind, kb string) []textlog.Entry {
	var out []textlog.Entry
	for _, e := range entries {
		if e.Kind == kind && (kb == "" || e.KB == kb) {
			out = append(out, e)
		}
	}
	return out
}

// TestApril2025 checks the lines the KB5057589 false-alarm rule needs: the
// cumulative update waiting for a restart, the WinRE update failing with
// 0x80070643 while it waits, the boot, and both succeeding after it.
func TestApril2025(t *testing.T) {
	wu, damage := collect(t, textlog.ReadWindowsUpdateLog, fixture(t, "wu10-april2025.log"))
	if len(damage) != 0 {
		t.Errorf("damage: %v", damage)
	}
	reboot := find(wu, textlog.KindRebootRequired, "KB5055518")
	if len(reboot) != 1 || !reboot[0].RebootRequired || reboot[0].Time.Format(time.DateTime) != "2025-04-09 03:31:55" {
		t.Fatalf("KB5055518 reboot-required entries: %+v", reboot)
	}
	failed := find(wu, textlog.KindInstallFailed, "KB5057589")
	if len(failed) != 2 {
		t.Fatalf("KB5057589 failures: %d, want the handler's and the agent's", len(failed))
	}
	for _, f := range failed {
		if !f.HasError || f.ErrorCode != 0x80070643 || !f.Time.After(reboot[0].Time) {
			t.Errorf("failure %+v", f)
		}
	}
	agent := failed[1]
	if agent.UpdateID != "c6e1b0d2-9f43-47a8-b215-0e7d3a9c6f58" || agent.Revision != 1 ||
		agent.Title != "2025-04 Update for Windows 10 Version 22H2 for x64-based Systems (KB5057589)" || agent.Line != 44 {
		t.Errorf("LogHistory failure: %+v", agent)
	}
	if got := find(wu, textlog.KindStartup, ""); len(got) != 4 {
		t.Errorf("startup lines: %d, want 4 (two service starts)", len(got))
	}
	after := find(wu, textlog.KindInstallSucceeded, "")
	var kbs []string
	for _, e := range after {
		kbs = append(kbs, e.KB)
	}
	if strings.Join(kbs, ",") != "KB5055518,KB5057589,KB5057589" {
		t.Errorf("successes after the restart: %v", kbs)
	}
	calls := find(wu, textlog.KindCallComplete, "")
	if len(calls) == 0 || calls[len(calls)-1].Client != "UpdateOrchestrator" {
		t.Errorf("call-complete entries: %+v", calls)
	}

	cbs, damage := collect(t, textlog.ReadCBSLog, fixture(t, "cbs-april2025.log"))
	if len(damage) != 0 {
		t.Errorf("damage: %v", damage)
	}
	var pending, installed bool
	for _, e := range cbs {
		if e.Build != "19041.5737" || e.KB != "" || !strings.HasPrefix(e.Package, "Package_for_RollupFix") {
			continue
		}
		if e.Kind == textlog.KindPackageStateChange && e.RebootRequired && e.FromState == "Staged" && e.ToState == "Staged" && e.TargetState == "Installed" && e.Client == "UpdateAgentLCU" {
			pending = true
		}
		if e.Kind == textlog.KindPackageStateChange && e.ToState == "Installed" && !e.RebootRequired {
			installed = true
		}
	}
	if !pending || !installed {
		t.Errorf("cumulative update pending restart %v, installed after boot %v", pending, installed)
	}
	fin := find(cbs, textlog.KindSessionFinalized, "")
	if len(fin) != 3 || !fin[0].RebootRequired || fin[1].RebootRequired || fin[1].ErrorCode != 0x80070643 {
		t.Errorf("finalized sessions: %+v", fin)
	}
	boots := 0
	for _, e := range cbs {
		if e.Boot {
			boots++
		}
	}
	if boots != 1 {
		t.Errorf("boot lines: %d, want 1", boots)
	}
	if got := find(cbs, textlog.KindPackageFailed, "KB5057589"); len(got) != 2 || got[0].FromState != "Absent" {
		t.Errorf("KB5057589 package failures: %+v", got)
	}
}

// TestJanuary2024 checks the repeated KB5034441 failure: three attempts on
// three days, each 0x80070643 in WindowsUpdate.log and
// CBS_E_INSUFFICIENT_DISK_SPACE in CBS.log.
func TestJanuary2024(t *testing.T) {
	wu, _ := collect(t, textlog.ReadWindowsUpdateLog, fixture(t, "wu10-jan2024.log"))
	var days []string
	for _, e := range find(wu, textlog.KindInstallFailed, "KB5034441") {
		if e.Component == "Agent" {
			days = append(days, e.Time.Format(time.DateOnly))
		}
	}
	if strings.Join(days, " ") != "2024-01-10 2024-01-11 2024-01-12" {
		t.Errorf("agent failures on %v", days)
	}
	cbs, _ := collect(t, textlog.ReadCBSLog, fixture(t, "cbs-jan2024.log"))
	failed := find(cbs, textlog.KindPackageFailed, "KB5034441")
	if len(failed) != 6 {
		t.Fatalf("KB5034441 package failures: %d, want 6", len(failed))
	}
	for _, e := range failed {
		if e.ErrorCode != 0x800F0828 || e.Build != "19041.3920" {
			t.Errorf("failure %+v", e)
		}
	}
}

// TestEncodings reads the same CBS.log as UTF-8, UTF-16LE with BOM (the
// committed CbsPersist copy), UTF-16BE with BOM and UTF-16LE without BOM:
// every field but the byte offset must match.
func TestEncodings(t *testing.T) {
	utf8Text := fixture(t, "cbs-jan2024.log")
	want, _ := collect(t, textlog.ReadCBSLog, utf8Text)
	if len(want) != 24 {
		t.Fatalf("UTF-8: %d entries", len(want))
	}
	units := utf16.Encode([]rune(string(utf8Text)))
	le := make([]byte, 0, 2*len(units))
	be := make([]byte, 0, 2*len(units))
	for _, u := range units {
		le = append(le, byte(u), byte(u>>8))
		be = append(be, byte(u>>8), byte(u))
	}
	for name, data := range map[string][]byte{
		"utf-16le bom (committed)": fixture(t, "CbsPersist_20240112144200.log"),
		"utf-16be bom":             append([]byte{0xFE, 0xFF}, be...),
		"utf-16le no bom":          le,
		"utf-8 bom":                append([]byte{0xEF, 0xBB, 0xBF}, utf8Text...),
	} {
		got, damage := collect(t, textlog.ReadCBSLog, data)
		if len(damage) != 0 || len(got) != len(want) {
			t.Errorf("%s: %d entries, damage %v", name, len(got), damage)
			continue
		}
		for i := range got {
			g, w := got[i], want[i]
			g.Offset, w.Offset = 0, 0
			if g != w {
				t.Errorf("%s entry %d:\n got %+v\nwant %+v", name, i, g, w)
			}
		}
		if name == "utf-16le bom (committed)" && got[1].Offset != 2+2*int64(want[1].Offset) {
			t.Errorf("UTF-16 offset %d, want %d", got[1].Offset, 2+2*want[1].Offset)
		}
	}
}

func TestLatin1Line(t *testing.T) {
	entries, _ := collect(t, textlog.ReadCBSLog, []byte("2024-02-01 09:00:03, Info                  CBS    Path C:\\Users\\J\xfcrgen\\x\n"))
	if len(entries) != 1 || entries[0].Text != "Path C:\\Users\\Jürgen\\x" {
		t.Errorf("entries %+v", entries)
	}
}

func TestContinuation(t *testing.T) {
	data := "2024-02-01 09:00:02, Info                  CBS    Exec: Processing complete.  Session: 1_2, Package: Package_for_KB5034441~31bf3856ad364e35~amd64~~19041.3920.1.2 [HRESULT =\r\n" +
		"   0x800f0828 - CBS_E_INSUFFICIENT_DISK_SPACE]\r\n" +
		"2024-02-01 09:00:03, Info                  CBS    next\r\n"
	entries, damage := collect(t, textlog.ReadCBSLog, []byte(data))
	if len(damage) != 0 || len(entries) != 2 {
		t.Fatalf("entries %d damage %v", len(entries), damage)
	}
	e := entries[0]
	if e.Kind != textlog.KindPackageFailed || e.ErrorCode != 0x800F0828 || e.KB != "KB5034441" || e.Line != 1 ||
		!strings.HasSuffix(e.Text, "[HRESULT = 0x800f0828 - CBS_E_INSUFFICIENT_DISK_SPACE]") {
		t.Errorf("joined entry %+v", e)
	}
	if entries[1].Line != 3 || entries[1].Offset != int64(strings.Index(data, "2024-02-01 09:00:03")) {
		t.Errorf("second entry at line %d offset %d", entries[1].Line, entries[1].Offset)
	}
}

func TestLongLine(t *testing.T) {
	data := "2024-02-01 09:00:00, Info                  CBS    before\n" +
		"2024-02-01 09:00:01, Info                  CBS    " + strings.Repeat("x", textlog.MaxLineBytes+10) + "\n" +
		"2024-02-01 09:00:02, Info                  CBS    after\n"
	entries, damage := collect(t, textlog.ReadCBSLog, []byte(data))
	if len(entries) != 2 || entries[1].Text != "after" || entries[1].Line != 3 {
		t.Errorf("entries %+v", entries)
	}
	if len(damage) != 1 || damage[0].Offset != int64(strings.Index(data, "2024-02-01 09:00:01")) || !strings.Contains(damage[0].Reason, "line 2: line longer than") {
		t.Errorf("damage %+v", damage)
	}
	// The same in UTF-16.
	units := utf16.Encode([]rune(data))
	le := []byte{0xFF, 0xFE}
	for _, u := range units {
		le = append(le, byte(u), byte(u>>8))
	}
	entries, damage = collect(t, textlog.ReadCBSLog, le)
	if len(entries) != 2 || entries[1].Text != "after" || len(damage) != 1 {
		t.Errorf("UTF-16: entries %d damage %v", len(entries), damage)
	}
}

func TestNotALog(t *testing.T) {
	var b strings.Builder
	for range 500 {
		b.WriteString("2024 was a year; \x00\x01 binary \x02 junk\n")
		b.WriteString("some prose\n")
	}
	for name, read := range map[string]func(context.Context, io.Reader, string, func(*textlog.Entry) error, func(input.Damage)) error{
		"cbs": textlog.ReadCBSLog, "wu": textlog.ReadWindowsUpdateLog,
	} {
		entries, damage := collect(t, read, []byte(b.String()))
		if len(entries) != 0 || len(damage) != 1 || damage[0].Offset != 0 || !strings.Contains(damage[0].Reason, "1000 lines") {
			t.Errorf("%s: entries %d damage %+v", name, len(entries), damage)
		}
	}
	entries, damage := collect(t, textlog.ReadCBSLog, nil)
	if len(entries) != 0 || len(damage) != 0 {
		t.Errorf("empty file: %d entries, damage %v", len(entries), damage)
	}
}

func TestDamageCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("2024-02-01 09:00:00, Info                  CBS    fine\n")
	for range 100 {
		b.WriteString("2024-13-01 09:00:00, Info                  CBS    bad month\n")
	}
	_, damage := collect(t, textlog.ReadCBSLog, []byte(b.String()))
	if len(damage) != 21 || damage[20].Reason != "80 more damaged lines not listed" {
		t.Errorf("%d reports, last %+v", len(damage), damage[len(damage)-1])
	}
}

func TestCallbackErrorAndCancel(t *testing.T) {
	data := fixture(t, "cbs-april2025.log")
	stop := errors.New("stop")
	calls := 0
	err := textlog.ReadCBSLog(context.Background(), bytes.NewReader(data), "f", func(*textlog.Entry) error {
		calls++
		return stop
	}, nil)
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("err %v after %d calls", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	big := bytes.Repeat(data, 200)
	err = textlog.ReadWindowsUpdateLog(ctx, bytes.NewReader(big), "f", func(*textlog.Entry) error { return nil }, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read returned %v", err)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		line := "2024-02-01 09:00:00, Info                  CBS    fine\n"
		r.n--
		return copy(p, line), nil
	}
	return 0, errors.New("device not ready")
}

func TestReadError(t *testing.T) {
	var damage []input.Damage
	n := 0
	err := textlog.ReadCBSLog(context.Background(), &failingReader{n: 3}, "f", func(*textlog.Entry) error { n++; return nil },
		func(d input.Damage) { damage = append(damage, d) })
	if err != nil || n != 3 || len(damage) != 1 || !strings.Contains(damage[0].Reason, "device not ready") {
		t.Errorf("err %v, %d entries, damage %+v", err, n, damage)
	}
}

func TestKindString(t *testing.T) {
	if textlog.KindPackageFailed.String() != "package-failed" || textlog.Kind(99).String() != "kind(99)" {
		t.Error("Kind.String")
	}
}

// TestEmptyMessages covers lines that end right after their columns.
func TestEmptyMessages(t *testing.T) {
	wu, damage := collect(t, textlog.ReadWindowsUpdateLog, []byte("2025/03/02 08:00:01.0000001 1200  1300  Agent\n2025/03/02 08:00:01.0000001 1200  1300  Agent   \n2015-04-15\t03:00:08:470\t 948\t1e0c\tAgent\t\n"))
	if len(wu) != 3 || len(damage) != 0 || wu[0].Text != "" || wu[2].Component != "Agent" {
		t.Errorf("WindowsUpdate.log: %+v %v", wu, damage)
	}
	cbs, damage := collect(t, textlog.ReadCBSLog, []byte("2024-02-01 09:00:00, Info                  CBS\n2024-02-01 09:00:00, Info CBS    \n"))
	if len(cbs) != 2 || len(damage) != 0 || cbs[1].Component != "CBS" {
		t.Errorf("CBS.log: %+v %v", cbs, damage)
	}
}
