package evtx

import (
	"encoding/binary"
	"hash/crc32"
	"unicode/utf16"
)

// Layout of the file and its chunks (libyal's "Windows XML Event Log (EVTX)"
// format notes, sections "File header" and "Chunk").
const (
	wrFileHeaderSize  = 4096
	wrFileHeaderUsed  = 128 // bytes of the file header that carry fields
	wrChunkSize       = 65536
	wrChunkHeaderSize = 512
	// wrChunkUsable is where records must end. libevtx (20181227) skips,
	// without a word, a record that ends on the last byte of its chunk, so
	// the last 8 bytes (one alignment unit) stay free.
	wrChunkUsable     = wrChunkSize - 8
	wrNameBuckets     = 64
	wrTemplateBuckets = 32
	wrRecordHeader    = 24 // magic, size, record id, FILETIME
	// wrMaxChunks is the largest chunk count the 16-bit header field holds.
	wrMaxChunks = 0xffff
	// wrChunkFlags is the value Windows leaves in the chunk header's flags
	// word: 655 of the 656 chunks in the test corpus carry 1.
	wrChunkFlags = 1
)

// BinXML tokens (MS-EVEN6 2.2.12); 0x40 on a token means "more follows".
const (
	wtEOF            = 0x00
	wtOpenStart      = 0x01
	wtCloseStart     = 0x02
	wtCloseEmpty     = 0x03
	wtEnd            = 0x04
	wtValue          = 0x05
	wtAttribute      = 0x06
	wtTemplate       = 0x0c
	wtSubstitution   = 0x0d
	wtFragmentHeader = 0x0f
	wtMore           = 0x40
)

// writerChunk is the chunk being filled. Names and template definitions are
// chunk-local: each is stored inline at its first use in the chunk and
// referenced by its offset afterwards.
type writerChunk struct {
	buf        [wrChunkSize]byte
	free       int // offset of the first unused byte
	lastRecord int // offset of the last record, 0 when empty
	firstID    uint64
	lastID     uint64

	names           map[string]uint32 // element or attribute name -> offset
	nameBuckets     [wrNameBuckets]uint32
	templates       map[string]uint32 // shape key -> definition offset
	templateBuckets [wrTemplateBuckets]uint32

	// Undo log of the record being encoded, so that a record that does not
	// fit leaves the chunk as it was.
	newNames            []string
	newTemplates        []string
	savedNameBuckets    [wrNameBuckets]uint32
	savedTemplateBucket [wrTemplateBuckets]uint32
}

func newWriterChunk() *writerChunk {
	c := &writerChunk{names: map[string]uint32{}, templates: map[string]uint32{}}
	c.reset()
	return c
}

func (c *writerChunk) reset() {
	clear(c.buf[:])
	c.free = wrChunkHeaderSize
	c.lastRecord = 0
	c.firstID, c.lastID = 0, 0
	clear(c.names)
	clear(c.templates)
	c.nameBuckets = [wrNameBuckets]uint32{}
	c.templateBuckets = [wrTemplateBuckets]uint32{}
}

func (c *writerChunk) empty() bool { return c.lastRecord == 0 }

// begin starts the undo log for one record.
func (c *writerChunk) begin() {
	c.newNames = c.newNames[:0]
	c.newTemplates = c.newTemplates[:0]
	c.savedNameBuckets = c.nameBuckets
	c.savedTemplateBucket = c.templateBuckets
}

// rollback forgets the names and templates defined by the record that did
// not fit.
func (c *writerChunk) rollback() {
	for _, n := range c.newNames {
		delete(c.names, n)
	}
	for _, k := range c.newTemplates {
		delete(c.templates, k)
	}
	c.nameBuckets = c.savedNameBuckets
	c.templateBuckets = c.savedTemplateBucket
}

// commit copies an encoded record into the chunk; rec must fit.
func (c *writerChunk) commit(rec []byte, id uint64) {
	copy(c.buf[c.free:], rec)
	if c.empty() {
		c.firstID = id
	}
	c.lastID = id
	c.lastRecord = c.free
	c.free += len(rec)
}

// finish fills in the chunk header and its checksums.
func (c *writerChunk) finish() []byte {
	h := c.buf[:wrChunkHeaderSize]
	copy(h, "ElfChnk\x00")
	le := binary.LittleEndian
	// Record numbers and identifiers are the same in files that Windows
	// writes from a live log; only archived, re-numbered logs differ.
	le.PutUint64(h[8:], c.firstID)
	le.PutUint64(h[16:], c.lastID)
	le.PutUint64(h[24:], c.firstID)
	le.PutUint64(h[32:], c.lastID)
	le.PutUint32(h[40:], 128)
	le.PutUint32(h[44:], uint32(c.lastRecord))
	le.PutUint32(h[48:], uint32(c.free))
	le.PutUint32(h[52:], crc32.ChecksumIEEE(c.buf[wrChunkHeaderSize:c.free]))
	le.PutUint32(h[120:], wrChunkFlags)
	for i, off := range c.nameBuckets {
		le.PutUint32(h[128+4*i:], off)
	}
	for i, off := range c.templateBuckets {
		le.PutUint32(h[384+4*i:], off)
	}
	sum := crc32.ChecksumIEEE(h[:120])
	sum = crc32.Update(sum, crc32.IEEETable, h[128:wrChunkHeaderSize])
	le.PutUint32(h[124:], sum)
	return c.buf[:]
}

// writerEnc appends BinXML for a record that will start at chunk offset base.
type writerEnc struct {
	c    *writerChunk
	base int
	buf  []byte
}

func (e *writerEnc) pos() int { return e.base + len(e.buf) }

func (e *writerEnc) u8(v byte)    { e.buf = append(e.buf, v) }
func (e *writerEnc) u16(v uint16) { e.buf = binary.LittleEndian.AppendUint16(e.buf, v) }
func (e *writerEnc) u32(v uint32) { e.buf = binary.LittleEndian.AppendUint32(e.buf, v) }

// patchSize stores at at the number of bytes written after the 4-byte field.
func (e *writerEnc) patchSize(at int) {
	binary.LittleEndian.PutUint32(e.buf[at:], uint32(len(e.buf)-at-4))
}

// wrNameHash is the 16-bit hash Windows keeps with each chunk name; its value
// modulo 64 picks the string-table bucket. Checked against the names in the
// corpus chunks.
func wrNameHash(units []uint16) uint16 {
	var h uint32
	for _, u := range units {
		h = h*65599 + uint32(u)
	}
	return uint16(h)
}

// name writes a reference to an element or attribute name, defining the
// name inline right after the reference at its first use in the chunk.
// Names are XML names the writer checked, so they hold no NUL and are short.
func (e *writerEnc) name(s string) {
	if off, ok := e.c.names[s]; ok {
		e.u32(off)
		return
	}
	off := uint32(e.pos() + 4)
	e.u32(off)
	units := utf16.Encode([]rune(s))
	h := wrNameHash(units)
	bucket := h % wrNameBuckets
	e.u32(e.c.nameBuckets[bucket])
	e.u16(h)
	e.u16(uint16(len(units)))
	for _, u := range units {
		e.u16(u)
	}
	e.u16(0)
	e.c.nameBuckets[bucket] = off
	e.c.names[s] = off
	e.c.newNames = append(e.c.newNames, s)
}

// open starts an element; it returns where its size goes.
func (e *writerEnc) open(name string, hasAttrs bool) int {
	if hasAttrs {
		e.u8(wtOpenStart | wtMore)
	} else {
		e.u8(wtOpenStart)
	}
	e.u16(0xffff) // no dependency: presence is fixed by the template
	at := len(e.buf)
	e.u32(0)
	e.name(name)
	return at
}

// attrs starts an attribute list; it returns where its size goes.
func (e *writerEnc) attrs() int {
	at := len(e.buf)
	e.u32(0)
	return at
}

func (e *writerEnc) attr(name string, last bool) {
	if last {
		e.u8(wtAttribute)
	} else {
		e.u8(wtAttribute | wtMore)
	}
	e.name(name)
}

// text writes literal text as a value token. Template text is element
// names and Data Name attributes, well below the 16-bit length limit the
// writer checks before it gets here.
func (e *writerEnc) text(s string) {
	units := utf16.Encode([]rune(s))
	e.u8(wtValue)
	e.u8(wvString)
	e.u16(uint16(len(units)))
	for _, u := range units {
		e.u16(u)
	}
}

func (e *writerEnc) sub(index int, typ byte) {
	e.u8(wtSubstitution)
	e.u16(uint16(index))
	e.u8(typ)
}

func (e *writerEnc) closeEmpty(sizeAt int) {
	e.u8(wtCloseEmpty)
	e.patchSize(sizeAt)
}

func (e *writerEnc) end(sizeAt int) {
	e.u8(wtEnd)
	e.patchSize(sizeAt)
}
