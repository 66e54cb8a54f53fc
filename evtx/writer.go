package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// Errors a [Writer] reports, wrapped in a [WriteError] when they concern one
// event.
var (
	// ErrEventTooLarge means the event does not fit in one 64 KiB chunk,
	// or one of its values is longer than the 65535 bytes a value can hold.
	ErrEventTooLarge = errors.New("evtx: event too large for a chunk")
	// ErrRecordIDOrder means Event.RecordID was set but not above the
	// previous record's identifier.
	ErrRecordIDOrder = errors.New("evtx: record identifiers must increase")
	// ErrFileFull means the file already holds the 65535 chunks its header
	// can count.
	ErrFileFull = errors.New("evtx: file holds the maximum number of chunks")
	// ErrWriterClosed is returned by Write after Close.
	ErrWriterClosed = errors.New("evtx: writer is closed")
)

// A WriteError says why one event was not written. The file is not changed
// by a failed event, and the Writer stays usable.
type WriteError struct {
	// RecordID is the identifier the event would have had, or 0.
	RecordID uint64
	// Field names the System field or payload field at fault, or is empty.
	Field string
	Err   error
}

func (e *WriteError) Error() string {
	msg := "evtx: cannot write event"
	if e.RecordID != 0 {
		msg += fmt.Sprintf(" %d", e.RecordID)
	}
	if e.Field != "" {
		msg += fmt.Sprintf(": field %s", e.Field)
	}
	return msg + ": " + e.Err.Error()
}

func (e *WriteError) Unwrap() error { return e.Err }

// Writer writes events to a new EVTX file that Windows Event Viewer,
// wevtutil and other EVTX readers open.
//
// Each event becomes one record whose BinXML is a template instance: events
// with the same shape (the same optional System attributes and the same
// payload names and types) share one template definition per chunk, stored
// inline at the first use and referenced afterwards, as Windows does. Values
// are typed substitutions: System fields carry their Windows types (EventID
// uint16, Keywords hexInt64, TimeCreated FILETIME, Provider Guid GUID, UserID
// SID, …) and payload values are strings unless [Writer.WriteTyped] gives a
// type.
//
// Chunks go to the underlying writer as they fill, so memory stays at one
// chunk whatever the file size. The file header, which counts the chunks, is
// written by Close: until then the file is marked dirty, as Windows marks a
// log that is open.
//
// An event that cannot be written (too large for a chunk, a value that does
// not parse as its type, record identifiers out of order) is refused with a
// [*WriteError] and leaves the file as it was; an I/O error stops the
// Writer.
type Writer struct {
	// UserDataNamespace gives the xmlns of the wrapper element below
	// <UserData>. The event model does not keep it, so it cannot come from
	// the event itself. When nil, [DefaultUserDataNamespace] is used. Set it
	// before the first Write.
	UserDataNamespace func(ev *Event) string

	ws      io.WriteSeeker
	closer  io.Closer // set when the Writer opened the file itself
	base    int64     // offset of the file header in ws
	started bool
	closed  bool
	err     error // sticky: the first I/O error

	chunk   *writerChunk
	chunks  int // chunks written so far
	lastID  uint64
	values  writerValues
	encoded []byte
}

// NewWriter returns a Writer that writes an EVTX file to ws, starting at its
// current position. Close writes the file header and does not close ws.
func NewWriter(ws io.WriteSeeker) *Writer {
	return &Writer{ws: ws}
}

// Create creates (or truncates) the file name and returns a Writer to it.
// Close writes the file header and closes the file.
func Create(name string) (*Writer, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	w := NewWriter(f)
	w.closer = f
	return w, nil
}

// DefaultUserDataNamespace returns the xmlns Windows gives the UserData
// wrapper of the providers wuguard meets, and "" (no xmlns) for others.
func DefaultUserDataNamespace(ev *Event) string {
	switch ev.Provider {
	case "Microsoft-Windows-Servicing":
		return "http://manifests.microsoft.com/win/2004/08/windows/setup_provider"
	case "Microsoft-Windows-Eventlog":
		return "http://manifests.microsoft.com/win/2004/08/windows/eventlog"
	}
	return ""
}

// Write adds ev to the file; its payload values are written as strings.
//
// The record identifier is ev.RecordID when it is set, and it must then be
// above the previous record's; when ev.RecordID is 0 the Writer uses the
// previous identifier plus one (1 for the first record). The identifier is
// also the event's EventRecordID. TimeCreated is stored to 100 ns, the
// precision of FILETIME, and must fall in the years 1601 to 9999; a zero
// TimeCreated leaves SystemTime out. Optional
// System attributes (ProviderGUID, EventSourceName, Qualifiers unless
// HasQualifiers, ActivityID, RelatedActivityID, UserID) are left out when
// empty. Strings must be valid UTF-8 without NUL characters.
//
// With UserDataName set the payload is written as
// <UserData><UserDataName xmlns="…"><Name>Value</Name>…</UserDataName></UserData>,
// so field names must then be XML names (an event with UserDataName and no
// fields reads back with one empty field named after the wrapper, as readers
// take an element without children below <UserData> for a field); otherwise
// each field is a
// <Data Name="Name">Value</Data> element of <EventData>, or a <Data> element
// without Name when the field's Name is empty.
func (w *Writer) Write(ev *Event) error {
	return w.WriteTyped(ev, nil)
}

// WriteTyped is [Writer.Write] with a type for each payload value: types[i]
// applies to ev.Fields[i], and fields beyond len(types) are strings. Values
// are parsed from their text as [FieldType] describes; a value that does not
// parse is refused with a [*WriteError].
func (w *Writer) WriteTyped(ev *Event, types []FieldType) error {
	if w.closed {
		return ErrWriterClosed
	}
	if w.err != nil {
		return w.err
	}
	id := ev.RecordID
	if id == 0 {
		id = w.lastID + 1
	} else if id <= w.lastID {
		return &WriteError{RecordID: id, Field: "RecordID", Err: fmt.Errorf("%w: %d follows %d", ErrRecordIDOrder, id, w.lastID)}
	}
	if id == 0 {
		return &WriteError{Field: "RecordID", Err: fmt.Errorf("%w: identifiers are exhausted", ErrRecordIDOrder)}
	}
	ns := ""
	if ev.UserDataName != "" {
		if w.UserDataNamespace != nil {
			ns = w.UserDataNamespace(ev)
		} else {
			ns = DefaultUserDataNamespace(ev)
		}
	}
	shape, err := newWriterShape(ev, types, ns)
	if err != nil {
		var we *WriteError
		if errors.As(err, &we) {
			we.RecordID = id
		}
		return err
	}
	if err := w.values.build(ev, shape, types, id); err != nil {
		return err
	}
	var written uint64
	if !ev.TimeCreated.IsZero() {
		// Checked by build already: TimeCreated converts.
		written, _ = wrFileTime(ev.TimeCreated)
	}
	if err := w.start(); err != nil {
		return err
	}
	if w.appendRecord(id, written, shape) {
		w.lastID = id
		return nil
	}
	if w.chunk.empty() {
		return &WriteError{RecordID: id, Err: fmt.Errorf("%w: it needs %d bytes, a chunk holds %d", ErrEventTooLarge, len(w.encoded), wrChunkUsable-wrChunkHeaderSize)}
	}
	if w.chunks+1 >= wrMaxChunks {
		return &WriteError{RecordID: id, Err: ErrFileFull}
	}
	if err := w.flushChunk(); err != nil {
		return err
	}
	if !w.appendRecord(id, written, shape) {
		return &WriteError{RecordID: id, Err: fmt.Errorf("%w: it needs %d bytes, a chunk holds %d", ErrEventTooLarge, len(w.encoded), wrChunkUsable-wrChunkHeaderSize)}
	}
	w.lastID = id
	return nil
}

// appendRecord encodes the record into the current chunk and reports
// whether it fitted; when it did not, the chunk is unchanged.
func (w *Writer) appendRecord(id, written uint64, shape *writerShape) bool {
	c := w.chunk
	c.begin()
	e := writerEnc{c: c, base: c.free, buf: w.encoded[:0]}
	e.u32(0x00002a2a)
	e.u32(0) // size, patched below
	e.buf = binary.LittleEndian.AppendUint64(e.buf, id)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, written)
	e.buf = append(e.buf, wtFragmentHeader, 1, 1, 0)
	e.template(shape)
	e.instance(w.values.values)
	e.u8(wtEOF)
	// Windows keeps records 8-byte aligned; readers expect the padding
	// between the end of the BinXML and the trailing size copy.
	for (len(e.buf)+4)%8 != 0 {
		e.u8(0)
	}
	size := uint32(len(e.buf) + 4)
	e.u32(size)
	binary.LittleEndian.PutUint32(e.buf[4:], size)
	w.encoded = e.buf
	if c.free+len(e.buf) > wrChunkUsable {
		c.rollback()
		return false
	}
	c.commit(e.buf, id)
	return true
}

// start writes a provisional file header, marked dirty, on first use.
func (w *Writer) start() error {
	if w.started {
		return nil
	}
	w.started = true
	base, err := w.ws.Seek(0, io.SeekCurrent)
	if err != nil {
		w.err = fmt.Errorf("evtx: failed to find the start of the file: %w", err)
		return w.err
	}
	w.base = base
	w.chunk = newWriterChunk()
	if _, err := w.ws.Write(w.fileHeader(true)); err != nil {
		w.err = fmt.Errorf("evtx: failed to write the file header: %w", err)
		return w.err
	}
	return nil
}

func (w *Writer) flushChunk() error {
	if _, err := w.ws.Write(w.chunk.finish()); err != nil {
		w.err = fmt.Errorf("evtx: failed to write chunk %d: %w", w.chunks, err)
		return w.err
	}
	w.chunks++
	w.chunk.reset()
	return nil
}

// fileHeader builds the 4096-byte file header for the chunks written so far.
func (w *Writer) fileHeader(dirty bool) []byte {
	h := make([]byte, wrFileHeaderSize)
	le := binary.LittleEndian
	copy(h, "ElfFile\x00")
	if w.chunks > 0 {
		le.PutUint64(h[16:], uint64(w.chunks-1))
	}
	le.PutUint64(h[24:], w.lastID+1)
	le.PutUint32(h[32:], wrFileHeaderUsed)
	le.PutUint16(h[36:], 1) // minor version
	le.PutUint16(h[38:], 3) // major version
	le.PutUint16(h[40:], wrFileHeaderSize)
	le.PutUint16(h[42:], uint16(w.chunks))
	if dirty {
		le.PutUint32(h[120:], 1)
	}
	le.PutUint32(h[124:], crc32.ChecksumIEEE(h[:120]))
	return h
}

// Close writes the last chunk and the final file header, then closes the
// file if [Create] opened it. A file without events still gets one empty
// chunk, as Windows keeps for an empty log.
func (w *Writer) Close() error {
	if w.closed {
		return ErrWriterClosed
	}
	w.closed = true
	err := w.finish()
	if w.closer != nil {
		if cerr := w.closer.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("evtx: failed to close the file: %w", cerr)
		}
	}
	return err
}

func (w *Writer) finish() error {
	if w.err != nil {
		return w.err
	}
	if err := w.start(); err != nil {
		return err
	}
	if !w.chunk.empty() || w.chunks == 0 {
		if err := w.flushChunk(); err != nil {
			return err
		}
	}
	end, err := w.ws.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = w.ws.Seek(w.base, io.SeekStart)
	}
	if err == nil {
		_, err = w.ws.Write(w.fileHeader(false))
	}
	if err == nil {
		_, err = w.ws.Seek(end, io.SeekStart)
	}
	if err != nil {
		return fmt.Errorf("evtx: failed to write the file header: %w", err)
	}
	return nil
}
