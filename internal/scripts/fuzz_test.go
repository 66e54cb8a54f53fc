package scripts

import (
	"strings"
	"testing"
)

// FuzzCollector feeds the collector 4104 parts whose numbers, totals, ids
// and texts come from the fuzzer and checks what reassembly promises: no
// panic, limits kept, every part in at most one script, in part order.
func FuzzCollector(f *testing.F) {
	f.Add([]byte{1, 3, 0, 2, 3, 0, 3, 3, 0}, "abc")
	f.Add([]byte{0, 3, 1, 4, 3, 1, 1, 1, 2}, "x")
	f.Add([]byte{2, 200, 0, 1, 200, 0, 2, 200, 0, 1, 2, 1}, "partpart")
	f.Fuzz(func(t *testing.T, ops []byte, text string) {
		lim := Limits{MaxPending: 3, MaxParts: 8, MaxBytes: 64, MaxPendingBytes: 100}
		c := NewCollector(lim)
		var got []Script
		sent := 0
		for i := 0; i+2 < len(ops) && i < 3*512; i += 3 {
			n, total, id := int(int8(ops[i])), int(ops[i+1]), string('a'+rune(ops[i+2]%5))
			got = append(got, c.Add(part(uint64(i/3+1), id, n, total, text))...)
			sent++
			if len(c.pending) > lim.MaxPending || c.pendingBytes > lim.MaxPendingBytes {
				t.Fatalf("limits broken: %d pending, %d bytes", len(c.pending), c.pendingBytes)
			}
		}
		got = append(got, c.Flush()...)
		used := map[uint64]bool{}
		for _, s := range got {
			if len(s.Text) > lim.MaxBytes || len(s.Events) != s.Parts || s.Parts > max(s.Total, 1) || s.Parts > lim.MaxParts {
				t.Fatalf("script %+v breaks the limits", s)
			}
			if whole := strings.Repeat(text, s.Parts); len(whole) <= lim.MaxBytes && s.Text != whole {
				t.Fatalf("text %q is not %d parts of %q", s.Text, s.Parts, text)
			}
			for _, r := range s.Events {
				if used[r.RecordID] {
					t.Fatalf("record %d in two scripts", r.RecordID)
				}
				used[r.RecordID] = true
			}
		}
		if len(used) > sent {
			t.Fatalf("%d records used, %d sent", len(used), sent)
		}
	})
}
