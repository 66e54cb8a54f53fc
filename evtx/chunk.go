package evtx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"iter"
	"time"
)

const (
	chunkHeaderSize  = 512
	recordHeaderSize = 24 // magic, size, identifier, written time
	recordMagic      = "**\x00\x00"
	minRecordSize    = recordHeaderSize + 4 // header and the trailing size copy
)

// ChunkHeader is the 512-byte header of a chunk (its first 128 bytes; the
// string and template tables that follow are hash tables this package does
// not need, because every reference in binary XML is a direct offset).
type ChunkHeader struct {
	FirstRecordNumber uint64
	LastRecordNumber  uint64
	FirstRecordID     uint64
	LastRecordID      uint64
	HeaderSize        uint32
	LastRecordOffset  uint32 // offset of the last record within the chunk
	FreeSpaceOffset   uint32 // end of the records within the chunk
	DataChecksum      uint32 // CRC-32 of the record data
	Flags             uint32
	HeaderChecksum    uint32 // CRC-32 of bytes 0-120 and 128-512
}

// Chunk is one 64 KiB chunk of an EVTX file: a self-contained block of
// records with its own string and template tables. Read one with
// [File.ReadChunk]; a Chunk and the records it yields must be used by one
// goroutine at a time. Reusing a Chunk for the next read keeps its buffers
// and makes reading allocation-free in the steady state.
type Chunk struct {
	Index  int   // slot index in the file
	Offset int64 // file offset of the chunk
	Header ChunkHeader

	data     [chunkSize]byte
	problems []error // checksum mismatches, reported first by Records
	end      int     // end of record data: the free space offset, bounded

	rec Record // the record Records yields, reused

	// Per-chunk decoding state, reset by reset.
	names     map[uint32]*name     // name offset -> interned name
	templates map[uint32]*template // template definition offset -> compiled template
	ar        arena

	// State kept across chunks to avoid work and allocation.
	intern   map[string]*name // UTF-16 name bytes -> interned name
	compiled templateCache
	shared   *Cache
	dec      decoder
}

// reset prepares c to hold chunk slot i.
func (c *Chunk) reset(i int, off int64) {
	c.Index, c.Offset = i, off
	c.Header = ChunkHeader{}
	c.problems = c.problems[:0]
	c.end = chunkHeaderSize
	c.dec.c = c
	if c.names == nil {
		c.names = make(map[uint32]*name, 64)
		c.templates = make(map[uint32]*template, 16)
		c.intern = make(map[string]*name, 64)
	} else {
		clear(c.names)
		clear(c.templates)
	}
	c.ar.reset()
	// Names interned across chunks are bounded: a hostile file could
	// otherwise grow the table with a different name in every chunk.
	if len(c.intern) > 4096 {
		clear(c.intern)
	}
}

// parseHeader reads the chunk header and checks its checksums.
func (c *Chunk) parseHeader(fileFlags uint32) {
	le := binary.LittleEndian
	d := c.data[:]
	h := &c.Header
	h.FirstRecordNumber = le.Uint64(d[8:])
	h.LastRecordNumber = le.Uint64(d[16:])
	h.FirstRecordID = le.Uint64(d[24:])
	h.LastRecordID = le.Uint64(d[32:])
	h.HeaderSize = le.Uint32(d[40:])
	h.LastRecordOffset = le.Uint32(d[44:])
	h.FreeSpaceOffset = le.Uint32(d[48:])
	h.DataChecksum = le.Uint32(d[52:])
	h.Flags = le.Uint32(d[120:])
	h.HeaderChecksum = le.Uint32(d[124:])

	free := h.FreeSpaceOffset
	if free < chunkHeaderSize || free > chunkSize {
		c.problems = append(c.problems, &FormatError{
			Off: c.Offset + 48, Chunk: c.Index,
			Msg: "free space offset out of range", Val: hexVal(free), Err: ErrBadChunk,
		})
		free = chunkSize
	}
	c.end = int(free)

	// Windows 10 2004 and later may leave checksums out and say so in a flag.
	if (h.Flags|fileFlags)&FlagNoCRC32 != 0 {
		return
	}
	sum := crc32.Update(crc32.ChecksumIEEE(d[:120]), crc32.IEEETable, d[128:chunkHeaderSize])
	if sum != h.HeaderChecksum {
		c.problems = append(c.problems, &FormatError{
			Off: c.Offset, Chunk: c.Index,
			Msg: fmt.Sprintf("chunk header checksum mismatch (stored %#08x, computed %#08x); records checked one by one", h.HeaderChecksum, sum),
			Err: ErrChecksum,
		})
	}
	if sum := crc32.ChecksumIEEE(d[chunkHeaderSize:c.end]); sum != h.DataChecksum {
		c.problems = append(c.problems, &FormatError{
			Off: c.Offset + chunkHeaderSize, Chunk: c.Index,
			Msg: fmt.Sprintf("event records checksum mismatch (stored %#08x, computed %#08x); records checked one by one", h.DataChecksum, sum),
			Err: ErrChecksum,
		})
	}
}

// Data returns the raw bytes of the chunk. They belong to c.
func (c *Chunk) Data() []byte { return c.data[:] }

// Records iterates over the records of the chunk. It first yields an error
// for each checksum mismatch in the chunk header, then every record whose
// header is sound. A record with a bad header is yielded as an error and
// skipped by scanning for the next record that continues the chunk's
// sequence of record identifiers, so that the good records after it are
// still read while leftovers of older data in the chunk are not.
//
// The yielded *Record is reused for the next record; copy the struct to keep
// it (it stays valid until the chunk is read into again).
func (c *Chunk) Records() iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		for _, p := range c.problems {
			if !yield(nil, p) {
				return
			}
		}
		off := chunkHeaderSize
		prevID := c.Header.FirstRecordID - 1
		for off+recordHeaderSize <= c.end {
			size, err := c.recordAt(off)
			if err != nil {
				next := c.resync(off, prevID)
				if next < 0 {
					err.Msg = fmt.Sprintf("%s; rest of the chunk skipped (%d bytes)", err.Reason(), c.end-off)
				} else {
					err.Msg = fmt.Sprintf("%s; %d bytes skipped", err.Reason(), next-off)
				}
				err.Val = nil
				if !yield(nil, err) || next < 0 {
					return
				}
				off = next
				continue
			}
			if size == 0 {
				return // zero padding: the records end here
			}
			c.setRecord(&c.rec, off, size)
			prevID = c.rec.ID
			if !yield(&c.rec, nil) {
				return
			}
			off += size
		}
	}
}

// recordAt checks the record header at chunk offset off and returns the
// record size, 0 for zero padding (a clean end), or an error.
func (c *Chunk) recordAt(off int) (int, *FormatError) {
	d := c.data[:]
	if string(d[off:off+4]) != recordMagic {
		if binary.LittleEndian.Uint32(d[off:]) == 0 {
			return 0, nil
		}
		return 0, &FormatError{Off: c.Offset + int64(off), Chunk: c.Index, Msg: "record signature is not **", Err: ErrBadRecord}
	}
	size := binary.LittleEndian.Uint32(d[off+4:])
	id := binary.LittleEndian.Uint64(d[off+8:])
	if size < minRecordSize || uint64(off)+uint64(size) > chunkSize {
		return 0, &FormatError{Off: c.Offset + int64(off), Chunk: c.Index, Record: id, Msg: fmt.Sprintf("record size %d out of range", size), Err: ErrBadRecord}
	}
	if cp := binary.LittleEndian.Uint32(d[off+int(size)-4:]); cp != size {
		return 0, &FormatError{
			Off: c.Offset + int64(off), Chunk: c.Index, Record: id,
			Msg: fmt.Sprintf("record size %d does not match its copy %d", size, cp), Err: ErrBadRecord,
		}
	}
	return int(size), nil
}

// resync finds the next sound record header after the bad one at bad, or
// returns -1. Only a record that continues the sequence after prevID (the
// last good record) is taken: slack space often holds older records, whose
// template references point into data that is no longer there.
func (c *Chunk) resync(bad int, prevID uint64) int {
	d := c.data[:]
	for off := bad + 1; off+recordHeaderSize <= c.end; off++ {
		i := bytes.Index(d[off:c.end], []byte(recordMagic))
		if i < 0 {
			break
		}
		if off += i; off+recordHeaderSize > c.end {
			break
		}
		size, err := c.recordAt(off)
		if err != nil || size == 0 {
			continue
		}
		id := binary.LittleEndian.Uint64(d[off+8:])
		if id > prevID && id-prevID <= uint64(off-bad)/minRecordSize+1 {
			return off
		}
	}
	return -1
}

func (c *Chunk) setRecord(r *Record, off, size int) {
	d := c.data[:]
	r.ID = binary.LittleEndian.Uint64(d[off+8:])
	r.Written = filetimeToTime(binary.LittleEndian.Uint64(d[off+16:]))
	r.Offset = c.Offset + int64(off)
	r.chunk = c
	r.start = uint32(off + recordHeaderSize)
	r.end = uint32(off + size - 4)
}

// filetimeToTime converts a FILETIME (100 ns ticks since 1601-01-01 UTC).
func filetimeToTime(ft uint64) time.Time {
	const secondsFrom1601To1970 = 11644473600
	return time.Unix(int64(ft/1e7)-secondsFrom1601To1970, int64(ft%1e7)*100).UTC()
}
