package input_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/testcorpus"
)

// TestReadFilteredMatchesRead checks that ReadFiltered hands over exactly the
// events Read gives and the filter accepts, payload included.
func TestReadFilteredMatchesRead(t *testing.T) {
	path := filepath.Join(testcorpus.Dir(t, "evtx/omerbenamram"), "system.evtx")
	f := input.File{Path: path, Kind: input.KindEVTX}
	want := func(provider string, id uint16) bool {
		return provider == "Microsoft-Windows-WindowsUpdateClient" && (id == 19 || id == 20)
	}
	noDamage := func(d input.Damage) { t.Fatalf("damage: %v", d) }
	var all, filtered []event.Event
	keep := func(dst *[]event.Event) input.Handler {
		return func(e *event.Event) error {
			c := *e
			c.Fields = append([]evtx.Field(nil), e.Fields...)
			*dst = append(*dst, c)
			return nil
		}
	}
	if err := input.Read(context.Background(), f, keep(&all), noDamage); err != nil {
		t.Fatal(err)
	}
	if err := input.ReadFiltered(context.Background(), f, want, 3, keep(&filtered), noDamage); err != nil {
		t.Fatal(err)
	}
	var expected []event.Event
	for _, e := range all {
		if want(e.Provider, e.EventID) {
			expected = append(expected, e)
		}
	}
	if len(expected) == 0 || len(filtered) != len(expected) {
		t.Fatalf("%d filtered events, want %d", len(filtered), len(expected))
	}
	for i := range expected {
		a, b := expected[i], filtered[i]
		if a.System != b.System || a.Source != b.Source || len(a.Fields) != len(b.Fields) {
			t.Fatalf("event %d differs:\n%+v\n%+v", i, a, b)
		}
		for j := range a.Fields {
			if a.Fields[j] != b.Fields[j] {
				t.Fatalf("event %d field %d: %v vs %v", i, j, a.Fields[j], b.Fields[j])
			}
		}
	}
}

// TestReadFilteredReportsDamageInOrder reads a file with a bad chunk: the
// damage is reported, and the good chunks around it still give their events.
func TestReadFilteredReportsDamageInOrder(t *testing.T) {
	path := filepath.Join(testcorpus.Dir(t, "evtx/omerbenamram"), "sample_with_a_bad_chunk_magic.evtx")
	f := input.File{Path: path, Kind: input.KindEVTX}
	all := func(string, uint16) bool { return true }
	var readDamage, filteredDamage []string
	var readN, filteredN int
	if err := input.Read(context.Background(), f, func(*event.Event) error { readN++; return nil },
		func(d input.Damage) { readDamage = append(readDamage, d.String()) }); err != nil {
		t.Fatal(err)
	}
	if err := input.ReadFiltered(context.Background(), f, all, 4, func(*event.Event) error { filteredN++; return nil },
		func(d input.Damage) { filteredDamage = append(filteredDamage, d.String()) }); err != nil {
		t.Fatal(err)
	}
	if readN == 0 || filteredN != readN || len(readDamage) == 0 || strings.Join(filteredDamage, "|") != strings.Join(readDamage, "|") {
		t.Fatalf("Read: %d events, damage %v; ReadFiltered: %d events, damage %v", readN, readDamage, filteredN, filteredDamage)
	}
}
