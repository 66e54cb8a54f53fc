package evtx

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"

	"github.com/wuguard/wuguard/internal/testcorpus"
)

// TestTemplateCacheChecksNames: a chunk whose template definition has the
// bytes of one compiled in an earlier chunk, but whose name table holds a
// different name where the definition refers to it, must not reuse the
// earlier compilation.
func TestTemplateCacheChecksNames(t *testing.T) {
	data, err := os.ReadFile(testcorpus.Dir(t, "evtx/omerbenamram") + "/security.evtx")
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	learnt := new(Chunk)
	renderAll := func(c *Chunk) (out []byte) {
		for r, err := range c.Records() {
			if err == nil {
				out, _ = r.AppendJSON(out)
			}
		}
		return out
	}
	// Find a chunk with a definition an earlier chunk compiled that refers
	// to a name outside itself; learnt has read the earlier ones.
	var slot int
	var nameOff uint32
	for i := 0; i < f.NumChunks() && nameOff == 0; i++ {
		probe := new(Chunk)
		if ok, err := f.ReadChunk(i, probe); !ok || err != nil {
			continue
		}
		renderAll(probe)
		for off := range probe.templates {
			size := binary.LittleEndian.Uint32(probe.data[off+20:])
			ct := learnt.compiled.m[string(probe.data[off+4:off+24+size])]
			if ct == nil || !ct.fits(probe, int(off)+templateHdrSize) {
				continue
			}
			for _, r := range ct.names {
				if !r.inline && len(r.utf16) >= 2 {
					slot, nameOff = i, r.off
					break
				}
			}
			if nameOff != 0 {
				break
			}
		}
		f.ReadChunk(i, learnt)
		renderAll(learnt)
	}
	if nameOff == 0 {
		t.Fatal("no chunk reuses an earlier definition that refers to a name outside itself")
	}
	changed := bytes.Clone(data)
	changed[int(ChunkOffset(slot))+int(nameOff)+8] ^= 0x01 // another letter, same length
	g, err := NewReader(bytes.NewReader(changed), int64(len(changed)))
	if err != nil {
		t.Fatal(err)
	}
	long := new(Chunk)
	long.dec.longWay = true
	original := new(Chunk)
	for _, read := range []struct {
		f *File
		c *Chunk
	}{{g, learnt}, {g, long}, {f, original}} {
		if ok, _ := read.f.ReadChunk(slot, read.c); !ok {
			t.Fatalf("chunk %d unreadable", slot)
		}
	}
	got, want := renderAll(learnt), renderAll(long)
	if !bytes.Equal(got, want) {
		t.Errorf("chunk %d, with the name at %#x changed, renders differently through the cache", slot, nameOff)
	}
	if bytes.Equal(want, renderAll(original)) {
		t.Error("changing the name changed no output: the test tests nothing")
	}
}
