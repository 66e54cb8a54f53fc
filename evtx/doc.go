// Package evtx reads Windows XML Event Log (EVTX) files: the .evtx files in
// C:\Windows\System32\winevt\Logs. It renders records as event XML or as
// JSON in the shape of the Rust evtx crate's evtx_dump, and decodes them
// into the typed [Event] model without going through text.
//
// # Reading
//
// [Open] or [NewReader] parse the file header; [File.Records] iterates over
// every record, and [File.ReadChunk] reads one 64 KiB chunk so that callers
// can spread chunks over goroutines (chunks are independent: each has its
// own string and template tables). Records are framed when a chunk is
// iterated and their binary XML is decoded only when [Record.AppendJSON],
// [Record.AppendXML] or [Record.Decode] is called. Templates are compiled
// once per chunk; rendering a record then walks the compiled template with
// the record's substitution values and allocates nothing. A rendering is
// also kept as a plan (static text and where each value goes) for the
// records of the same template and value types that follow, in any chunk
// read into the same [Chunk]: they are rendered by filling in their values,
// with the same output. A template compiled in one chunk is reused by later
// chunks that carry the same definition. Chunks read on several goroutines
// share what they learn through a [Cache].
//
// Dirty files (not closed cleanly) are read whole: every chunk slot that
// holds a chunk is read, up to the end of the file, whatever the header's
// chunk count says.
//
// # Rendering
//
// XML output follows the layout of libevtx's evtxexport. JSON output
// follows evtx_dump: attributes under "#attributes", text under "#text",
// EventData Data elements keyed by their Name attribute. Values are written
// as the event XML of Windows 10 and later shows them: times with seven
// fractional digits, GUIDs in braces, hexadecimal integers without leading
// zeros. An array substitution repeats its element once per item, as
// MS-EVEN6 prescribes. docs/dump-json.md in the wuguard repository lists
// every difference from evtx_dump and evtxexport.
//
// # Security
//
// This package is meant for untrusted input: logs copied from compromised
// machines, carved from disk images or crafted to attack the analyst's
// tools. Every offset, count and size read from a file is checked against
// the data that holds it before it is used; allocations are bounded by the
// file's own size and by fixed limits (element nesting, template and binary
// XML nesting, rendered output and work per record); every loop advances
// through the input, so decoding ends on any input; and a panic in the
// decoder is recovered at the public boundary and returned as an
// [ErrInternal] error naming the record. Damage is reported as a
// *[FormatError] with the chunk, offset and record it was found at, and
// reading goes on with the next good record.
package evtx
