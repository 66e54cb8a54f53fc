package evtx_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/evtx"
)

const (
	chunkSize      = 65536
	fileHeaderSize = 4096
)

// fileWithChunk builds an EVTX file holding one chunk with the given bytes
// (cut or zero-padded to 64 KiB) behind a valid file header.
func fileWithChunk(chunk []byte) []byte {
	data := make([]byte, fileHeaderSize+chunkSize)
	h := data[:128]
	copy(h, "ElfFile\x00")
	binary.LittleEndian.PutUint64(h[24:], 2)
	binary.LittleEndian.PutUint32(h[32:], 128)
	binary.LittleEndian.PutUint16(h[36:], 1)
	binary.LittleEndian.PutUint16(h[38:], 3)
	binary.LittleEndian.PutUint16(h[40:], fileHeaderSize)
	binary.LittleEndian.PutUint16(h[42:], 1)
	binary.LittleEndian.PutUint32(h[124:], crc32.ChecksumIEEE(h[:120]))
	copy(data[fileHeaderSize:], chunk)
	return data
}

// chunkWithRecord builds a chunk whose first record, at the usual offset
// 512, holds binxml: a first record carries every template and name it uses.
func chunkWithRecord(binxml []byte) []byte {
	const start = 512
	if len(binxml) > chunkSize-start-28 {
		binxml = binxml[:chunkSize-start-28]
	}
	c := make([]byte, chunkSize)
	copy(c, "ElfChnk\x00")
	size := 24 + len(binxml) + 4
	le := binary.LittleEndian
	le.PutUint64(c[8:], 1)
	le.PutUint64(c[16:], 1)
	le.PutUint64(c[24:], 1)
	le.PutUint64(c[32:], 1)
	le.PutUint32(c[40:], 128)
	le.PutUint32(c[44:], start)
	le.PutUint32(c[48:], uint32(start+size))
	r := c[start:]
	copy(r, "**\x00\x00")
	le.PutUint32(r[4:], uint32(size))
	le.PutUint64(r[8:], 1)
	copy(r[24:], binxml)
	le.PutUint32(r[size-4:], uint32(size))
	le.PutUint32(c[52:], crc32.ChecksumIEEE(c[start:start+size]))
	le.PutUint32(c[124:], crc32.Update(crc32.ChecksumIEEE(c[:120]), crc32.IEEETable, c[128:512]))
	return c
}

// checkInput reads every record of an EVTX file in memory through all three
// decoders and checks what must hold for any input: no decoder panic, only
// *FormatError damage, all decoders agreeing on a record, valid JSON.
func checkInput(t *testing.T, data []byte) {
	f, err := evtx.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		checkDamage(t, err)
		return
	}
	var ev evtx.Event
	var js, xml []byte
	for r, err := range f.Records() {
		if err != nil {
			checkDamage(t, err)
			continue
		}
		var errJ, errX, errD error
		js, errJ = r.AppendJSON(js[:0])
		xml, errX = r.AppendXML(xml[:0])
		errD = r.Decode(&ev)
		for _, e := range []error{errJ, errX, errD} {
			if e != nil {
				checkDamage(t, e)
			}
		}
		// JSON and XML walk the same tree. Decode walks only System,
		// EventData and UserData, so damage elsewhere (in a RenderingInfo,
		// say) fails the renderers but not Decode; the reverse cannot happen.
		// The effort limit counts output, whose size differs between JSON
		// and XML, and the compiling of templates, charged to the first
		// rendering that needs them; so one of them alone may exceed it
		// (testdata/fuzz/FuzzChunk: b4d8694173ea9601 for XML,
		// fba5890f0af96026 for JSON).
		oneOverLimit := errors.Is(errJ, evtx.ErrLimit) || errors.Is(errX, evtx.ErrLimit)
		if (errJ == nil) != (errX == nil) && !oneOverLimit || (errD != nil && errJ == nil) {
			t.Fatalf("decoders disagree on record %d: json %v, xml %v, decode %v", r.ID, errJ, errX, errD)
		}
		if errJ == nil && !json.Valid(js) {
			t.Fatalf("record %d renders invalid JSON: %q", r.ID, js)
		}
	}
}

func checkDamage(t *testing.T, err error) {
	t.Helper()
	var fe *evtx.FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("damage is not a *FormatError: %v", err)
	}
	if errors.Is(err, evtx.ErrInternal) {
		t.Fatalf("decoder failure: %v", err)
	}
}

// readFuzzSeed reads a []byte seed written by go test -fuzz.
func readFuzzSeed(t *testing.T, path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(strings.TrimPrefix(string(data), "go test fuzz v1\n"))
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(line, "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}

// TestFuzzBinXMLDamageOutsideDecode is the first input FuzzBinXML found: a
// record with a name offset past the end of the chunk in a part of the
// event that Decode does not visit. Rendering fails with a FormatError;
// Decode succeeds. The harness had wrongly required all three to agree.
func TestFuzzBinXMLDamageOutsideDecode(t *testing.T) {
	data := fileWithChunk(chunkWithRecord(readFuzzSeed(t, "testdata/fuzz/FuzzBinXML/e1a10ac079e4446e")))
	checkInput(t, data)
	f, err := evtx.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var ev evtx.Event
	for r, err := range f.Records() {
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.AppendJSON(nil); !errors.Is(err, evtx.ErrBinXML) {
			t.Errorf("JSON: %v, want ErrBinXML", err)
		}
		if err := r.Decode(&ev); err != nil {
			t.Errorf("Decode: %v", err)
		}
	}
}

// corpusChunks returns the chunks of the corpus files, for seeds.
func corpusChunks(t testing.TB, limit int) [][]byte {
	var chunks [][]byte
	for _, path := range corpusFiles(t, "evtx/omerbenamram") {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for off := fileHeaderSize; off+chunkSize <= len(data) && len(chunks) < limit; off += chunkSize {
			if string(data[off:off+8]) == "ElfChnk\x00" {
				chunks = append(chunks, data[off:off+chunkSize])
			}
		}
	}
	if len(chunks) == 0 {
		t.Fatal("no seed chunks in the corpus")
	}
	return chunks
}

// FuzzChunk feeds whole chunks (cut short or zero-padded) to the chunk and
// record parsers and the renderers.
func FuzzChunk(f *testing.F) {
	for _, c := range corpusChunks(f, 40) {
		// The first 8 KiB keep the header, the tables and a few records,
		// which keeps the inputs small enough to mutate quickly.
		f.Add(c[:8192])
	}
	f.Fuzz(func(t *testing.T, chunk []byte) {
		checkInput(t, fileWithChunk(chunk))
	})
}

// FuzzBinXML feeds the binary XML of one record, placed where a chunk's
// first record starts, to the binary XML compiler and the renderers.
func FuzzBinXML(f *testing.F) {
	for _, c := range corpusChunks(f, 200) {
		size := binary.LittleEndian.Uint32(c[512+4:])
		if string(c[512:516]) == "**\x00\x00" && size >= 28 && 512+size <= chunkSize {
			f.Add(c[512+24 : 512+size-4])
		}
	}
	f.Fuzz(func(t *testing.T, binxml []byte) {
		checkInput(t, fileWithChunk(chunkWithRecord(binxml)))
	})
}
