package textlog

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/wuguard/wuguard/internal/input"
)

// MaxLineBytes bounds one physical line. Longer lines are reported as damage
// and skipped: no CBS.log or WindowsUpdate.log line comes near it (the
// longest, CBS "Reporting package change" lines, are about 1 KiB), so such a
// line is binary data or a file that is not a log at all.
const MaxLineBytes = 64 << 10

// maxEntryBytes bounds an entry with its continuation lines; text past it is
// dropped from Text, not reported.
const maxEntryBytes = 256 << 10

// maxDamageReports bounds how many damaged lines one file reports one by
// one; the rest are counted in a single closing report.
const maxDamageReports = 20

type encoding int

const (
	encUTF8 encoding = iota
	encUTF16LE
	encUTF16BE
)

// lineReader splits a log into lines, whatever its encoding (UTF-8 with or
// without BOM, UTF-16 little or big endian with or without BOM), and
// returns each as UTF-8 with its 1-based number and byte offset.
type lineReader struct {
	r    *bufio.Reader
	enc  encoding
	off  int64 // offset of the next line
	num  int
	buf  []byte // decoded line (UTF-16 files, over-long lines, Latin-1 repair)
	err  error  // sticky read error other than io.EOF
	done bool
}

func newLineReader(r io.Reader) *lineReader {
	lr := &lineReader{r: bufio.NewReaderSize(r, MaxLineBytes+1)}
	head, _ := lr.r.Peek(512)
	switch {
	case len(head) >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF:
		lr.r.Discard(3)
		lr.off = 3
	case len(head) >= 2 && head[0] == 0xFF && head[1] == 0xFE:
		lr.enc = encUTF16LE
		lr.r.Discard(2)
		lr.off = 2
	case len(head) >= 2 && head[0] == 0xFE && head[1] == 0xFF:
		lr.enc = encUTF16BE
		lr.r.Discard(2)
		lr.off = 2
	default:
		lr.enc = sniffUTF16(head)
	}
	return lr
}

// sniffUTF16 recognises UTF-16 text written without a byte order mark
// (Out-File and some log collectors do this) by where its zero bytes fall:
// ASCII text in UTF-16LE has a zero in almost every odd position.
func sniffUTF16(head []byte) encoding {
	if len(head) < 16 {
		return encUTF8
	}
	var evenZero, oddZero int
	for i := 0; i+1 < len(head); i += 2 {
		if head[i] == 0 {
			evenZero++
		}
		if head[i+1] == 0 {
			oddZero++
		}
	}
	pairs := len(head) / 2
	switch {
	case oddZero*10 >= pairs*9 && evenZero*10 < pairs:
		return encUTF16LE
	case evenZero*10 >= pairs*9 && oddZero*10 < pairs:
		return encUTF16BE
	}
	return encUTF8
}

// physLine is one physical line.
type physLine struct {
	text    []byte // without the line ending; valid until the next call
	num     int
	off     int64
	tooLong bool // the line exceeded MaxLineBytes and text is empty
	// garbled is set when the line holds bytes no text log contains: NULs
	// (UTF-16 text read as UTF-8, or binary data) or other control
	// characters.
	garbled bool
}

// next returns the next line, or false at the end of input. Read errors
// other than end of file end the input and are kept in lr.err.
func (lr *lineReader) next(pl *physLine) bool {
	if lr.done {
		return false
	}
	pl.num = lr.num + 1
	pl.off = lr.off
	pl.tooLong = false
	pl.garbled = false
	var ok bool
	if lr.enc == encUTF8 {
		ok = lr.nextUTF8(pl)
	} else {
		ok = lr.nextUTF16(pl)
	}
	if ok {
		lr.num++
	}
	return ok
}

func (lr *lineReader) nextUTF8(pl *physLine) bool {
	line, err := lr.r.ReadSlice('\n')
	lr.off += int64(len(line))
	if errors.Is(err, bufio.ErrBufferFull) {
		// Skip the rest of the over-long line.
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = lr.r.ReadSlice('\n')
			lr.off += int64(len(line))
		}
		pl.text = nil
		pl.tooLong = true
		lr.setErr(err)
		return true
	}
	if err != nil {
		lr.setErr(err)
		if len(line) == 0 {
			return false
		}
	}
	line = trimEOL(line)
	high, ctrl := scan(line)
	if high && !utf8.Valid(line) {
		line = latin1(lr.buf[:0], line)
		lr.buf = line
	}
	pl.text = line
	pl.garbled = ctrl
	return true
}

// nextUTF16 reads code units up to a line feed and converts them to UTF-8.
func (lr *lineReader) nextUTF16(pl *physLine) bool {
	out := lr.buf[:0]
	var pending rune = -1 // a high surrogate waiting for its pair
	read := 0
	for {
		b0, err := lr.r.ReadByte()
		if err != nil {
			lr.setErr(err)
			if read == 0 {
				return false
			}
			break
		}
		b1, err := lr.r.ReadByte()
		if err != nil {
			// An odd byte at the end of the file: a truncated unit. The
			// line so far is still returned.
			lr.setErr(err)
			lr.off++
			read++
			break
		}
		lr.off += 2
		read += 2
		u := rune(b0) | rune(b1)<<8
		if lr.enc == encUTF16BE {
			u = rune(b1) | rune(b0)<<8
		}
		if u == '\n' {
			break
		}
		if u < 0x20 && u != '\t' && u != '\r' || u == 0x7F {
			pl.garbled = true
		}
		if pl.tooLong {
			continue
		}
		switch {
		case u >= 0xD800 && u < 0xDC00:
			if pending >= 0 {
				out = utf8.AppendRune(out, utf8.RuneError)
			}
			pending = u
			continue
		case u >= 0xDC00 && u < 0xE000:
			if pending >= 0 {
				out = utf8.AppendRune(out, (pending-0xD800)<<10+(u-0xDC00)+0x10000)
				pending = -1
				continue
			}
			u = utf8.RuneError
		}
		if pending >= 0 {
			out = utf8.AppendRune(out, utf8.RuneError)
			pending = -1
		}
		out = utf8.AppendRune(out, u)
		if len(out) > MaxLineBytes {
			pl.tooLong = true
			out = out[:0]
		}
	}
	if pending >= 0 && !pl.tooLong {
		out = utf8.AppendRune(out, utf8.RuneError)
	}
	lr.buf = out
	if pl.tooLong {
		pl.text = nil
		return true
	}
	pl.text = trimEOL(out)
	return true
}

func (lr *lineReader) setErr(err error) {
	if err == nil {
		return
	}
	lr.done = true
	if err != io.EOF {
		lr.err = err
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// scan reports in one pass whether b has bytes above ASCII and whether it
// has control characters other than tab. It tests eight bytes at a time and
// looks at single bytes only in words that may hold a tab or a control byte.
func scan(b []byte) (high, ctrl bool) {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	var or uint64
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		or |= w
		// A byte below 0x20 or equal to 0x7F sets its high bit in one of
		// these (the classic "has less than" and "has zero byte" tests;
		// bytes above 0x7F are excluded by &^w).
		below := (w - 0x20*ones) &^ w & highs
		del := ((w ^ 0x7F*ones) - ones) &^ (w ^ 0x7F*ones) & highs
		if below|del != 0 && !ctrl {
			for _, c := range b[i : i+8] {
				if c < 0x20 && c != '\t' || c == 0x7F {
					ctrl = true
				}
			}
		}
	}
	for _, c := range b[i:] {
		or |= uint64(c)
		if c < 0x20 && c != '\t' || c == 0x7F {
			ctrl = true
		}
	}
	return or&highs != 0, ctrl
}

// latin1 converts a line that is not valid UTF-8 by reading it as Latin-1:
// such lines come from logs written in the system's ANSI code page (paths
// and titles with accented letters), and keeping them readable beats
// dropping them.
func latin1(dst, src []byte) []byte {
	for _, c := range src {
		if c < 0x80 {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}

// damageLog collects one file's damage reports. Reports are held back until
// the file shows a line of the expected format: a file with none is one
// report, not one per line. Past maxDamageReports the rest are counted.
type damageLog struct {
	file       string
	fn         func(input.Damage)
	held       []input.Damage
	recognised bool
	reported   int
	dropped    int
}

func (d *damageLog) add(off int64, line int, format string, args ...any) {
	reason := fmt.Sprintf("line %d: ", line) + fmt.Sprintf(format, args...)
	dm := input.Damage{File: d.file, Chunk: -1, Offset: off, Reason: reason}
	if !d.recognised {
		if len(d.held) < maxDamageReports {
			d.held = append(d.held, dm)
		} else {
			d.dropped++
		}
		return
	}
	d.emit(dm)
}

func (d *damageLog) emit(dm input.Damage) {
	if d.reported >= maxDamageReports {
		d.dropped++
		return
	}
	d.reported++
	if d.fn != nil {
		d.fn(dm)
	}
}

// recognise records that the file has at least one line of its format and
// releases the reports held so far.
func (d *damageLog) recognise() {
	if d.recognised {
		return
	}
	d.recognised = true
	for _, dm := range d.held {
		d.emit(dm)
	}
	d.held = nil
}

// finish sends the closing reports: the single "not this format" report for
// a file without one recognised line, or the count of unlisted damage.
func (d *damageLog) finish(what string, lines int) {
	if !d.recognised {
		if lines > 0 && d.fn != nil {
			d.fn(input.Damage{File: d.file, Chunk: -1, Offset: 0,
				Reason: fmt.Sprintf("no %s line recognised in %d lines; not a %s, or damaged beyond reading", what, lines, what)})
		}
		return
	}
	if d.dropped > 0 && d.fn != nil {
		d.fn(input.Damage{File: d.file, Chunk: -1, Offset: -1,
			Reason: fmt.Sprintf("%d more damaged lines not listed", d.dropped)})
	}
}

func (d *damageLog) readError(off int64, err error) {
	dm := input.Damage{File: d.file, Chunk: -1, Offset: off, Reason: "read failed: " + err.Error()}
	if d.fn != nil {
		d.fn(dm)
	}
}
