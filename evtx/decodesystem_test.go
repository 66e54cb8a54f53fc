package evtx_test

import (
	"path/filepath"
	"testing"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/testcorpus"
)

// TestDecodeSystemMatchesDecode checks, record by record on real logs, that
// DecodeSystem gives the same System values as Decode and no payload.
func TestDecodeSystemMatchesDecode(t *testing.T) {
	dir := testcorpus.Dir(t, "evtx/omerbenamram")
	for _, name := range []string{"system.evtx", "2-vss_7-System.evtx", "security.evtx"} {
		f, err := evtx.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var full, sys evtx.Event
		n := 0
		for r, err := range f.Records() {
			if err != nil {
				continue
			}
			if err := r.Decode(&full); err != nil {
				continue
			}
			if err := r.DecodeSystem(&sys); err != nil {
				t.Fatalf("%s record %d: DecodeSystem failed where Decode did not: %v", name, full.RecordID, err)
			}
			if sys.System != full.System {
				t.Fatalf("%s record %d: System %+v, Decode gave %+v", name, full.RecordID, sys.System, full.System)
			}
			if len(sys.Fields) != 0 || sys.UserDataName != "" {
				t.Fatalf("%s record %d: DecodeSystem filled the payload", name, full.RecordID)
			}
			n++
		}
		f.Close()
		if n == 0 {
			t.Fatalf("%s: no records", name)
		}
	}
}
