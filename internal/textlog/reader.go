package textlog

import (
	"context"
	"io"

	"github.com/wuguard/wuguard/internal/input"
)

// lineParser is one log format.
type lineParser interface {
	// starts reports whether a physical line opens a new entry; other
	// lines continue the entry before them.
	starts(line []byte) bool
	// parse fills e from one entry's text. A false result with a reason
	// means the entry was meant to be a log line but is damaged.
	parse(e *Entry, text []byte) (ok bool, reason string)
	// finish sends format-specific closing damage reports.
	finish(d *damageLog)
}

// ctxCheckLines is how often the readers look at their context.
const ctxCheckLines = 1024

// readLog runs one format's parser over r: it splits lines, joins
// continuation lines to their entry, reports damage and calls fn per entry.
func readLog(ctx context.Context, r io.Reader, file, what string, p lineParser, fn func(*Entry) error, damage func(input.Damage)) error {
	lr := newLineReader(r)
	d := &damageLog{file: file, fn: damage}
	var (
		e       Entry
		cur     []byte // the pending entry's text
		curNum  int
		curOff  int64
		pending bool
		pl      physLine
		lines   int
	)
	flush := func() error {
		if !pending {
			return nil
		}
		pending = false
		e = Entry{File: file, Line: curNum, Offset: curOff}
		ok, reason := p.parse(&e, cur)
		if !ok {
			d.add(curOff, curNum, "%s", reason)
			return nil
		}
		d.recognise()
		return fn(&e)
	}
	for lr.next(&pl) {
		lines++
		if lines%ctxCheckLines == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		switch {
		case pl.tooLong:
			d.add(pl.off, pl.num, "line longer than %d bytes skipped", MaxLineBytes)
			continue
		case len(pl.text) == 0:
			continue
		case p.starts(pl.text):
			if err := flush(); err != nil {
				return err
			}
			if pl.garbled {
				d.add(pl.off, pl.num, "control characters or NUL bytes in the line (binary data or mixed encodings)")
				continue
			}
			cur = append(cur[:0], pl.text...)
			curNum, curOff, pending = pl.num, pl.off, true
		case pl.garbled:
			// The damage ends the entry before it; flushing first also keeps
			// the reports in line order.
			if err := flush(); err != nil {
				return err
			}
			d.add(pl.off, pl.num, "control characters or NUL bytes in the line (binary data or mixed encodings)")
		case pending:
			if len(cur)+1+len(pl.text) <= maxEntryBytes {
				cur = append(cur, ' ')
				cur = append(cur, skipSpace(pl.text)...)
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if lr.err != nil {
		d.readError(lr.off, lr.err)
	}
	p.finish(d)
	d.finish(what, lines)
	return nil
}
