package evtx

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"iter"
	"os"
)

const (
	fileHeaderSize = 4096  // bytes before the first chunk
	chunkSize      = 65536 // every chunk is this long
	fileMagic      = "ElfFile\x00"
	chunkMagic     = "ElfChnk\x00"
)

// File header flags.
const (
	FlagDirty   = 0x1 // the log was not closed cleanly: the header may be stale
	FlagFull    = 0x2 // the log reached its maximum size
	FlagNoCRC32 = 0x4 // chunks carry no checksums (seen on Windows 10 2004 and later)
)

// FileHeader is the first 128 bytes of an EVTX file.
type FileHeader struct {
	FirstChunk   uint64 // number of the oldest chunk
	LastChunk    uint64 // number of the newest chunk
	NextRecordID uint64 // identifier the next record written would get
	HeaderSize   uint32 // 128
	MinorVersion uint16 // 1, or 2 on Windows 10 2004 and later
	MajorVersion uint16 // 3
	BlockSize    uint16 // 4096: offset of the first chunk
	ChunkCount   uint16 // chunks in use, as last flushed
	Flags        uint32 // FlagDirty, FlagFull, FlagNoCRC32
	Checksum     uint32 // CRC-32 of the first 120 bytes
}

// File is an open EVTX file. Its header is parsed when it is opened; chunks
// are read when asked for, and records and their binary XML are decoded only
// when iterated or rendered, so that damage in one chunk stays in that chunk.
//
// A File may be used by several goroutines at once as long as each uses its
// own [Chunk] values.
type File struct {
	Header FileHeader
	// Warnings lists header problems that leave the file readable: the dirty
	// flag, a header checksum mismatch, an unexpected version or block size.
	Warnings []Warning

	r      io.ReaderAt
	size   int64
	closer io.Closer
	slots  int // whole 64 KiB chunk slots after the header
}

// Open opens the named EVTX file. [File.Close] closes it.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	f, err := NewReader(fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, err
	}
	f.closer = fh
	return f, nil
}

// NewReader reads an EVTX file of the given size from r. It reads and checks
// the file header only. [File.Close] does not close r.
func NewReader(r io.ReaderAt, size int64) (*File, error) {
	var hdr [128]byte
	if size < int64(len(hdr)) {
		if size >= 8 {
			n, _ := r.ReadAt(hdr[:8], 0)
			if n == 8 && string(hdr[:8]) == fileMagic {
				return nil, &FormatError{Off: 0, Chunk: -1, Msg: "file header is truncated", Val: size, Err: ErrTruncated}
			}
		}
		return nil, &FormatError{Off: 0, Chunk: -1, Msg: "file is too short for an EVTX header", Val: size, Err: ErrNotEVTX}
	}
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("evtx: failed to read file header: %w", err)
	}
	if string(hdr[:8]) != fileMagic {
		return nil, &FormatError{Off: 0, Chunk: -1, Msg: "file signature is not ElfFile", Err: ErrNotEVTX}
	}
	le := binary.LittleEndian
	f := &File{r: r, size: size}
	h := &f.Header
	h.FirstChunk = le.Uint64(hdr[8:])
	h.LastChunk = le.Uint64(hdr[16:])
	h.NextRecordID = le.Uint64(hdr[24:])
	h.HeaderSize = le.Uint32(hdr[32:])
	h.MinorVersion = le.Uint16(hdr[36:])
	h.MajorVersion = le.Uint16(hdr[38:])
	h.BlockSize = le.Uint16(hdr[40:])
	h.ChunkCount = le.Uint16(hdr[42:])
	h.Flags = le.Uint32(hdr[120:])
	h.Checksum = le.Uint32(hdr[124:])

	if h.Flags&FlagDirty != 0 {
		f.Warnings = append(f.Warnings, Warning{Msg: "file is dirty (not closed cleanly): its header may be stale, so every chunk slot is read"})
	}
	if sum := crc32.ChecksumIEEE(hdr[:120]); sum != h.Checksum {
		f.Warnings = append(f.Warnings, Warning{
			Msg: fmt.Sprintf("file header checksum mismatch (stored %#08x, computed %#08x)", h.Checksum, sum),
			Err: ErrChecksum,
		})
	}
	if h.MajorVersion != 3 {
		f.Warnings = append(f.Warnings, Warning{Msg: fmt.Sprintf("unexpected format version %d.%d", h.MajorVersion, h.MinorVersion)})
	}
	// Chunks always start at 4096; a different block size is noted, not used,
	// because a hostile value would otherwise shift every chunk.
	if h.BlockSize != fileHeaderSize {
		f.Warnings = append(f.Warnings, Warning{Msg: fmt.Sprintf("unexpected header block size %d", h.BlockSize)})
	}
	if size > fileHeaderSize {
		f.slots = int((size - fileHeaderSize) / chunkSize)
	}
	return f, nil
}

// Close closes the file if it was opened by [Open].
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer = nil
	return err
}

// Size returns the size of the file in bytes.
func (f *File) Size() int64 { return f.size }

// NumChunks returns the number of 64 KiB chunk slots in the file. Slots past
// the header's chunk count are read too (dirty files have chunks there), but
// an empty one is not damage: see [File.ReadChunk].
func (f *File) NumChunks() int { return f.slots }

// ChunkOffset returns the file offset of chunk slot i.
func ChunkOffset(i int) int64 { return fileHeaderSize + int64(i)*chunkSize }

// ReadChunk reads chunk slot i into c, reusing c's memory, and checks its
// header. It returns ok == false with a nil error for an unused slot past the
// header's chunk count or an all-zero slot, and a *[FormatError] for a slot
// that should hold a chunk but holds something else. A chunk whose checksums do not match is still returned:
// its records are checked one by one, and the mismatch is reported by
// [Chunk.Records].
func (f *File) ReadChunk(i int, c *Chunk) (ok bool, err error) {
	if i < 0 || i >= f.slots {
		return false, &FormatError{Off: ChunkOffset(i), Chunk: i, Msg: "chunk slot out of range", Val: i, Err: ErrTruncated}
	}
	off := ChunkOffset(i)
	c.reset(i, off)
	if _, err := f.r.ReadAt(c.data[:], off); err != nil {
		return false, &FormatError{Off: off, Chunk: i, Msg: "failed to read chunk: " + err.Error(), Err: ErrTruncated}
	}
	if string(c.data[:8]) != chunkMagic {
		// Past the header's count, slots are free space or leftovers of a
		// dirty file. Within it, an all-zero slot was allocated but never
		// written (seen in dirty files and volume shadow copies).
		if i >= int(f.Header.ChunkCount) || allZero(c.data[:]) {
			return false, nil
		}
		return false, &FormatError{Off: off, Chunk: i, Msg: "chunk signature is not ElfChnk", Err: ErrBadChunk}
	}
	c.parseHeader(f.Header.Flags)
	return true, nil
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// MissingChunks reports, as a *[FormatError] wrapping [ErrTruncated], chunks
// the header counts that lie past the end of the file; it returns nil when
// the file is long enough. [File.Chunks] reports it after the last chunk.
func (f *File) MissingChunks() error {
	if int(f.Header.ChunkCount) <= f.slots {
		return nil
	}
	off := ChunkOffset(f.slots)
	return &FormatError{
		Off: off, Chunk: f.slots,
		Msg: fmt.Sprintf("file ends after %d of %d chunks", f.slots, f.Header.ChunkCount),
		Err: ErrTruncated,
	}
}

// Chunks iterates over the chunks of the file in file order. A damaged slot
// yields a nil chunk and its error, and iteration goes on. The yielded chunk
// is reused for the next one: use [File.ReadChunk] with chunks of your own to
// keep several or to read them in parallel.
func (f *File) Chunks() iter.Seq2[*Chunk, error] {
	return func(yield func(*Chunk, error) bool) {
		c := new(Chunk)
		for i := 0; i < f.slots; i++ {
			ok, err := f.ReadChunk(i, c)
			if err != nil {
				if !yield(nil, err) {
					return
				}
				continue
			}
			if ok && !yield(c, nil) {
				return
			}
		}
		if err := f.MissingChunks(); err != nil {
			yield(nil, err)
		}
	}
}

// Records iterates over every record of the file in file order. Damage (a
// bad chunk, a bad record header) is yielded as an error, after which
// iteration goes on with the next good record. Binary XML is decoded only
// when a record is rendered or decoded, and errors found then are returned
// by those methods.
//
// The yielded record and its chunk are reused: a record is valid only until
// the next iteration.
func (f *File) Records() iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		for c, err := range f.Chunks() {
			if err != nil {
				if !yield(nil, err) {
					return
				}
				continue
			}
			for r, err := range c.Records() {
				if !yield(r, err) {
					return
				}
			}
		}
	}
}

// guard turns a panic in the decoder into an ErrInternal error that names
// the record, so that one bad record never stops a scan.
func guard(err *error, r *Record) {
	if p := recover(); p != nil {
		*err = &FormatError{
			Off: r.Offset, Chunk: r.chunk.Index, Record: r.ID,
			Msg: fmt.Sprintf("decoder failure (%v): please report it with the input file", p),
			Err: ErrInternal,
		}
	}
}
