// Package demo makes the logs "wuguard demo" triages: four computers whose
// System, Setup and WindowsUpdateClient Operational logs tell the stories
// wuguard exists for. The events are what Windows logs in these situations
// (package eventgen); the computers, GUIDs and times are made up.
//
//   - PC-RECEPTION: the April 2025 KB5057589 false alarm, before the restart.
//   - PC-ACCOUNTING: the same false alarm, after the restart.
//   - PC-LAB-07: the January 2024 KB5034441 failure, a recovery partition
//     too small, failing on every retry.
//   - SRV-FILES-02: a normal month on Windows Server 2022, one transient error
//     included.
package demo

import (
	"time"

	"github.com/wuguard/wuguard/internal/eventgen"
)

func utc(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, time.UTC)
}

// Hosts returns the demo computers with their events.
func Hosts() []*eventgen.Host {
	return []*eventgen.Host{reception(), accounting(), lab(), fileServer()}
}

// april2025 logs Patch Tuesday April 2025 on a Windows 10 22H2 PC up to the
// WinRE update's misleading failure, and returns the cumulative update.
func april2025(h *eventgen.Host) *eventgen.Update {
	h.Boot(utc(2025, 4, 8, 7, 55))
	defender(h, utc(2025, 4, 8, 9, 12), "1.425.201.0", "3c1a6b52-8e0f-4f4e-9d7b-5a2c1e0f9b10")
	h.Scan(utc(2025, 4, 8, 17, 4), 3)
	cu := h.Update("2025-04 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5055518)",
		"5b9e3c2a-7d41-4e8f-a3b6-0c9d8e7f6a51", 1, "KB5055518")
	msrt := h.Update("Windows Malicious Software Removal Tool x64 - v5.133 (KB890830)",
		"9f2d1c7e-3b4a-4c5d-8e6f-7a1b2c3d4e52", 200, "")
	winre := h.Update("2025-04 Windows Recovery Environment Update for Windows 10 Version 22H2 for x64-based Systems (KB5057589)",
		"2a7c9e4b-6d1f-4a3e-b5c8-9e0f1a2b3c53", 1, "")
	for i, u := range []*eventgen.Update{cu, msrt, winre} {
		u.DownloadStarted(utc(2025, 4, 8, 17, 6+i))
		u.Downloaded(utc(2025, 4, 8, 17, 20+i))
	}
	msrt.InstallStarted(utc(2025, 4, 8, 17, 24))
	msrt.Installed(utc(2025, 4, 8, 17, 27))
	cu.InstallStarted(utc(2025, 4, 8, 17, 28))
	cu.RestartRequired(utc(2025, 4, 8, 17, 52))
	winre.InstallStarted(utc(2025, 4, 8, 17, 53))
	winre.Failed(utc(2025, 4, 8, 17, 58), 0x80070643, 0)
	return cu
}

// reception stops before the restart: the user sees 0x80070643 now.
func reception() *eventgen.Host {
	h := eventgen.NewHost("PC-RECEPTION", 19045, 5608)
	april2025(h)
	h.Scan(utc(2025, 4, 8, 19, 2), 0)
	return h
}

// accounting restarted the next morning; the WinRE update went through.
func accounting() *eventgen.Host {
	h := eventgen.NewHost("PC-ACCOUNTING", 19045, 5608)
	cu := april2025(h)
	h.UBR = 5737
	boot := h.UpdateRestart(utc(2025, 4, 9, 7, 30))
	cu.Installed(boot.Add(4 * time.Minute))
	h.WinREStarted(boot.Add(6 * time.Minute))
	h.WinRESucceeded(boot.Add(9*time.Minute), "10.0.19041.5737")
	h.Scan(boot.Add(3*time.Hour), 0)
	defender(h, utc(2025, 4, 9, 13, 40), "1.425.243.0", "3c1a6b52-8e0f-4f4e-9d7b-5a2c1e0f9b11")
	h.Scan(utc(2025, 4, 10, 11, 15), 0)
	return h
}

// lab is the January 2024 real failure: KB5034441 fails on each of three
// days, each time after a restart, with the WinRE agent reporting low space.
func lab() *eventgen.Host {
	h := eventgen.NewHost("PC-LAB-07", 19045, 3803)
	h.Boot(utc(2024, 1, 9, 7, 50))
	cu := h.Update("2024-01 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5034122)",
		"c4e1a9b7-2f3d-4b6a-9c8e-1d0f2e3a4b61", 1, "KB5034122")
	winre := h.Update("2024-01 Security Update for Windows 10 Version 22H2 for x64-based Systems (KB5034441)",
		"e8b3d6f1-0a2c-4e7b-8d9f-3c1a5b7e9d62", 1, "")
	cu.DownloadStarted(utc(2024, 1, 9, 18, 5))
	winre.DownloadStarted(utc(2024, 1, 9, 18, 6))
	cu.Downloaded(utc(2024, 1, 9, 18, 20))
	winre.Downloaded(utc(2024, 1, 9, 18, 21))
	cu.InstallStarted(utc(2024, 1, 9, 18, 22))
	cu.RestartRequired(utc(2024, 1, 9, 18, 49))
	for i := 0; i < 3; i++ {
		day := utc(2024, 1, 9+i, 18, 50)
		winre.InstallStarted(day)
		h.WinREStarted(day.Add(1 * time.Minute))
		h.WinREFailed(day.Add(3*time.Minute), 2, 0x80070070)
		winre.Failed(day.Add(4*time.Minute), 0x80070643, 0)
		if i == 0 {
			h.UBR = 3930
		}
		boot := h.UpdateRestart(utc(2024, 1, 10+i, 7, 30))
		if i == 0 {
			cu.Installed(boot.Add(5 * time.Minute))
		}
	}
	h.Scan(utc(2024, 1, 12, 9, 0), 1)
	return h
}

// fileServer is a normal month on Windows Server 2022: the cumulative update
// installs across its restart, and a definition update recovers from a
// service stop on its own.
func fileServer() *eventgen.Host {
	h := eventgen.NewHost("SRV-FILES-02", 20348, 3561)
	h.Boot(utc(2025, 5, 1, 6, 0))
	defender(h, utc(2025, 5, 2, 3, 10), "1.427.612.0", "7d3e1f9a-5c2b-4d8e-a6f0-2b4c6d8e0f71")
	def := h.Update("Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.429.48.0)",
		"7d3e1f9a-5c2b-4d8e-a6f0-2b4c6d8e0f72", 200, "")
	def.DownloadStarted(utc(2025, 5, 9, 3, 10))
	def.InstallStarted(utc(2025, 5, 9, 3, 11))
	def.Failed(utc(2025, 5, 9, 3, 12), 0x8024001E, 0)
	def.InstallStarted(utc(2025, 5, 9, 7, 40))
	def.Installed(utc(2025, 5, 9, 7, 41))
	cu := h.Update("2025-05 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems (KB5058385)",
		"a1f4c7e2-9b3d-4f6a-8c1e-5d7b9f2a4c73", 1, "KB5058385")
	msrt := h.Update("Windows Malicious Software Removal Tool x64 - v5.134 (KB890830)",
		"b2e5d8f3-0c4e-4a7b-9d2f-6e8a0b3c5d74", 200, "")
	cu.DownloadStarted(utc(2025, 5, 13, 19, 2))
	msrt.DownloadStarted(utc(2025, 5, 13, 19, 3))
	cu.Downloaded(utc(2025, 5, 13, 19, 25))
	msrt.Downloaded(utc(2025, 5, 13, 19, 26))
	msrt.InstallStarted(utc(2025, 5, 13, 19, 27))
	msrt.Installed(utc(2025, 5, 13, 19, 30))
	cu.InstallStarted(utc(2025, 5, 13, 19, 31))
	cu.RestartRequired(utc(2025, 5, 13, 20, 4))
	h.UBR = 3692
	boot := h.Restart(utc(2025, 5, 14, 2, 0), `C:\Windows\system32\shutdown.exe`, "Operating System: Service pack (Planned)", "0x80020010")
	cu.Installed(boot.Add(6 * time.Minute))
	defender(h, utc(2025, 5, 20, 3, 12), "1.429.311.0", "7d3e1f9a-5c2b-4d8e-a6f0-2b4c6d8e0f75")
	h.Scan(utc(2025, 5, 27, 3, 0), 0)
	return h
}

// defender logs one Defender security intelligence update, installed.
func defender(h *eventgen.Host, t time.Time, version, guid string) {
	u := h.Update("Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version "+version+")", guid, 200, "")
	u.DownloadStarted(t)
	u.InstallStarted(t.Add(40 * time.Second))
	u.Installed(t.Add(2 * time.Minute))
}
