package evtx

import "unicode/utf8"

// decoder holds the state of decoding one record at a time in one chunk. Its
// slices are reused from record to record, so that rendering allocates
// nothing once they have grown.
type decoder struct {
	c       *Chunk
	data    []byte
	vals    []value  // substitution values of the instances opened so far
	scopes  []scope  // programs with their values, referred to by index
	kids    []kidRef // stack of child-element lists being walked
	keys    []keySpan
	keyMaps []keyMap
	// Effort spent on the current record, its limit, and where its output
	// starts in the buffer being written; see effortBase.
	effort   int
	limit    int
	outStart int
	overrun  bool
	cp       compiler
	frags    []*program // programs compiled for fragments without templates
	nfrag    int
	rec      *Record
	ds       decodeState
	// scratch backs Record.XML and Record.JSON.
	scratch []byte

	// Render plans (see plan.go): the record's template, its shape and its
	// values in the order of the shape, and, for each value that holds a
	// nested instance, where the instance's values start in flat.
	plans     planCache
	recording planRecording
	rootTmpl  *template
	key       []byte
	flat      []value
	nest      []int32
	canon     []byte
	// longWay makes every record render the long way and every template
	// compile, without plans or the template cache, for tests.
	longWay bool
}

// scope is a compiled program with the values it is rendered with. Array
// expansion renders an element once per array item through a scope whose
// substitution over is replaced by one item.
type scope struct {
	prog    *program
	vals    []value
	over    int32
	overVal value
	depth   int // template and binary XML nesting
	// flat is where the scope's values start in decoder.flat while a plan
	// is recorded, or -1 for values that are part of the template.
	flat int32
	// arrays and nulls say whether any value is an array or NULL, so that
	// the per-element checks for them are skipped in the common case.
	arrays, nulls bool
}

func (sc *scope) val(idx uint16) value {
	if int32(idx) == sc.over {
		return sc.overVal
	}
	if int(idx) < len(sc.vals) {
		return sc.vals[idx]
	}
	return nullValue
}

// kidRef is a child element found by collectKids: an element of the program
// of a scope. An element repeated for the n items of an array value in its
// content has group n on its first repeat and 0 on the others; any other
// element has group 1.
type kidRef struct {
	sc    int32
	e     int32
	group int
}

func (d *decoder) errAt(off uint32, msg string, val any, sentinel error) *FormatError {
	e := d.c.binxmlError(int(off), msg, val, sentinel)
	e.Record = d.rec.ID
	return e
}

// begin prepares to render record r and returns the scope and items of its
// top level.
func (d *decoder) begin(r *Record) (int32, []item, error) {
	d.c = r.chunk
	d.data = r.chunk.data[:]
	d.rec = r
	d.vals = d.vals[:0]
	d.scopes = d.scopes[:0]
	d.kids = d.kids[:0]
	d.keys, d.keyMaps = d.keys[:0], d.keyMaps[:0]
	d.effort, d.overrun = 0, false
	d.limit = effortBase + effortPerByte*int(r.end-r.start)
	d.nfrag = 0
	d.cp.c = r.chunk
	d.rootTmpl = nil
	d.recording.on = false
	return d.openFragment(int(r.start), int(r.end), 0)
}

// openFragment opens the binary XML fragment in data[pos:end]: a template
// instance (the usual case, rendered with the chunk's compiled template) or
// anything else (compiled on the spot).
func (d *decoder) openFragment(pos, end, depth int) (int32, []item, error) {
	if depth > maxNesting {
		return 0, nil, d.errAt(uint32(pos), "binary XML nested too deeply", depth, ErrLimit)
	}
	p := pos
	if p+4 <= end && d.data[p] == tokFragment {
		p += 4
	}
	if p < end && d.data[p] == tokTemplate {
		t, first, n, next, err := d.parseInstance(p, end, depth+1, &d.vals)
		if err != nil {
			return 0, nil, err
		}
		if next >= end || d.data[next] == tokEOF {
			sc, err := d.pushScope(scope{prog: &t.prog, vals: d.vals[first : first+n], over: -1, depth: depth + 1, flat: -1})
			if err != nil {
				return 0, nil, err
			}
			if depth == 0 {
				d.rootTmpl = t
				d.scopes[sc].flat = 0
			}
			return sc, t.prog.rootItems(), nil
		}
	}
	if d.nfrag == len(d.frags) {
		d.frags = append(d.frags, new(program))
	}
	prog := d.frags[d.nfrag]
	d.nfrag++
	prog.reset()
	if !d.charge(end - pos) {
		return 0, nil, d.limitError()
	}
	if err := d.cp.compile(prog, pos, end, false, depth); err != nil {
		if fe, ok := err.(*FormatError); ok {
			fe.Record = d.rec.ID
		}
		return 0, nil, err
	}
	sc, err := d.pushScope(scope{prog: prog, over: -1, depth: depth, flat: -1})
	return sc, prog.rootItems(), err
}

func (d *decoder) pushScope(sc scope) (int32, error) {
	if len(d.scopes) >= maxScopesPerCall {
		return 0, d.errAt(d.rec.start, "too many template instances and array items in one record", len(d.scopes), ErrLimit)
	}
	if sc.over < 0 {
		for _, v := range sc.vals {
			sc.arrays = sc.arrays || v.typ&typeArray != 0
			sc.nulls = sc.nulls || v.typ == typeNull
		}
	}
	d.scopes = append(d.scopes, sc)
	return int32(len(d.scopes) - 1), nil
}

// openInstance opens the template instance item it of scope sci.
func (d *decoder) openInstance(sci int32, it item) (int32, []item, error) {
	sc := &d.scopes[sci]
	inst := &sc.prog.insts[it.ref]
	t := inst.tmpl
	vals := sc.prog.vals[inst.vals.first : inst.vals.first+inst.vals.n]
	if sc.depth+1 > maxNesting {
		return 0, nil, d.errAt(d.rec.start, "templates nested too deeply", sc.depth, ErrLimit)
	}
	n, err := d.pushScope(scope{prog: &t.prog, vals: vals, over: -1, depth: sc.depth + 1, flat: -1})
	if err != nil {
		return 0, nil, err
	}
	return n, t.prog.rootItems(), nil
}

// openValue opens binary XML substitution idx of scope sci, value v.
func (d *decoder) openValue(sci int32, idx uint16, v value) (int32, []item, error) {
	n, items, err := d.openFragment(int(v.off), int(v.off+v.size), d.scopes[sci].depth+1)
	if err == nil && d.recording.on {
		if sc := &d.scopes[sci]; sc.flat >= 0 && int(idx) < len(sc.vals) && int32(idx) != sc.over {
			d.scopes[n].flat = d.nest[sc.flat+int32(idx)]
		}
	}
	return n, items, err
}

// charge adds n to the effort spent on the record and reports whether it
// is still within the limit.
func (d *decoder) charge(n int) bool {
	d.effort += n
	if d.effort > d.limit {
		d.overrun = true
	}
	return !d.overrun
}

// within reports whether the effort so far plus the output written to a
// buffer now dstLen long is within the limit.
func (d *decoder) within(dstLen int) bool {
	if d.effort+dstLen-d.outStart > d.limit {
		d.overrun = true
	}
	return !d.overrun
}

func (d *decoder) limitError() error {
	return d.errAt(d.rec.start, "record costs too much to render for its size (amplification)", d.limit, ErrLimit)
}

// countWork charges one element to the record, checks the output written
// so far, and fails past the limit.
func (d *decoder) countWork(dstLen int) error {
	if !d.charge(effortElement) || !d.within(dstLen) {
		return d.limitError()
	}
	return nil
}

// collectKids appends to d.kids the child elements among items of scope sci,
// descending into template instances and binary XML values, which stand for
// the elements they contain.
func (d *decoder) collectKids(sci int32, items []item) error {
	for i := range items {
		it := &items[i]
		switch it.kind {
		case itemElem:
			if err := d.expand(sci, it.ref); err != nil {
				return err
			}
		case itemInstance:
			n, root, err := d.openInstance(sci, *it)
			if err != nil {
				return err
			}
			if err := d.collectKids(n, root); err != nil {
				return err
			}
		case itemSubst:
			v := d.scopes[sci].val(it.idx)
			if isBinXML(v.typ) && v.size > 0 {
				n, root, err := d.openValue(sci, it.idx, v)
				if err != nil {
					return err
				}
				if err := d.collectKids(n, root); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// absent reports whether e is left out: MS-EVEN6 3.1.4.7.2 says an element
// whose content has an optional substitution with a NULL value is not
// rendered (Windows and evtxexport do so; evtx_dump keeps the element).
func (d *decoder) absent(sci int32, e *elem) bool {
	sc := &d.scopes[sci]
	if !e.opt || !sc.nulls {
		return false
	}
	for _, it := range sc.prog.kids(e) {
		if it.kind == itemSubst && it.opt && sc.val(it.idx).typ == typeNull {
			return true
		}
	}
	return false
}

// arrayIn finds the first array value among the direct content and
// attribute values of e: MS-EVEN6 renders such an element once per item.
// inContent says whether the array is in the content.
func (d *decoder) arrayIn(sci int32, e *elem) (idx int32, v value, inContent, ok bool) {
	sc := &d.scopes[sci]
	if !e.subst || !sc.arrays {
		return 0, value{}, false, false
	}
	for _, it := range sc.prog.kids(e) {
		if it.kind == itemSubst && int32(it.idx) != sc.over {
			if v := sc.val(it.idx); v.typ&typeArray != 0 {
				return int32(it.idx), v, true, true
			}
		}
	}
	attrs := sc.prog.attrsOf(e)
	for i := range attrs {
		for _, it := range sc.prog.valItems(&attrs[i]) {
			if it.kind == itemSubst && int32(it.idx) != sc.over {
				if v := sc.val(it.idx); v.typ&typeArray != 0 {
					return int32(it.idx), v, false, true
				}
			}
		}
	}
	return 0, value{}, false, false
}

// expand returns the scopes an element of scope sci is rendered in: sci
// itself, or one scope per item of its first array value. The scopes are
// appended to d.kids as kidRefs with element e.
func (d *decoder) expand(sci int32, e int32) error {
	el := &d.scopes[sci].prog.elems[e]
	if d.absent(sci, el) {
		return nil
	}
	idx, v, inContent, ok := d.arrayIn(sci, el)
	if !ok {
		d.kids = append(d.kids, kidRef{sc: sci, e: e, group: 1})
		return nil
	}
	n := v.arrayLen(d.data)
	base := d.scopes[sci]
	base.over = idx
	base.flat = -1
	if n == 0 {
		base.overVal = nullValue
		s, err := d.pushScope(base)
		if err != nil {
			return err
		}
		d.kids = append(d.kids, kidRef{sc: s, e: e, group: 1})
		return nil
	}
	elt := v.typ &^ typeArray
	pos := v.off
	for i := 0; i < n; i++ {
		if sz := fixedSize(elt); sz > 0 {
			base.overVal = value{typ: elt, off: v.off + uint32(i*sz), size: uint32(sz)}
		} else {
			base.overVal, pos = v.nextItem(d.data, pos)
		}
		s, err := d.pushScope(base)
		if err != nil {
			return err
		}
		group := 0
		if i == 0 {
			group = 1
			if inContent {
				group = n
			}
		} else if !inContent {
			group = 1
		}
		d.kids = append(d.kids, kidRef{sc: s, e: e, group: group})
	}
	return nil
}

// classify reports what content items hold once rendered: text, elements.
func (d *decoder) classify(sci int32, items []item) (hasText, hasElem bool) {
	sc := &d.scopes[sci]
	for i := range items {
		it := &items[i]
		switch it.kind {
		case itemText:
			if !sc.prog.texts[it.ref].isEmpty(d.data) {
				hasText = true
			}
		case itemCDATA, itemCharRef, itemEntityRef:
			hasText = true
		case itemElem:
			if !hasElem && !d.absent(sci, &sc.prog.elems[it.ref]) {
				hasElem = true
			}
		case itemInstance, itemPI:
			hasElem = true
		case itemSubst:
			v := sc.val(it.idx)
			if isBinXML(v.typ) {
				if v.size > 0 {
					hasElem = true
				}
			} else if !v.isEmpty(d.data) {
				hasText = true
			}
		}
	}
	return hasText, hasElem
}

// predefinedEntity returns the text of one of XML's five predefined
// entities.
func predefinedEntity(s string) (string, bool) {
	switch s {
	case "amp":
		return "&", true
	case "lt":
		return "<", true
	case "gt":
		return ">", true
	case "quot":
		return `"`, true
	case "apos":
		return "'", true
	}
	return "", false
}

// appendText appends the text of the text-like items among items: static
// text, substitution values, references and CDATA, escaped for mode. In
// XML modes references stay references; otherwise they are resolved.
func (d *decoder) appendText(dst []byte, sci int32, items []item, mode escMode) []byte {
	sc := &d.scopes[sci]
	for i := range items {
		if !d.within(len(dst)) {
			return dst // the caller's next countWork reports it
		}
		it := &items[i]
		switch it.kind {
		case itemText:
			dst = appendValue(dst, d.data, sc.prog.texts[it.ref], mode)
		case itemSubst:
			if !isBinXML(sc.val(it.idx).typ) {
				dst = d.appendSubst(dst, sci, it.idx, mode, false)
			}
		case itemCDATA:
			if mode == escXMLText {
				dst = append(dst, "<![CDATA["...)
				dst = appendValue(dst, d.data, sc.prog.texts[it.ref], escNone)
				dst = append(dst, "]]>"...)
			} else {
				dst = appendValue(dst, d.data, sc.prog.texts[it.ref], mode)
			}
		case itemCharRef:
			if mode == escXMLText || mode == escXMLAttr {
				dst = append(dst, "&#"...)
				dst = appendUint(dst, uint64(it.idx))
				dst = append(dst, ';')
			} else {
				r := rune(it.idx)
				if r >= 0xd800 && r < 0xe000 {
					r = utf8.RuneError
				}
				dst = appendEscapedString(dst, string(r), mode)
			}
		case itemEntityRef:
			if mode == escXMLText || mode == escXMLAttr {
				dst = append(dst, '&')
				dst = append(dst, it.nm.xml...)
				dst = append(dst, ';')
			} else if s, ok := predefinedEntity(it.nm.s); ok {
				dst = appendEscapedString(dst, s, mode)
			} else {
				dst = append(dst, '&')
				dst = appendEscapedString(dst, it.nm.s, mode)
				dst = append(dst, ';')
			}
		}
	}
	return dst
}

func appendUint(dst []byte, u uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}
