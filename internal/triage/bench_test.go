package triage_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/triage"
	"github.com/wuguard/wuguard/internal/update"
)

// BenchmarkLargeHost judges one host with many failing updates, CBS.log
// error lines and boots: the shape a hostile or simply huge log takes. The
// catalog's look-ups are indexed by boot session, so the cost grows with the
// number of updates, not with updates times lines.
func BenchmarkLargeHost(b *testing.B) {
	cat, err := catalog.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	const updates, lines, boots = 5000, 20000, 200
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var obs []update.Observation
	for i := 0; i < boots; i++ {
		obs = append(obs, update.Observation{Time: start.Add(time.Duration(i) * 6 * time.Hour), Kind: update.KindBoot, Computer: "BIG",
			Evidence: update.Evidence{Provider: "Microsoft-Windows-Kernel-General"}})
	}
	for i := 0; i < updates; i++ {
		t := start.Add(time.Duration(i) * 4 * time.Minute)
		kb := fmt.Sprintf("KB%07d", 5000000+i)
		for _, k := range []update.Kind{update.KindInstallStarted, update.KindInstallFailed} {
			obs = append(obs, update.Observation{Time: t, Kind: k, Computer: "BIG", KB: kb, ErrorCode: 0x800f0922, HasError: k == update.KindInstallFailed,
				Evidence: update.Evidence{Provider: "Microsoft-Windows-WindowsUpdateClient"}})
			t = t.Add(time.Minute)
		}
	}
	for i := 0; i < lines; i++ {
		obs = append(obs, update.Observation{Time: start.Add(time.Duration(i) * time.Minute), Kind: update.KindServicingError, Text: "Error CBS something failed",
			Evidence: update.Evidence{Format: "text", Provider: update.LogCBS}})
	}
	b.ResetTimer()
	for b.Loop() {
		in := append([]update.Observation(nil), obs...)
		r := triage.FromObservations(in, triage.Options{Catalog: cat, Computer: "BIG"})
		if r.Summary.Updates != updates {
			b.Fatalf("%d updates", r.Summary.Updates)
		}
	}
}
