package evtx

import (
	"io"
	"time"
)

// Record is one event record of a chunk. Its header is read when the chunk
// is iterated; its binary XML is decoded only by the methods that render or
// decode it, each of which returns a *[FormatError] if it is damaged.
//
// A Record refers to the memory of its [Chunk]: it is valid until the chunk
// is read into again, and its methods must not run concurrently with other
// use of the chunk.
type Record struct {
	ID      uint64    // event record identifier
	Written time.Time // when the record was written, from its header
	Offset  int64     // file offset of the record header

	chunk      *Chunk
	start, end uint32 // binary XML within the chunk
}

// Chunk returns the chunk the record belongs to.
func (r *Record) Chunk() *Chunk { return r.chunk }

// BinXML returns the record's binary XML. The bytes belong to the chunk.
func (r *Record) BinXML() []byte { return r.chunk.data[r.start:r.end] }

// AppendXML appends the record rendered as event XML (see the package
// documentation for the layout) to dst. On error dst is returned with
// nothing appended.
func (r *Record) AppendXML(dst []byte) (out []byte, err error) {
	defer guard(&err, r)
	d := &r.chunk.dec
	start := len(dst)
	sci, items, err := d.begin(r)
	d.outStart = start
	if err == nil {
		dst, err = d.render(dst, planXML, sci, items)
	}
	if err == nil && d.overrun {
		err = d.limitError()
	}
	if err != nil {
		return dst[:start], err
	}
	return dst, nil
}

// AppendJSON appends the record rendered as one line of JSON in the shape of
// evtx_dump (see the package documentation) to dst, without a newline. On
// error dst is returned with nothing appended.
func (r *Record) AppendJSON(dst []byte) (out []byte, err error) {
	defer guard(&err, r)
	d := &r.chunk.dec
	start := len(dst)
	sci, items, err := d.begin(r)
	d.outStart = start
	if err == nil {
		dst, err = d.render(dst, planJSON, sci, items)
	}
	if err == nil && d.overrun {
		err = d.limitError()
	}
	if err != nil {
		return dst[:start], err
	}
	return dst, nil
}

// XML writes the record as event XML to w.
func (r *Record) XML(w io.Writer) error {
	b, err := r.AppendXML(r.chunk.dec.scratch[:0])
	r.chunk.dec.scratch = b[:0]
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// JSON writes the record as one line of JSON, with a newline, to w.
func (r *Record) JSON(w io.Writer) error {
	b, err := r.AppendJSON(r.chunk.dec.scratch[:0])
	if err == nil {
		b = append(b, '\n')
	}
	r.chunk.dec.scratch = b[:0]
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Decode fills ev with the record's System values and payload fields,
// straight from the binary XML. It reuses the capacity of ev.Fields; all the
// strings it sets share one allocation and stay valid after the chunk is
// reused. On error ev is left reset or partly filled.
func (r *Record) Decode(ev *Event) (err error) {
	defer guard(&err, r)
	d := &r.chunk.dec
	sci, items, err := d.begin(r)
	d.outStart = 0
	if err != nil {
		ev.Reset()
		return err
	}
	return d.decode(ev, sci, items)
}

// DecodeSystem is [Record.Decode] without the payload: it fills ev's System
// values and leaves Fields and UserDataName empty. It costs less than
// Decode, for readers that pick records by provider or event ID before
// looking at their payload.
func (r *Record) DecodeSystem(ev *Event) (err error) {
	defer guard(&err, r)
	d := &r.chunk.dec
	sci, items, err := d.begin(r)
	d.outStart = 0
	if err != nil {
		ev.Reset()
		return err
	}
	d.ds.systemOnly = true
	defer func() { d.ds.systemOnly = false }()
	return d.decode(ev, sci, items)
}
