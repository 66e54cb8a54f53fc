package textlog_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/textlog"
)

// cbsBenchLines is a mix shaped like a busy CBS.log: mostly applicability
// and CSI chatter, with a few lifecycle lines.
var cbsBenchLines = []string{
	"%s, Info                  CBS    Appl: detect Parent, Package: Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5737.1.7, Parent: Microsoft-Windows-Client-Features-Package0011~31bf3856ad364e35~amd64~~10.0.19041.5737, Disposition = Detect, VersionComp: EQ, ServiceComp: GE, BuildComp: GE, DistributionComp: GE, RevisionComp: GE, Exist: present",
	"%s, Info                  CBS    Appl: detectParent: package: Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5737.1.7, evaluated package: Microsoft-Windows-Client-Features-Package0011~31bf3856ad364e35~amd64~~10.0.19041.5737, parent state: Installed",
	"%s, Info                  CBS    Read out cached package applicability for package: Package_for_KB5034441~31bf3856ad364e35~amd64~~19041.3920.1.2, ApplicableState: 112, CurrentState:112",
	"%s, Info                  CSI    00000245 Hashes for file member [l:12]\"ntoskrnl.exe\" do not match.",
	"%s, Info                  CSI    0000000a@2025/4/9:03:10:05.1234567 CSI Transaction @0x1d2174564c0 initialized for deployment engine {d16d444c-56d8-11d5-882d-0080c847b195} with flags 00000002 and client id [10]\"TI6.0_0:0/\"",
	"%s, Info                  CBS    Plan: Package: Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5737.1.7, current: Staged, pending: Default, start: Staged, applicable: Installed, targeted: Installed, limit: Installed, selected: Default",
	"%s, Info                  CBS    Reporting package change for package: Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5737.1.7, current: Staged, pending: Installed, start: Staged, applicable: Installed, target: Installed, limit: Installed, status: 0x0, failure source: Not Applicable, reboot required: True, client id: UpdateAgentLCU, initiated offline: False",
	"%s, Info                  CBS    Exec: Processing complete.  Session: 31171403_1180247713, Package: Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5737.1.7 [HRESULT = 0x00000000 - S_OK]",
	"%s, Info                  CBS    Session: 31171403_1180247713 finalized. Reboot required: yes [HRESULT = 0x00000000 - S_OK]",
	"%s, Error                 CBS    Failed to resolve package 'Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.3915.1.7' [HRESULT = 0x800f0831 - CBS_E_STORE_CORRUPTION]",
}

var wuBenchLines = []string{
	"%s 1404  7032  Agent           Title = 2025-04 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5055518)",
	"%s 1404  7032  Agent           UpdateId = {8A2C5F1E-3B7D-4E19-A6C0-5D9E2F71B4A8}.1",
	"%s 1404  7812  DownloadManager DO job {E2B1F6A4-5C37-4A9D-B8E0-1F6C3D7A92B5} completed successfully, updateId = 4F0B9C2A-7E15-4D3B-8C61-A2E4F7D09B13.1",
	"%s 1404  9016  Agent           LogHistory called. idUpdate={C6E1B0D2-9F43-47A8-B215-0E7D3A9C6F58}.1, resultMapped=80070643, resultUnMapped=80070643",
	"%s 1404  6120  ProtocolTalker  SyncUpdates round trips: 2",
	"%s 1404  6120  SLS             Get response for service 855E8A7C-ECB4-4CA3-B045-1DFA50104289 - forceExpire[False] asyncRefreshOnExpiry[True]",
	"%s 1404  6120  Misc            Got WU drv service url: https://fe3cr.delivery.mp.microsoft.com/ClientWebService/client.asmx",
	"%s 6232  6240  ComApi          Exit code = 0x00000000; Call error code = 0x80240022",
	"%s 1404  6120  IdleTimer       WU operation (CSearchCall::Init ID 4) started; operation # 13; does use network; is at background priority",
	"%s 1404  6120  DataStore       Data store: Retrieved 3 results",
}

func benchInput(lines []string, stamp func(i int) string, size int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, lines[i%len(lines)], stamp(i))
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func bench(b *testing.B, read func(context.Context, io.Reader, string, func(*textlog.Entry) error, func(input.Damage)) error, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	for b.Loop() {
		n := 0
		err := read(context.Background(), bytes.NewReader(data), "bench", func(*textlog.Entry) error { n++; return nil }, func(input.Damage) {})
		if err != nil || n == 0 {
			b.Fatal(err, n)
		}
	}
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)*float64(len(data))/1e6/cpu, "MB/cpu-s")
	}
}

// BenchmarkReadCBSLog measures throughput on plain ASCII lines (32 MiB);
// bench/textlog.sh runs it and reports MB/s.
func BenchmarkReadCBSLog(b *testing.B) {
	data := benchInput(cbsBenchLines, func(i int) string {
		return fmt.Sprintf("2025-04-09 %02d:%02d:%02d", i/3600%24, i/60%60, i%60)
	}, 32<<20)
	bench(b, textlog.ReadCBSLog, data)
}

func BenchmarkReadWindowsUpdateLog(b *testing.B) {
	data := benchInput(wuBenchLines, func(i int) string {
		return fmt.Sprintf("2025/04/09 %02d:%02d:%02d.%07d", i/3600%24, i/60%60, i%60, i%10000000)
	}, 32<<20)
	bench(b, textlog.ReadWindowsUpdateLog, data)
}
