package evtx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors wrapped by [FormatError]; test for them with [errors.Is].
var (
	// ErrNotEVTX means the data does not start with an EVTX file header.
	ErrNotEVTX = errors.New("not an EVTX file")
	// ErrChecksum means a stored CRC-32 does not match the bytes it covers.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrTruncated means a structure runs past the end of the data that holds it.
	ErrTruncated = errors.New("truncated data")
	// ErrBadChunk means a chunk slot that should hold a chunk does not.
	ErrBadChunk = errors.New("bad chunk")
	// ErrBadRecord means an event record header is inconsistent.
	ErrBadRecord = errors.New("bad event record")
	// ErrBinXML means the binary XML of a record cannot be decoded.
	ErrBinXML = errors.New("bad binary XML")
	// ErrLimit means decoding stopped at one of the package's resource limits
	// (nesting depth, output size, work per record), which only hostile or
	// corrupt input reaches.
	ErrLimit = errors.New("resource limit reached")
	// ErrInternal means the decoder failed in a way it should not; the input
	// is named in the error so that it can be reported.
	ErrInternal = errors.New("internal error")
)

// FormatError describes malformed input: where it is and what is wrong.
// It unwraps to one of the package's sentinel errors.
type FormatError struct {
	Off    int64  // byte offset in the file of the damaged structure, -1 if unknown
	Chunk  int    // chunk index, -1 for the file header
	Record uint64 // event record identifier, 0 if not within a known record
	Msg    string // what is wrong, lowercase
	Val    any    // the offending value, if any
	Err    error  // sentinel: ErrNotEVTX, ErrChecksum, ErrTruncated, …
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("evtx: ")
	b.WriteString(e.Msg)
	if e.Val != nil {
		b.WriteByte(' ')
		switch v := e.Val.(type) {
		case string:
			b.WriteString(strconv.Quote(v))
		default:
			fmt.Fprint(&b, v)
		}
	}
	if e.Off >= 0 {
		fmt.Fprintf(&b, " at offset %#x", e.Off)
	}
	if e.Chunk >= 0 {
		fmt.Fprintf(&b, " (chunk %d", e.Chunk)
		if e.Record != 0 {
			fmt.Fprintf(&b, ", record %d", e.Record)
		}
		b.WriteByte(')')
	}
	return b.String()
}

func (e *FormatError) Unwrap() error { return e.Err }

// Reason is the error text without the "evtx: " prefix and without the
// position, for reports that print the position themselves.
func (e *FormatError) Reason() string {
	if e.Val == nil {
		return e.Msg
	}
	if s, ok := e.Val.(string); ok {
		return e.Msg + " " + strconv.Quote(s)
	}
	return fmt.Sprint(e.Msg, " ", e.Val)
}

// Warning is a problem in the file header that leaves the file readable,
// such as a dirty flag or a header checksum mismatch.
type Warning struct {
	Msg string
	Err error // ErrChecksum for a checksum mismatch, nil otherwise
}

func (w Warning) String() string { return w.Msg }

// hexVal formats a value as 0x… for error messages.
type hexVal uint64

func (h hexVal) String() string { return "0x" + strconv.FormatUint(uint64(h), 16) }
