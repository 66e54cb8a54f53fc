package update

import (
	"sort"
	"time"

	"github.com/wuguard/wuguard/internal/event"
)

// Text logs (WindowsUpdate.log, CBS.log) write local wall-clock time with no
// zone, while event times are UTC. Lines read as UTC are therefore off by the
// host's UTC offset, enough to put a failure on the wrong side of a restart.

const (
	alignStep      = 15 * time.Minute // UTC offsets are whole quarter hours
	alignTolerance = 2 * time.Minute  // a line and its event are logged moments apart
	alignMaxOffset = 14 * time.Hour
)

// EstimateTextOffset finds the UTC offset of the text-log observations in obs
// by pairing them with events about the same update and outcome (a
// WindowsUpdate.log install failure with the WindowsUpdateClient 20 for the
// same GUID; a CBS.log package result with the Servicing event for the same
// KB). It returns the offset to add to text times and the number of pairs
// that agree on it; ok is false when no pair decides.
func EstimateTextOffset(obs []Observation) (offset time.Duration, pairs int, ok bool) {
	type key struct {
		id   string
		kind Kind
	}
	events := map[key][]time.Time{}
	for _, o := range obs {
		if o.Evidence.Format == string(event.FormatText) || !o.Kind.aboutUpdate() {
			continue
		}
		for _, id := range []string{o.UpdateID, o.KB} {
			if id != "" {
				events[key{id, o.Kind}] = append(events[key{id, o.Kind}], o.Time)
			}
		}
	}
	votes := map[time.Duration]int{}
	for _, o := range obs {
		if o.Evidence.Format != string(event.FormatText) || !o.Kind.aboutUpdate() {
			continue
		}
		seen := map[time.Duration]bool{}
		for _, id := range []string{o.UpdateID, o.KB} {
			for _, t := range events[key{id, o.Kind}] {
				diff := t.Sub(o.Time)
				rounded := diff.Round(alignStep)
				if rounded.Abs() > alignMaxOffset || (diff-rounded).Abs() > alignTolerance || seen[rounded] {
					continue
				}
				seen[rounded] = true
				votes[rounded]++
			}
		}
	}
	if len(votes) == 0 {
		return 0, 0, false
	}
	offsets := make([]time.Duration, 0, len(votes))
	for d := range votes {
		offsets = append(offsets, d)
	}
	// Most votes wins; ties go to the smaller shift, so the result is stable.
	sort.Slice(offsets, func(i, j int) bool {
		if votes[offsets[i]] != votes[offsets[j]] {
			return votes[offsets[i]] > votes[offsets[j]]
		}
		return offsets[i].Abs() < offsets[j].Abs()
	})
	return offsets[0], votes[offsets[0]], true
}

// ShiftText adds offset to the time of every text-log observation in obs.
func ShiftText(obs []Observation, offset time.Duration) {
	if offset == 0 {
		return
	}
	for i := range obs {
		if obs[i].Evidence.Format == string(event.FormatText) {
			obs[i].Time = obs[i].Time.Add(offset)
			obs[i].Evidence.Time = obs[i].Time
		}
	}
}
