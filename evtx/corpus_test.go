package evtx_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/testcorpus"
)

// readAll reads every record of path through all three decoders and
// returns the number of records read whole and the damage reported.
func readAll(t *testing.T, path string) (records int, damage []error) {
	t.Helper()
	f, err := evtx.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var buf []byte
	var ev evtx.Event
	for r, err := range f.Records() {
		if err == nil {
			buf, err = r.AppendXML(buf[:0])
		}
		if err == nil {
			buf, err = r.AppendJSON(buf[:0])
		}
		if err == nil {
			err = r.Decode(&ev)
		}
		if err != nil {
			var fe *evtx.FormatError
			if !errors.As(err, &fe) {
				t.Errorf("%s: damage is not a *FormatError: %v", path, err)
			}
			if errors.Is(err, evtx.ErrInternal) {
				t.Errorf("%s: %v", path, err)
			}
			damage = append(damage, err)
			continue
		}
		if ev.System.RecordID == 0 || ev.System.TimeCreated.IsZero() {
			t.Errorf("%s: record %d decodes without EventRecordID or TimeCreated", path, r.ID)
		}
		records++
	}
	return records, damage
}

// corpusFiles lists every .evtx file below the corpus folder rel.
func corpusFiles(t testing.TB, rel string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(testcorpus.Dir(t, rel), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(strings.ToLower(path), ".evtx") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no .evtx files under %s", rel)
	}
	return files
}

// damagedSamples are the corpus files known to be damaged, with the records
// that are read whole and the damage reports expected. The other readers'
// counts are given for comparison: they differ where noted.
var damagedSamples = map[string]struct {
	records, damage int
	why             string
}{
	// Two zero-filled slots (6 and 10 hold garbage without the signature)
	// and a torn record in chunk 7 after which reading resumes at the next
	// record of the chunk's sequence (47675): evtxexport reads 267, the
	// Rust crate 270, both stopping at the torn record.
	"omerbenamram/sample_with_a_bad_chunk_magic.evtx": {298, 8, "bad chunk magic, torn records"},
	// The chunk header's string table was corrupted: its checksum fails
	// but names are resolved through direct offsets, so no record is lost.
	"omerbenamram/security_bad_string_cache.evtx": {2261, 1, "chunk header checksum"},
	// Record 3 has size 0; records 4-117 of the chunk follow it intact and
	// are read (evtxexport stops there and reads 335 records in all).
	"omerbenamram/sample-with-zero-data-size-event.evtx":                                                {449, 2, "record of size 0"},
	"omerbenamram/2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx":          {1910, 4, "torn records followed by another chunk's records"},
	"omerbenamram/2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx": {1774, 3, "torn record"},
	// The last record's trailing size copy is 0 (it was being written):
	// it is skipped, as evtxexport does; the Rust crate, which does not
	// check the copy, reads one more.
	"omerbenamram/Microsoft-Windows-HelloForBusiness%4Operational.evtx":  {5, 2, "torn last record"},
	"omerbenamram/Microsoft-Windows-LanguagePackSetup%4Operational.evtx": {16, 2, "torn last record"},
}

// intactSamples pins the record counts of some intact files (evtxexport
// and the Rust crate agree on them).
var intactSamples = map[string]int{
	"omerbenamram/security.evtx":                          2261,
	"omerbenamram/system.evtx":                            1881,
	"omerbenamram/sysmon.evtx":                            358,
	"omerbenamram/sample-with-irregular-bool-values.evtx": 3028,
	// Chunks flagged as carrying no checksums (Windows 10 2004 and later
	// can write them): not damage.
	"omerbenamram/Application_no_crc32.evtx": 17,
	"omerbenamram/2-vss_7-System.evtx":       1160,
	"omerbenamram/post-Security.evtx":        126,
	"omerbenamram/issue_201.evtx":            1,
	"python-evtx/issue_39.evtx":              394,
	"velocidex/Security.evtx":                739,
}

func TestCorpus(t *testing.T) {
	root := testcorpus.Dir(t, "evtx")
	total := 0
	for _, path := range corpusFiles(t, "evtx") {
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			n, damage := readAll(t, path)
			total += n
			if want, ok := damagedSamples[rel]; ok {
				if n != want.records || len(damage) != want.damage {
					t.Errorf("%d records, %d damage reports %v; want %d and %d (%s)", n, len(damage), damage, want.records, want.damage, want.why)
				}
				return
			}
			if len(damage) > 0 {
				t.Errorf("intact file reports damage: %v", damage)
			}
			if want, ok := intactSamples[rel]; ok && n != want {
				t.Errorf("%d records, want %d", n, want)
			}
		})
	}
	if want := 33525; total != want {
		t.Errorf("corpus total %d records, want %d", total, want)
	}
}
