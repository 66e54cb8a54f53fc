package input

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
)

// Limits on XML input; beyond them an event is reported as damage and
// skipped. The largest Windows event holds 64 KiB of UTF-16 values, which
// rendered and escaped stays far below these.
const (
	maxXMLToken     = 4 << 20  // bytes in one token (tag, text run, comment)
	maxXMLEvent     = 16 << 20 // bytes in one <Event> element
	maxXMLDepth     = 64       // element nesting below <Event>
	maxXMLFields    = 1 << 16  // payload fields of one event
	xmlReadEveryCtx = 256      // events between context checks
)

// readXML reads Windows events as XML: what `wevtutil qe LOG /f:xml` and
// `Get-WinEvent | % ToXml()` print (<Event> elements one after another,
// with or without an <Events> root, UTF-8 or UTF-16 with or without a byte
// order mark), also with RenderingInfo, and the output of evtxexport -f xml
// and python-evtx's evtx_dump.py. A malformed event is reported with the
// byte offset of its <Event> start tag and skipped; reading goes on at the
// next <Event.
func readXML(ctx context.Context, f File, fn Handler, damage func(Damage)) error {
	fh, err := os.Open(f.Path)
	if err != nil {
		damage(Damage{File: f.Path, Chunk: -1, Offset: -1, Reason: describe(err)})
		return nil
	}
	defer fh.Close()
	return scanXML(ctx, f.Path, fh, fn, damage)
}

// scanXML reads the events of r, which is called name in reports.
func scanXML(ctx context.Context, name string, r io.Reader, fn Handler, damage func(Damage)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	in := newXMLInput(r)
	s := xmlScanner{ctx: ctx, name: name, in: in, fn: fn, damage: damage}
	s.ev.Source = event.Source{File: name, Format: event.FormatXML}
	for {
		err := s.scan()
		var bad *xmlDamage
		if !errors.As(err, &bad) {
			return err
		}
		damage(Damage{File: name, Chunk: -1, Offset: bad.offset, Reason: bad.reason})
		if !in.skipToEvent() {
			if in.err != nil && !errors.Is(in.err, io.EOF) {
				damage(Damage{File: name, Chunk: -1, Offset: in.fileOffset(in.pos()), Reason: describe(in.err)})
			}
			return nil
		}
	}
}

// xmlDamage is a part of the input that could not be read; scanning resumes
// at the next <Event.
type xmlDamage struct {
	offset int64
	reason string
}

func (d *xmlDamage) Error() string { return d.reason }

type xmlScanner struct {
	ctx    context.Context
	name   string
	in     *xmlInput
	fn     Handler
	damage func(Damage)
	ev     event.Event
	count  int

	d        *xml.Decoder
	base     int64 // decoded-stream position where d started
	baseLine int   // lines before d started
	text     []byte
	stack    []xmlFrame
	fields   int
	// systemSeen records a <System> child of the current event.
	systemSeen bool
	// wrappers counts the elements below <UserData>; like the EVTX reader,
	// only the first one's leaves are fields.
	wrappers int
}

// xmlFrame is an open element inside an <Event>.
type xmlFrame struct {
	name      xml.Name
	attrs     []xml.Attr
	textStart int
	hasChild  bool
}

// scan reads events until the input ends (nil), a handler or context
// error, or damage that needs a resynchronisation (*xmlDamage).
func (s *xmlScanner) scan() error {
	s.d = xml.NewDecoder(s.in)
	// The input is already UTF-8 (UTF-16 was converted by xmlInput); a
	// declared encoding has done its job.
	s.d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	s.base, s.baseLine = s.in.pos(), s.in.lines
	for {
		before := s.d.InputOffset()
		s.in.startToken()
		tok, err := s.d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return s.syntaxDamage(err, s.base+before)
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local != "Event" {
			// Anything outside events is ignored: roots, declarations,
			// banners, unmatched end tags after a resynchronisation.
			continue
		}
		if err := s.event(start, s.base+before); err != nil {
			return err
		}
	}
}

// syntaxDamage turns a decoder error into damage at offset, with the line.
func (s *xmlScanner) syntaxDamage(err error, at int64) error {
	var syn *xml.SyntaxError
	switch {
	case errors.As(err, &syn):
		return &xmlDamage{s.in.fileOffset(at), fmt.Sprintf("malformed XML at line %d: %s", s.baseLine+syn.Line, syn.Msg)}
	case errors.Is(err, errXMLTokenTooLarge):
		return &xmlDamage{s.in.fileOffset(at), fmt.Sprintf("XML token longer than %d bytes", maxXMLToken)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &xmlDamage{s.in.fileOffset(at), "file ends inside an event"}
	}
	return &xmlDamage{s.in.fileOffset(at), describe(err)}
}

// event reads one <Event> element and hands it on, or reports it.
func (s *xmlScanner) event(start xml.StartElement, at int64) error {
	offset := s.in.fileOffset(at)
	ev := &s.ev
	ev.Reset()
	ev.Source.Offset = offset
	s.text = s.text[:0]
	s.stack = append(s.stack[:0], xmlFrame{name: start.Name})
	s.fields = 0
	s.systemSeen = false
	s.wrappers = 0
	var problem error // a value that does not parse; the XML goes on
	for len(s.stack) > 0 {
		if s.in.pos()-at > maxXMLEvent {
			return &xmlDamage{offset, fmt.Sprintf("event longer than %d bytes", maxXMLEvent)}
		}
		s.in.startToken()
		tok, err := s.d.RawToken()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			d := s.syntaxDamage(err, at).(*xmlDamage)
			d.offset = offset
			return d
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(s.stack) > maxXMLDepth {
				return &xmlDamage{offset, fmt.Sprintf("elements nested deeper than %d", maxXMLDepth)}
			}
			s.stack[len(s.stack)-1].hasChild = true
			s.stack = append(s.stack, xmlFrame{name: t.Name, attrs: t.Attr, textStart: len(s.text)})
			if err := s.open(); err != nil && problem == nil {
				problem = err
			}
		case xml.CharData:
			s.text = append(s.text, t...)
		case xml.EndElement:
			top := s.stack[len(s.stack)-1]
			if t.Name != top.name {
				return &xmlDamage{offset, fmt.Sprintf("element <%s> closed by </%s>", xmlName(top.name), xmlName(t.Name))}
			}
			if err := s.close(); err != nil && problem == nil {
				problem = err
			}
			s.stack = s.stack[:len(s.stack)-1]
		}
	}
	if problem == nil && !s.systemSeen {
		problem = errors.New("event has no <System> element")
	}
	if problem != nil {
		s.damage(Damage{File: s.name, Chunk: -1, Offset: offset, Reason: problem.Error()})
		return nil
	}
	s.count++
	if s.count%xmlReadEveryCtx == 0 {
		if err := s.ctx.Err(); err != nil {
			return err
		}
	}
	return s.fn(ev)
}

func xmlName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// path returns the local name of the open element at depth i (0 = Event).
func (s *xmlScanner) path(i int) string {
	if i < len(s.stack) {
		return s.stack[i].name.Local
	}
	return ""
}

func attr(attrs []xml.Attr, local string) (string, bool) {
	for _, a := range attrs {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// open handles a start tag: System attributes are read here.
func (s *xmlScanner) open() error {
	depth := len(s.stack) - 1
	if depth == 1 && s.path(1) == "System" {
		s.systemSeen = true
	}
	if depth == 2 && s.path(1) == "UserData" {
		s.wrappers++
		if s.wrappers == 1 {
			s.ev.UserDataName = s.path(2)
		}
	}
	if depth != 2 || s.path(1) != "System" {
		return nil
	}
	el := s.stack[depth]
	for _, a := range el.attrs {
		if a.Name.Space != "" {
			continue
		}
		if _, err := setSystem(&s.ev.System, systemKey(el.name.Local+"."+a.Name.Local), a.Value); err != nil {
			return err
		}
	}
	return nil
}

// close handles an end tag: System element text and payload fields.
func (s *xmlScanner) close() error {
	depth := len(s.stack) - 1
	el := &s.stack[depth]
	text := string(s.text[el.textStart:])
	// Text of elements below System and EventData children belongs to
	// them (<Data> with markup inside keeps all its text); elsewhere it
	// is dropped when its element closes.
	keep := depth >= 3 && (s.path(1) == "System" || s.path(1) == "EventData")
	if !keep {
		s.text = s.text[:el.textStart]
	}
	switch {
	case depth == 2 && s.path(1) == "System":
		if el.hasChild {
			return nil
		}
		_, err := setSystem(&s.ev.System, systemKey(el.name.Local), text)
		return err
	case depth == 2 && s.path(1) == "EventData":
		name := el.name.Local
		switch name {
		case "Data":
			name, _ = attr(el.attrs, "Name")
		case "Binary":
			if text == "" {
				// Renderers disagree on an empty <Binary>: python-evtx
				// prints it, libevtx and evtx_dump leave it out.
				return nil
			}
		}
		return s.addField(name, text)
	case depth >= 3 && s.path(1) == "UserData" && !el.hasChild && s.wrappers == 1:
		return s.addField(el.name.Local, text)
	case depth == 2 && s.path(1) == "UserData" && !el.hasChild && s.wrappers == 1:
		// A wrapper without elements is a field of its own, as the EVTX
		// reader decodes it.
		return s.addField(el.name.Local, text)
	}
	return nil
}

func (s *xmlScanner) addField(name, value string) error {
	s.fields++
	if s.fields > maxXMLFields {
		return fmt.Errorf("event has more than %d payload fields", maxXMLFields)
	}
	s.ev.Fields = append(s.ev.Fields, evtx.Field{Name: name, Value: value})
	return nil
}

var errXMLTokenTooLarge = errors.New("XML token too large")

// xmlInput gives the decoder the file as UTF-8, one byte at a time so that
// the decoder reads nothing ahead and a new decoder can start exactly where
// the previous one failed. It converts UTF-16 input, caps the bytes of one
// token, and maps positions back to file offsets.
type xmlInput struct {
	raw    *bufio.Reader
	utf16  int   // 0 for UTF-8, else 1 for little-endian, 2 for big-endian
	skip   int64 // byte order mark length
	rawPos int64 // file bytes consumed
	carry  []byte
	chunk  []byte // read buffer
	win    []byte // decoded bytes
	off    int    // next byte of win
	winPos int64  // decoded position of win[0]
	lines  int    // newlines handed out
	used   int    // bytes handed out since startToken
	// tokenStart is where the current token began; the window keeps it so
	// that skipToEvent can look for the next event from there.
	tokenStart int64
	err        error
	// marks maps the decoded position of each recent '<' to its file
	// offset in UTF-16 input, where the two differ unevenly.
	marks [256]xmlMark
	nmark int
	// versionAt is the file offset of the "1" to rewrite in an XML 1.1
	// declaration, or -1.
	versionAt int64
}

type xmlMark struct{ pos, file int64 }

func newXMLInput(r io.Reader) *xmlInput {
	in := &xmlInput{raw: bufio.NewReaderSize(r, 64<<10), versionAt: -1}
	head, _ := in.raw.Peek(256)
	switch {
	case bytes.HasPrefix(head, []byte{0xef, 0xbb, 0xbf}):
		in.skip = 3
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		in.utf16, in.skip = 1, 2
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		in.utf16, in.skip = 2, 2
	case len(head) >= 2 && head[0] != 0 && head[1] == 0:
		in.utf16 = 1
	case len(head) >= 2 && head[0] == 0 && head[1] != 0:
		in.utf16 = 2
	}
	if in.utf16 == 0 {
		in.versionAt = xmlVersionAt(head, in.skip)
	}
	in.raw.Discard(int(in.skip))
	in.rawPos = in.skip
	return in
}

func (in *xmlInput) pos() int64 { return in.winPos + int64(in.off) }

// fileOffset maps a decoded position to a file offset: exactly for UTF-8,
// and for UTF-16 exactly at a recent '<' (where events and tags start).
func (in *xmlInput) fileOffset(p int64) int64 {
	if in.utf16 == 0 {
		return p + in.skip
	}
	best := xmlMark{pos: -1}
	for i := 0; i < min(in.nmark, len(in.marks)); i++ {
		if m := in.marks[i]; m.pos <= p && m.pos > best.pos {
			best = m
		}
	}
	if best.pos < 0 {
		return -1
	}
	return best.file
}

func (in *xmlInput) startToken() {
	in.used = 0
	in.tokenStart = in.pos()
}

func (in *xmlInput) ReadByte() (byte, error) {
	if in.off == len(in.win) && !in.fill() {
		return 0, in.err
	}
	in.used++
	if in.used > maxXMLToken {
		return 0, errXMLTokenTooLarge
	}
	b := in.win[in.off]
	in.off++
	if b == '\n' {
		in.lines++
	}
	return b, nil
}

func (in *xmlInput) Read(p []byte) (int, error) {
	for i := range p {
		b, err := in.ReadByte()
		if err != nil {
			return i, err
		}
		p[i] = b
	}
	return len(p), nil
}

// fill decodes more input into win; it keeps the current token so that
// skipToEvent can step back to it.
func (in *xmlInput) fill() bool {
	if in.err != nil {
		return false
	}
	if keep := min(in.off, int(in.tokenStart-in.winPos)); keep > 32<<10 {
		in.win = in.win[:copy(in.win, in.win[keep:])]
		in.winPos += int64(keep)
		in.off -= keep
	}
	if in.chunk == nil {
		in.chunk = make([]byte, 32<<10)
	}
	for in.off == len(in.win) && in.err == nil {
		n, err := in.raw.Read(in.chunk)
		in.decode(in.chunk[:n])
		in.err = err
	}
	return in.off < len(in.win)
}

func (in *xmlInput) decode(b []byte) {
	if in.utf16 == 0 {
		if at := in.versionAt - in.rawPos; at >= 0 && at < int64(len(b)) {
			b[at] = '0'
		}
		in.win = append(in.win, b...)
		in.rawPos += int64(len(b))
		return
	}
	data := b
	if len(in.carry) > 0 {
		data = append(in.carry, b...)
	}
	i := 0
	for ; i+1 < len(data); i += 2 {
		u := rune(data[i]) | rune(data[i+1])<<8
		if in.utf16 == 2 {
			u = rune(data[i])<<8 | rune(data[i+1])
		}
		at := in.rawPos + int64(i) - int64(len(in.carry))
		r := u
		if u >= 0xd800 && u < 0xdc00 {
			if i+3 >= len(data) {
				break // the low surrogate is in the next read
			}
			lo := rune(data[i+2]) | rune(data[i+3])<<8
			if in.utf16 == 2 {
				lo = rune(data[i+2])<<8 | rune(data[i+3])
			}
			if lo >= 0xdc00 && lo < 0xe000 {
				r = 0x10000 + (u-0xd800)<<10 + (lo - 0xdc00)
				i += 2
			} else {
				r = 0xfffd
			}
		} else if u >= 0xdc00 && u < 0xe000 {
			r = 0xfffd
		}
		if r == '<' {
			in.marks[in.nmark%len(in.marks)] = xmlMark{in.winPos + int64(len(in.win)), at}
			in.nmark++
		}
		in.win = utf8.AppendRune(in.win, r)
	}
	in.rawPos += int64(len(b))
	in.carry = append(in.carry[:0], data[i:]...)
}

// xmlVersionAt finds the minor version digit of an XML 1.1 declaration at
// the start of head (after skip bytes of byte order mark), or returns -1.
// python-evtx declares XML 1.1, which Go's decoder refuses, without using
// anything of 1.1; the reader reads it as 1.0.
func xmlVersionAt(head []byte, skip int64) int64 {
	body := head[skip:]
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	for _, decl := range []string{`<?xml version="1.1"`, `<?xml version='1.1'`} {
		if bytes.HasPrefix(trimmed, []byte(decl)) {
			return skip + int64(len(body)-len(trimmed)+len(decl)-2)
		}
	}
	return -1
}

// skipToEvent moves to the next "<Event" followed by a space, ">" or "/"
// after the start of the token that failed (the decoder may have read into
// the next event before noticing the damage), and reports whether there is
// one.
func (in *xmlInput) skipToEvent() bool {
	if back := in.tokenStart + 1 - in.winPos; back >= 0 && back < int64(in.off) {
		in.lines -= bytes.Count(in.win[back:in.off], []byte("\n"))
		in.off = int(back)
	}
	const tag = "<Event"
	matched := 0
	for {
		if in.off == len(in.win) {
			// Keep the bytes of a partial match across the refill.
			in.tokenStart = in.pos() - int64(matched)
			if !in.fill() {
				return false
			}
		}
		b := in.win[in.off]
		in.off++
		if b == '\n' {
			in.lines++
		}
		switch {
		case matched == len(tag):
			if b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == '>' || b == '/' {
				in.off -= len(tag) + 1
				if b == '\n' {
					in.lines--
				}
				return true
			}
			matched = 0
			if b == '<' {
				matched = 1
			}
		case b == tag[matched]:
			matched++
		case b == '<':
			matched = 1
		default:
			matched = 0
		}
	}
}
