package evtx

import (
	"encoding/binary"
)

// Binary XML tokens (MS-EVEN6 2.2.12). The 0x40 bit on some tokens means
// "more data follows" and changes nothing in how they are read.
const (
	tokEOF          = 0x00
	tokOpenStart    = 0x01 // 0x41: with an attribute list
	tokCloseStart   = 0x02
	tokCloseEmpty   = 0x03
	tokEndElement   = 0x04
	tokValue        = 0x05
	tokAttribute    = 0x06
	tokCDATA        = 0x07
	tokCharRef      = 0x08
	tokEntityRef    = 0x09
	tokPITarget     = 0x0a
	tokPIData       = 0x0b
	tokTemplate     = 0x0c
	tokSubst        = 0x0d
	tokOptSubst     = 0x0e
	tokFragment     = 0x0f
	tokHasMoreFlag  = 0x40
	templateHdrSize = 24 // next offset, GUID, data size
)

// Limits that bound the work and memory one record can cost, whatever its
// bytes say. Real events stay far below them.
const (
	maxElementDepth  = 64      // open elements in one fragment
	maxNesting       = 16      // template instances and binary XML values within each other
	maxScopesPerCall = 1 << 16 // template instances and array repeats one record may open

	// Rendering a record may cost effort (bytes written, bytes of binary
	// XML compiled, 16 per element) of at most effortBase plus
	// effortPerByte for each byte of the record. Windows records need a
	// few percent of that; hostile ones that reuse templates or values to
	// amplify themselves are stopped, so that a chunk costs time and
	// memory in proportion to its size.
	effortBase    = 16 << 10
	effortPerByte = 64
	effortElement = 16
)

// item kinds: the pieces of element content and attribute values.
type itemKind uint8

const (
	itemText      itemKind = iota // static text: ref indexes program.texts
	itemSubst                     // substitution: idx, vtype, opt
	itemElem                      // child element: ref indexes program.elems
	itemCharRef                   // character reference: idx is the code point
	itemEntityRef                 // entity reference: nm
	itemCDATA                     // CDATA section: ref indexes program.texts
	itemPI                        // processing instruction: nm target, ref data text or -1
	itemInstance                  // template instance: ref indexes program.insts
)

type item struct {
	kind  itemKind
	opt   bool   // optional substitution
	vtype uint8  // declared type of a substitution
	idx   uint16 // substitution index or character code
	ref   int32
	nm    *name
}

type span struct{ first, n int32 }

type elem struct {
	name  *name
	attrs span // into program.attrs
	kids  span // into program.items
	// subst says whether the content or attributes hold substitutions, and
	// opt whether the content holds an optional one, so that the checks
	// that depend on values skip elements that have none.
	subst, opt bool
}

type attr struct {
	name *name
	val  span // into program.items
}

// instance is a template instance inside a fragment that is not itself a
// template (a record without templates, or a binary XML value).
type instance struct {
	tmpl *template
	vals span // into program.vals
}

// program is compiled binary XML: a tree of elements whose content refers to
// substitution values by index, ready to be rendered for any set of values.
type program struct {
	elems []elem
	attrs []attr
	items []item
	texts []value // static text and CDATA: UTF-16 in the chunk
	insts []instance
	vals  []value
	root  span // top-level items
}

func (p *program) reset() {
	p.elems, p.attrs, p.items = p.elems[:0], p.attrs[:0], p.items[:0]
	p.texts, p.insts, p.vals = p.texts[:0], p.insts[:0], p.vals[:0]
	p.root = span{}
}

func (p *program) kids(e *elem) []item    { return p.items[e.kids.first : e.kids.first+e.kids.n] }
func (p *program) attrsOf(e *elem) []attr { return p.attrs[e.attrs.first : e.attrs.first+e.attrs.n] }
func (p *program) valItems(a *attr) []item {
	return p.items[a.val.first : a.val.first+a.val.n]
}
func (p *program) rootItems() []item { return p.items[p.root.first : p.root.first+p.root.n] }

// template is a compiled template definition of one chunk.
type template struct {
	prog      program
	err       error // a definition that failed to compile fails every instance
	compiling bool
	planID    uint32 // identifier of the content among the plans' templates, 0 until known
	cached    *cachedTemplate
}

// compiler turns one binary XML fragment into a program.
type compiler struct {
	c        *Chunk
	d        []byte
	p        *program
	depID    bool // element starts carry a dependency identifier (template definitions)
	depth    int  // template nesting, for maxNesting
	st       []item
	frames   []cframe
	attrTmp  []cattr
	inStart  bool // between an element start and its close token
	curAttr  int  // index in attrTmp of the attribute being read, or -1
	lastPI   int  // index in st of the last PI item still waiting for data, or -1
	stBase   int
	attrBase int
	// refs collects the names a template definition refers to, for the
	// template cache.
	refs []nameRef
}

type cframe struct {
	elem      int32
	itemStart int
	attrStart int
}

type cattr struct {
	name      *name
	itemStart int
}

// compile compiles the fragment in d[pos:end] into p, appending to p.
// The compiler's scratch stacks are reused across calls.
func (cp *compiler) compile(p *program, pos, end int, depID bool, depth int) error {
	cp.p, cp.d, cp.depID, cp.depth = p, cp.c.data[:], depID, depth
	cp.frames = cp.frames[:0]
	cp.attrTmp = cp.attrTmp[:0]
	cp.st = cp.st[:0]
	cp.inStart, cp.curAttr, cp.lastPI = false, -1, -1
	cp.refs = cp.refs[:0]
	_, err := cp.run(pos, end)
	return err
}

// run reads tokens from pos until the end of the fragment and returns the
// position after it.
func (cp *compiler) run(pos, end int) (int, error) {
	d := cp.d
	c := cp.c
	le := binary.LittleEndian
	for pos < end {
		tok := d[pos]
		switch tok &^ tokHasMoreFlag {
		case tokEOF:
			if tok != tokEOF {
				return 0, c.binxmlError(pos, "unknown binary XML token", hexVal(tok), ErrBinXML)
			}
			return cp.finish(pos + 1)
		case tokOpenStart:
			if cp.inStart {
				return 0, c.binxmlError(pos, "element start inside an element start", nil, ErrBinXML)
			}
			if len(cp.frames) >= maxElementDepth {
				return 0, c.binxmlError(pos, "elements nested too deeply", len(cp.frames), ErrLimit)
			}
			p := pos + 1
			if cp.depID {
				p += 2
			}
			p += 4 // element byte length: not needed, the tokens delimit the element
			if p+4 > end {
				return 0, c.binxmlError(pos, "element start runs past the end of its data", nil, ErrTruncated)
			}
			nm, next, err := cp.readName(p, end)
			if err != nil {
				return 0, err
			}
			p = next
			if tok&tokHasMoreFlag != 0 {
				p += 4 // attribute list byte length
			}
			if p > end {
				return 0, c.binxmlError(pos, "element start runs past the end of its data", nil, ErrTruncated)
			}
			cp.p.elems = append(cp.p.elems, elem{name: nm})
			cp.frames = append(cp.frames, cframe{elem: int32(len(cp.p.elems) - 1), itemStart: len(cp.st), attrStart: len(cp.attrTmp)})
			cp.inStart = true
			pos = p
		case tokCloseStart:
			if !cp.inStart || tok != tokCloseStart {
				return 0, c.binxmlError(pos, "unexpected close of element start", hexVal(tok), ErrBinXML)
			}
			cp.closeStartTag()
			pos++
		case tokCloseEmpty:
			if !cp.inStart || tok != tokCloseEmpty {
				return 0, c.binxmlError(pos, "unexpected close of empty element", hexVal(tok), ErrBinXML)
			}
			cp.closeStartTag()
			cp.endElement()
			pos++
		case tokEndElement:
			if cp.inStart || len(cp.frames) == 0 || tok != tokEndElement {
				return 0, c.binxmlError(pos, "unexpected end of element", hexVal(tok), ErrBinXML)
			}
			cp.endElement()
			pos++
		case tokValue:
			if pos+4 > end {
				return 0, c.binxmlError(pos, "value runs past the end of its data", nil, ErrTruncated)
			}
			vt := d[pos+1]
			if vt != typeString {
				return 0, c.binxmlError(pos, "value text of a type other than string", hexVal(vt), ErrBinXML)
			}
			n := int(le.Uint16(d[pos+2:]))
			p := pos + 4 + 2*n
			if p > end {
				return 0, c.binxmlError(pos, "value text runs past the end of its data", n, ErrTruncated)
			}
			if err := cp.addContent(pos, item{kind: itemText, ref: cp.addText(d[pos+4 : p])}); err != nil {
				return 0, err
			}
			pos = p
		case tokAttribute:
			if !cp.inStart {
				return 0, c.binxmlError(pos, "attribute outside an element start", nil, ErrBinXML)
			}
			nm, next, err := cp.readName(pos+1, end)
			if err != nil {
				return 0, err
			}
			cp.closeAttr()
			cp.attrTmp = append(cp.attrTmp, cattr{name: nm, itemStart: len(cp.st)})
			cp.curAttr = len(cp.attrTmp) - 1
			pos = next
		case tokCDATA:
			if pos+3 > end {
				return 0, c.binxmlError(pos, "CDATA section runs past the end of its data", nil, ErrTruncated)
			}
			n := int(le.Uint16(d[pos+1:]))
			p := pos + 3 + 2*n
			if p > end {
				return 0, c.binxmlError(pos, "CDATA section runs past the end of its data", n, ErrTruncated)
			}
			if err := cp.addContent(pos, item{kind: itemCDATA, ref: cp.addText(d[pos+3 : p])}); err != nil {
				return 0, err
			}
			pos = p
		case tokCharRef:
			if pos+3 > end {
				return 0, c.binxmlError(pos, "character reference runs past the end of its data", nil, ErrTruncated)
			}
			if err := cp.addContent(pos, item{kind: itemCharRef, idx: le.Uint16(d[pos+1:])}); err != nil {
				return 0, err
			}
			pos += 3
		case tokEntityRef:
			nm, next, err := cp.readName(pos+1, end)
			if err != nil {
				return 0, err
			}
			if err := cp.addContent(pos, item{kind: itemEntityRef, nm: nm}); err != nil {
				return 0, err
			}
			pos = next
		case tokPITarget:
			if cp.inStart || tok != tokPITarget {
				return 0, c.binxmlError(pos, "unexpected processing instruction", hexVal(tok), ErrBinXML)
			}
			nm, next, err := cp.readName(pos+1, end)
			if err != nil {
				return 0, err
			}
			cp.st = append(cp.st, item{kind: itemPI, nm: nm, ref: -1})
			cp.lastPI = len(cp.st) - 1
			pos = next
		case tokPIData:
			if cp.lastPI < 0 || cp.lastPI != len(cp.st)-1 || tok != tokPIData {
				return 0, c.binxmlError(pos, "processing instruction data without a target", nil, ErrBinXML)
			}
			if pos+3 > end {
				return 0, c.binxmlError(pos, "processing instruction data runs past the end of its data", nil, ErrTruncated)
			}
			n := int(le.Uint16(d[pos+1:]))
			p := pos + 3 + 2*n
			if p > end {
				return 0, c.binxmlError(pos, "processing instruction data runs past the end of its data", n, ErrTruncated)
			}
			cp.st[cp.lastPI].ref = cp.addText(d[pos+3 : p])
			cp.lastPI = -1
			pos = p
		case tokTemplate:
			if cp.inStart || tok != tokTemplate {
				return 0, c.binxmlError(pos, "template instance inside an element start", nil, ErrBinXML)
			}
			tmpl, first, n, next, err := c.dec.parseInstance(pos, end, cp.depth+1, &cp.p.vals)
			if err != nil {
				return 0, err
			}
			cp.p.insts = append(cp.p.insts, instance{tmpl: tmpl, vals: span{int32(first), int32(n)}})
			cp.st = append(cp.st, item{kind: itemInstance, ref: int32(len(cp.p.insts) - 1)})
			pos = next
		case tokSubst, tokOptSubst:
			if pos+4 > end || tok&tokHasMoreFlag != 0 {
				return 0, c.binxmlError(pos, "bad substitution token", hexVal(tok), ErrBinXML)
			}
			it := item{kind: itemSubst, opt: tok == tokOptSubst, idx: le.Uint16(d[pos+1:]), vtype: d[pos+3]}
			if err := cp.addContent(pos, it); err != nil {
				return 0, err
			}
			pos += 4
		case tokFragment:
			if tok != tokFragment || pos+4 > end {
				return 0, c.binxmlError(pos, "bad fragment header", hexVal(tok), ErrBinXML)
			}
			pos += 4
		default:
			return 0, c.binxmlError(pos, "unknown binary XML token", hexVal(tok), ErrBinXML)
		}
	}
	return cp.finish(pos)
}

// finish closes the fragment at pos.
func (cp *compiler) finish(pos int) (int, error) {
	if cp.inStart || len(cp.frames) > 0 {
		return 0, cp.c.binxmlError(pos, "fragment ends inside an element", nil, ErrTruncated)
	}
	first := int32(len(cp.p.items))
	cp.p.items = append(cp.p.items, cp.st...)
	cp.p.root = span{first, int32(len(cp.st))}
	cp.st = cp.st[:0]
	return pos, nil
}

// addContent adds an item to the current attribute value or element content.
func (cp *compiler) addContent(pos int, it item) error {
	if cp.inStart && cp.curAttr < 0 {
		return cp.c.binxmlError(pos, "content inside an element start but outside an attribute", nil, ErrBinXML)
	}
	cp.st = append(cp.st, it)
	return nil
}

func (cp *compiler) addText(utf16 []byte) int32 {
	off := uint32(cap(cp.d) - cap(utf16))
	cp.p.texts = append(cp.p.texts, value{typ: typeString, off: off, size: uint32(len(utf16))})
	return int32(len(cp.p.texts) - 1)
}

// closeAttr moves the value of the attribute being read into the program.
func (cp *compiler) closeAttr() {
	if cp.curAttr < 0 {
		return
	}
	a := &cp.attrTmp[cp.curAttr]
	first := int32(len(cp.p.items))
	cp.p.items = append(cp.p.items, cp.st[a.itemStart:]...)
	cp.st = cp.st[:a.itemStart]
	cp.p.attrs = append(cp.p.attrs, attr{name: a.name, val: span{first, int32(len(cp.p.items)) - first}})
	cp.curAttr = -1
}

// closeStartTag ends the attribute list of the innermost element.
func (cp *compiler) closeStartTag() {
	cp.closeAttr()
	f := &cp.frames[len(cp.frames)-1]
	// Attributes were appended to p.attrs in order as they closed; they are
	// the last len(attrTmp)-attrStart entries.
	n := len(cp.attrTmp) - f.attrStart
	e := &cp.p.elems[f.elem]
	e.attrs = span{int32(len(cp.p.attrs) - n), int32(n)}
	cp.attrTmp = cp.attrTmp[:f.attrStart]
	cp.inStart = false
}

// endElement moves the content of the innermost element into the program
// and adds the element to its parent's content.
func (cp *compiler) endElement() {
	f := cp.frames[len(cp.frames)-1]
	cp.frames = cp.frames[:len(cp.frames)-1]
	first := int32(len(cp.p.items))
	cp.p.items = append(cp.p.items, cp.st[f.itemStart:]...)
	e := &cp.p.elems[f.elem]
	e.kids = span{first, int32(len(cp.p.items)) - first}
	for _, it := range cp.p.items[first:] {
		if it.kind == itemSubst {
			e.subst = true
			e.opt = e.opt || it.opt
		}
	}
	for _, a := range cp.p.attrs[e.attrs.first : e.attrs.first+e.attrs.n] {
		for _, it := range cp.p.items[a.val.first : a.val.first+a.val.n] {
			if it.kind == itemSubst {
				e.subst = true
			}
		}
	}
	cp.st = cp.st[:f.itemStart]
	cp.st = append(cp.st, item{kind: itemElem, ref: f.elem})
	cp.lastPI = -1
}

// readName reads a name reference at pos: a chunk offset, followed by the
// name itself when this is its first use in the chunk.
func (cp *compiler) readName(pos, end int) (*name, int, error) {
	if pos+4 > end {
		return nil, 0, cp.c.binxmlError(pos, "name reference runs past the end of its data", nil, ErrTruncated)
	}
	off := binary.LittleEndian.Uint32(cp.d[pos:])
	pos += 4
	nm, err := cp.c.nameAt(off)
	if err != nil {
		return nil, 0, err
	}
	if cp.depID {
		cp.refs = append(cp.refs, nameRef{off: off, inline: int(off) == pos})
	}
	if int(off) == pos {
		// The name is stored here: link, hash, count, characters, NUL.
		pos += 8 + 2*int(binary.LittleEndian.Uint16(cp.d[pos+6:])) + 2
		if pos > end {
			return nil, 0, cp.c.binxmlError(pos, "name runs past the end of its data", nil, ErrTruncated)
		}
	}
	return nm, pos, nil
}

// template returns the compiled template whose definition starts at chunk
// offset off, compiling it on first use.
func (c *Chunk) template(off uint32, depth int) (*template, error) {
	if t := c.templates[off]; t != nil {
		if t.compiling {
			// A definition that refers to itself fails instead of recursing.
			return nil, c.binxmlError(int(off), "template definition refers to itself", nil, ErrBinXML)
		}
		return t, t.err
	}
	if depth > maxNesting {
		return nil, c.binxmlError(int(off), "templates nested too deeply", depth, ErrLimit)
	}
	if uint64(off)+templateHdrSize > chunkSize || off < chunkHeaderSize {
		return nil, c.binxmlError(int(off), "template definition offset out of range", hexVal(off), ErrBinXML)
	}
	size := binary.LittleEndian.Uint32(c.data[off+20:])
	start := int(off) + templateHdrSize
	end := uint64(start) + uint64(size)
	if end > chunkSize {
		return nil, c.binxmlError(int(off), "template definition runs past the end of the chunk", size, ErrTruncated)
	}
	if !c.dec.charge(int(size)) {
		return nil, c.dec.limitError()
	}
	t := c.ar.newTemplate()
	c.templates[off] = t
	def, cache := c.data[off+4:end], !c.dec.longWay
	if cache {
		if ct, prog, ok := c.compiled.lookup(c, def, start); ok {
			t.prog, t.cached, t.planID = prog, ct, ct.planID
			return t, nil
		}
	}
	t.compiling = true
	cp, scratch := c.ar.scratch(depth)
	cp.c = c
	t.err = cp.compile(scratch, start, int(end), true, depth)
	t.compiling = false
	if t.err == nil {
		t.prog = c.ar.freeze(scratch)
		if cache {
			t.cached = c.compiled.add(c, t, def, start, cp.refs)
		}
	}
	return t, t.err
}

// arena holds the compiled templates of one chunk. Templates are compiled
// into reusable scratch programs and then copied into shared slices, so that
// compiling allocates nothing once the slices have grown; everything is
// reused when the next chunk is read.
type arena struct {
	elems     []elem
	attrs     []attr
	items     []item
	texts     []value
	templates []*template
	nt        int
	compilers []*compiler // scratch per template nesting depth
	scratches []*program
}

func (a *arena) reset() {
	a.elems, a.attrs, a.items, a.texts = a.elems[:0], a.attrs[:0], a.items[:0], a.texts[:0]
	a.nt = 0
}

func (a *arena) newTemplate() *template {
	if a.nt == len(a.templates) {
		a.templates = append(a.templates, new(template))
	}
	t := a.templates[a.nt]
	a.nt++
	*t = template{}
	return t
}

// scratch returns the compiler and program to compile a template at depth.
func (a *arena) scratch(depth int) (*compiler, *program) {
	for len(a.compilers) <= depth {
		a.compilers = append(a.compilers, new(compiler))
		a.scratches = append(a.scratches, new(program))
	}
	p := a.scratches[depth]
	p.reset()
	return a.compilers[depth], p
}

// freeze copies a compiled program into the arena. Instances and values,
// rare in templates, are copied to their own slices.
func (a *arena) freeze(p *program) program {
	e, at, it := len(a.elems), len(a.attrs), len(a.items)
	a.elems = append(a.elems, p.elems...)
	a.attrs = append(a.attrs, p.attrs...)
	a.items = append(a.items, p.items...)
	q := program{
		elems: a.elems[e:len(a.elems):len(a.elems)],
		attrs: a.attrs[at:len(a.attrs):len(a.attrs)],
		items: a.items[it:len(a.items):len(a.items)],
		root:  p.root,
	}
	if len(p.texts) > 0 {
		n := len(a.texts)
		a.texts = append(a.texts, p.texts...)
		q.texts = a.texts[n:len(a.texts):len(a.texts)]
	}
	if len(p.insts) > 0 {
		q.insts = append([]instance(nil), p.insts...)
		q.vals = append([]value(nil), p.vals...)
	}
	return q
}

// parseInstance reads the template instance whose token is at pos, appends
// its substitution values to *vals and returns the template, the values'
// position in *vals and the position after the instance.
func (d *decoder) parseInstance(pos, end, depth int, vals *[]value) (t *template, first, n, next int, err error) {
	c := d.c
	data := c.data[:]
	le := binary.LittleEndian
	if pos+10 > end {
		return nil, 0, 0, 0, c.binxmlError(pos, "template instance runs past the end of its data", nil, ErrTruncated)
	}
	defOff := le.Uint32(data[pos+6:])
	p := pos + 10
	if int(defOff) == p {
		// The definition is stored here, on its first use in the chunk.
		if p+templateHdrSize > end {
			return nil, 0, 0, 0, c.binxmlError(p, "template definition runs past the end of its data", nil, ErrTruncated)
		}
		size := le.Uint32(data[p+20:])
		if uint64(p)+templateHdrSize+uint64(size) > uint64(end) {
			return nil, 0, 0, 0, c.binxmlError(p, "template definition runs past the end of its data", size, ErrTruncated)
		}
		p += templateHdrSize + int(size)
	}
	t, err = c.template(defOff, depth)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	if p+4 > end {
		return nil, 0, 0, 0, c.binxmlError(p, "template values run past the end of their data", nil, ErrTruncated)
	}
	count := le.Uint32(data[p:])
	p += 4
	if uint64(count)*4 > uint64(end-p) {
		return nil, 0, 0, 0, c.binxmlError(p-4, "too many template values for the data", count, ErrTruncated)
	}
	desc := p
	p += int(count) * 4
	first = len(*vals)
	for i := 0; i < int(count); i++ {
		size := int(le.Uint16(data[desc+4*i:]))
		typ := data[desc+4*i+2]
		if p+size > end {
			return nil, 0, 0, 0, c.binxmlError(p, "template value runs past the end of its data", i, ErrTruncated)
		}
		*vals = append(*vals, value{typ: typ, off: uint32(p), size: uint32(size)})
		p += size
	}
	return t, first, int(count), p, nil
}
