package update_test

import (
	"testing"
	"time"

	"github.com/wuguard/wuguard/internal/update"
)

func textObs(t time.Time, k update.Kind, guid, kb string) update.Observation {
	return update.Observation{Time: t, Kind: k, UpdateID: guid, KB: kb, Evidence: update.Evidence{Format: "text", Provider: update.LogWindowsUpdate}}
}

func eventObs(t time.Time, k update.Kind, guid, kb string) update.Observation {
	return update.Observation{Time: t, Kind: k, UpdateID: guid, KB: kb, Computer: "PC", Evidence: update.Evidence{Format: "evtx"}}
}

func TestEstimateTextOffset(t *testing.T) {
	utc := time.Date(2025, 4, 8, 17, 58, 2, 0, time.UTC)
	local := utc.Add(9 * time.Hour) // a Tokyo machine's WindowsUpdate.log
	obs := []update.Observation{
		eventObs(utc, update.KindInstallFailed, "aaaa", "KB5057589"),
		eventObs(utc.Add(-5*time.Minute), update.KindInstallStarted, "aaaa", "KB5057589"),
		eventObs(utc.Add(time.Hour), update.KindInstalled, "", "KB5055518"),
		textObs(local.Add(-1500*time.Millisecond), update.KindInstallFailed, "aaaa", ""),
		textObs(local.Add(-5*time.Minute), update.KindInstallStarted, "aaaa", ""),
		textObs(local.Add(time.Hour+30*time.Second), update.KindInstalled, "", "KB5055518"),
		textObs(local.Add(3*time.Hour), update.KindInstalled, "bbbb", ""), // no event to pair with
	}
	off, pairs, ok := update.EstimateTextOffset(obs)
	if !ok || off != -9*time.Hour || pairs != 3 {
		t.Fatalf("offset %v from %d pairs (ok %v), want -9h from 3", off, pairs, ok)
	}
	update.ShiftText(obs, off)
	if !obs[3].Time.Equal(utc.Add(-1500 * time.Millisecond)) {
		t.Fatalf("shifted time %v", obs[3].Time)
	}
	if !obs[0].Time.Equal(utc) {
		t.Fatal("an event time was shifted")
	}
}

func TestEstimateTextOffsetNeedsAPair(t *testing.T) {
	obs := []update.Observation{
		eventObs(time.Date(2025, 4, 8, 17, 0, 0, 0, time.UTC), update.KindInstalled, "aaaa", ""),
		textObs(time.Date(2025, 4, 8, 17, 7, 0, 0, time.UTC), update.KindInstalled, "aaaa", ""), // 7 minutes: no quarter hour
	}
	if _, _, ok := update.EstimateTextOffset(obs); ok {
		t.Fatal("estimated an offset from a pair that is not a whole quarter hour apart")
	}
}
