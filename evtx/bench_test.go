package evtx_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/testcorpus"
)

// benchFiles loads the files of the bench/dump.sh mix (security.evtx and
// the attack samples) into memory.
func benchFiles(b *testing.B) []*evtx.File {
	paths := append(corpusFiles(b, "evtx/evtx-attack-samples"), testcorpus.Dir(b, "evtx/omerbenamram")+"/security.evtx")
	var files []*evtx.File
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		f, err := evtx.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// benchRecords runs fn on every record of files b.N times over and reports
// the time per record and the bytes of input per second.
func benchRecords(b *testing.B, fn func(r *evtx.Record) error) {
	files := benchFiles(b)
	c := new(evtx.Chunk)
	records, size := 0, int64(0)
	b.ResetTimer()
	for range b.N {
		for _, f := range files {
			for i := range f.NumChunks() {
				ok, err := f.ReadChunk(i, c)
				if err != nil || !ok {
					continue
				}
				size += int64(len(c.Data()))
				for r, err := range c.Records() {
					if err == nil && fn(r) == nil {
						records++
					}
				}
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(records), "ns/record")
	b.SetBytes(size / int64(b.N))
}

func BenchmarkJSON(b *testing.B) {
	var buf []byte
	benchRecords(b, func(r *evtx.Record) (err error) {
		buf, err = r.AppendJSON(buf[:0])
		return err
	})
}

func BenchmarkXML(b *testing.B) {
	var buf []byte
	benchRecords(b, func(r *evtx.Record) (err error) {
		buf, err = r.AppendXML(buf[:0])
		return err
	})
}

func BenchmarkDecode(b *testing.B) {
	var ev evtx.Event
	benchRecords(b, func(r *evtx.Record) error { return r.Decode(&ev) })
}
