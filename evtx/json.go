package evtx

import "strconv"

// JSON rendering follows the shape of evtx_dump from the Rust evtx crate
// (see docs/dump-json.md): an element with neither attributes nor element
// children becomes its value (a bare number for integer and boolean
// substitutions, null when empty); otherwise an object with "#attributes",
// "#text" and one member per child element, repeated names numbered
// Name, Name_1, Name_2. Inside EventData and UserData, Data elements with a
// Name attribute become members named after it, and Data elements without
// one are gathered under "Data": {"#text": ...}.

// keySpan is the position in the output of a member key already written in
// the object being rendered, for numbering repeated keys.
type keySpan struct {
	start, end int
	h          uint32 // hash of the key, to skip most comparisons
	bloom      uint64 // one bit per hash of the object's keys up to this one
}

// keyHash is a cheap hash of a key: its length and three of its bytes.
func keyHash(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	return uint32(len(b)) ^ uint32(b[0])<<8 ^ uint32(b[len(b)/2])<<16 ^ uint32(b[len(b)-1])<<24
}

// jsonRoot renders the top-level items of a record as a JSON object.
func (d *decoder) jsonRoot(dst []byte, sci int32, items []item) ([]byte, error) {
	dst = append(dst, '{')
	mark := len(d.kids)
	if err := d.collectKids(sci, items); err != nil {
		return dst, err
	}
	keys := len(d.keys)
	var err error
	if len(d.kids) > mark {
		// Further root elements become children of the first, as in xmlRoot.
		kr := d.kids[mark]
		el := &d.scopes[kr.sc].prog.elems[kr.e]
		dst = d.jsonElemKey(dst, el.name, keys)
		if dst, err = d.jsonElemValue(dst, kr.sc, kr.e, d.kids[mark+1:]); err != nil {
			return dst, err
		}
	}
	d.kids = d.kids[:mark]
	d.endObject(keys)
	return append(dst, '}'), nil
}

// jsonElemKey writes "name": for a child element, numbering repeats of the
// same name among the keys written since base.
func (d *decoder) jsonElemKey(dst []byte, nm *name, base int) []byte {
	start := len(dst) + 1
	dst = append(dst, nm.jsonKey[:len(nm.jsonKey)-2]...)
	return d.finishKeyHash(dst, start, base, nm.keyHash)
}

// finishKey ends a member key whose text starts at start: it appends _N if
// the same key was written N times before in this object, then ":. Keys
// are compared one by one in small objects and through a map in large ones,
// so that an object with many members costs linear time.
func (d *decoder) finishKey(dst []byte, start, base int) []byte {
	return d.finishKeyHash(dst, start, base, keyHash(dst[start:]))
}

// finishKeyHash is finishKey for a key whose hash is known.
func (d *decoder) finishKeyHash(dst []byte, start, base int, h uint32) []byte {
	end := len(dst)
	key := dst[start:end]
	n := 0
	bit := uint64(1) << (h % 64)
	var bloom uint64
	if len(d.keys) > base {
		bloom = d.keys[len(d.keys)-1].bloom
	}
	switch {
	case len(d.keys)-base >= 32:
		m := d.keyCounts(dst, base)
		n = m[string(key)]
		m[string(key)] = n + 1
	case bloom&bit != 0:
		// Some key of this object has the same hash: compare.
		for _, k := range d.keys[base:] {
			if k.h == h && string(dst[k.start:k.end]) == string(key) {
				n++
			}
		}
	}
	d.keys = append(d.keys, keySpan{start, end, h, bloom | bit})
	if n > 0 {
		dst = append(dst, '_')
		dst = strconv.AppendInt(dst, int64(n), 10)
	}
	return append(dst, '"', ':')
}

// keyCounts returns the map counting the keys of the object whose keys
// start at base in d.keys, building it from the keys so far on first use.
// Maps of objects that have ended are dropped.
func (d *decoder) keyCounts(dst []byte, base int) map[string]int {
	for len(d.keyMaps) > 0 && d.keyMaps[len(d.keyMaps)-1].base > base {
		d.keyMaps = d.keyMaps[:len(d.keyMaps)-1]
	}
	if n := len(d.keyMaps); n > 0 && d.keyMaps[n-1].base == base {
		return d.keyMaps[n-1].m
	}
	m := make(map[string]int, 64)
	for _, k := range d.keys[base:] {
		m[string(dst[k.start:k.end])]++
	}
	d.keyMaps = append(d.keyMaps, keyMap{base: base, m: m})
	return m
}

// endObject forgets the keys of an object whose keys started at base.
func (d *decoder) endObject(base int) {
	d.keys = d.keys[:base]
	for len(d.keyMaps) > 0 && d.keyMaps[len(d.keyMaps)-1].base >= base {
		d.keyMaps = d.keyMaps[:len(d.keyMaps)-1]
	}
}

// keyMap counts the keys of one large object being rendered.
type keyMap struct {
	base int
	m    map[string]int
}

// jsonElemValue renders the value of element e of scope sci, with extra
// elements after its own children.
func (d *decoder) jsonElemValue(dst []byte, sci int32, e int32, extra []kidRef) ([]byte, error) {
	if err := d.countWork(len(dst)); err != nil {
		return dst, err
	}
	sc := &d.scopes[sci]
	el := &sc.prog.elems[e]
	kids := sc.prog.kids(el)
	attrs := sc.prog.attrsOf(el)
	if len(attrs) == 0 && len(extra) == 0 {
		if out, ok := d.jsonLeaf(dst, sci, kids, "null"); ok {
			return out, nil
		}
	}
	hasText, hasElem := d.classify(sci, kids)
	hasElem = hasElem || len(extra) > 0
	hasAttr := d.attrsNonEmpty(sci, attrs)
	switch {
	case !hasText && !hasElem && !hasAttr:
		return append(dst, "null"...), nil
	case !hasElem && !hasAttr:
		return d.jsonContent(dst, sci, kids, false), nil
	}
	container := el.name.id == nEventData || el.name.id == nUserData
	return d.jsonBody(dst, sci, el, container, hasAttr, hasText, extra)
}

// jsonLeaf renders an element whose content is one text or one value, and
// reports whether it was one.
func (d *decoder) jsonLeaf(dst []byte, sci int32, kids []item, empty string) ([]byte, bool) {
	if len(kids) != 1 {
		return dst, false
	}
	sc := &d.scopes[sci]
	it := &kids[0]
	switch it.kind {
	case itemText:
		t := sc.prog.texts[it.ref]
		if t.isEmpty(d.data) {
			return append(dst, empty...), true
		}
		dst = append(dst, '"')
		dst = appendValue(dst, d.data, t, escJSON)
		return append(dst, '"'), true
	case itemSubst:
		v := sc.val(it.idx)
		if isBinXML(v.typ) && v.size > 0 {
			return dst, false
		}
		if v.isEmpty(d.data) || isBinXML(v.typ) {
			return append(dst, empty...), true
		}
		return d.jsonScalar(dst, sci, it.idx), true
	}
	return dst, false
}

// jsonScalar renders substitution idx of scope sci, a non-empty value: a
// bare number or boolean for integer and boolean types, a string otherwise.
func (d *decoder) jsonScalar(dst []byte, sci int32, idx uint16) []byte {
	if d.scopes[sci].val(idx).isNumber() {
		return d.appendSubst(dst, sci, idx, escJSON, true)
	}
	dst = append(dst, '"')
	dst = d.appendSubst(dst, sci, idx, escJSON, false)
	return append(dst, '"')
}

func appendJSONNumber(dst []byte, data []byte, v value) []byte {
	b := data[v.off : v.off+v.size]
	if v.typ == typeBool {
		return appendBool(dst, b)
	}
	return appendValue(dst, data, v, escJSON)
}

// attrsNonEmpty reports whether any attribute has a non-empty value.
func (d *decoder) attrsNonEmpty(sci int32, attrs []attr) bool {
	for i := range attrs {
		if d.nonEmpty(sci, d.scopes[sci].prog.valItems(&attrs[i])) {
			return true
		}
	}
	return false
}

// nonEmpty reports whether items hold any text.
func (d *decoder) nonEmpty(sci int32, items []item) bool {
	hasText, _ := d.classify(sci, items)
	return hasText
}

// jsonContent renders text content as a JSON value: a bare number when it is
// one integer or boolean substitution, a string otherwise. With skipElems,
// element children and empty values are ignored in deciding that.
func (d *decoder) jsonContent(dst []byte, sci int32, items []item, skipElems bool) []byte {
	sc := &d.scopes[sci]
	var single *item
	number := true
	for i := range items {
		it := &items[i]
		switch it.kind {
		case itemElem, itemInstance:
			if !skipElems {
				number = false
			}
		case itemText:
			if !sc.prog.texts[it.ref].isEmpty(d.data) || (!skipElems && single != nil) {
				number = false
			} else if !skipElems {
				single = it
			}
		case itemSubst:
			v := sc.val(it.idx)
			if skipElems && (isBinXML(v.typ) || v.isEmpty(d.data)) {
				continue
			}
			if single != nil {
				number = false
			}
			single = it
		case itemCharRef, itemEntityRef, itemCDATA:
			number = false
		case itemPI:
			if !skipElems {
				if single != nil {
					number = false
				}
				single = it
			}
		}
		if !number {
			break
		}
	}
	if number && single != nil && single.kind == itemSubst {
		if sc.val(single.idx).isNumber() {
			return d.appendSubst(dst, sci, single.idx, escJSON, true)
		}
	}
	dst = append(dst, '"')
	dst = d.appendText(dst, sci, items, escJSON)
	return append(dst, '"')
}

// jsonAttrs renders "#attributes":{…} with the attributes that have values.
func (d *decoder) jsonAttrs(dst []byte, sci int32, attrs []attr) []byte {
	dst = append(dst, `"#attributes":{`...)
	first := true
	for i := range attrs {
		a := &attrs[i]
		items := d.scopes[sci].prog.valItems(a)
		if !d.nonEmpty(sci, items) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, a.name.jsonKey...)
		dst = d.jsonContent(dst, sci, items, false)
	}
	return append(dst, '}')
}

// jsonBody renders an element as an object, with "#attributes" if
// withAttrs (the caller has found values in them), "#text" if hasText, and
// extra elements after its own children.
func (d *decoder) jsonBody(dst []byte, sci int32, el *elem, container, withAttrs, hasText bool, extra []kidRef) ([]byte, error) {
	dst = append(dst, '{')
	wrote := false
	attrs := d.scopes[sci].prog.attrsOf(el)
	kids := d.scopes[sci].prog.kids(el)
	if withAttrs {
		dst = d.jsonAttrs(dst, sci, attrs)
		wrote = true
	}
	if hasText {
		if wrote {
			dst = append(dst, ',')
		}
		dst = append(dst, `"#text":`...)
		dst = d.jsonContent(dst, sci, kids, true)
		wrote = true
	}
	if len(kids) == 0 && len(extra) == 0 {
		return append(dst, '}'), nil
	}
	mark := len(d.kids)
	if err := d.collectKids(sci, kids); err != nil {
		return dst, err
	}
	d.kids = append(d.kids, extra...)
	keys := len(d.keys)
	named, positional := false, 0
	if container {
		for _, kr := range d.kids[mark:] {
			ce := &d.scopes[kr.sc].prog.elems[kr.e]
			if ce.name.id != nData {
				continue
			}
			positional++
			if d.dataName(kr.sc, ce) != nil {
				named = true
				break
			}
		}
	}
	positionalDone := false
	var err error
	for k := mark; k < len(d.kids); k++ {
		kr := d.kids[k]
		ce := &d.scopes[kr.sc].prog.elems[kr.e]
		if container && ce.name.id == nData {
			if named {
				if wrote {
					dst = append(dst, ',')
				}
				wrote = true
				dst = append(dst, '"')
				start := len(dst)
				if nameItems := d.dataName(kr.sc, ce); nameItems != nil {
					d.recording.inKey = true
					dst = d.appendText(dst, kr.sc, nameItems, escJSON)
					d.recording.inKey = false
				} else {
					dst = append(dst, "Data"...)
				}
				dst = d.finishKey(dst, start, keys)
				if n := kr.group; n > 1 {
					// An array substitution repeated this Data element:
					// its items become a JSON array.
					dst = append(dst, '[')
					for j := 0; j < n; j++ {
						if j > 0 {
							dst = append(dst, ',')
						}
						g := d.kids[k+j]
						if dst, err = d.jsonDataValue(dst, g.sc, g.e); err != nil {
							return dst, err
						}
					}
					dst = append(dst, ']')
					k += n - 1
					continue
				}
				if dst, err = d.jsonDataValue(dst, kr.sc, kr.e); err != nil {
					return dst, err
				}
				continue
			}
			if positionalDone {
				continue
			}
			positionalDone = true
			if wrote {
				dst = append(dst, ',')
			}
			wrote = true
			dst = append(dst, `"Data":{"#text":`...)
			if positional == 1 {
				if dst, err = d.jsonDataValue(dst, kr.sc, kr.e); err != nil {
					return dst, err
				}
			} else {
				dst = append(dst, '[')
				n := 0
				for j := k; j < len(d.kids); j++ {
					g := d.kids[j]
					if d.scopes[g.sc].prog.elems[g.e].name.id != nData {
						continue
					}
					if n > 0 {
						dst = append(dst, ',')
					}
					n++
					if dst, err = d.jsonDataValue(dst, g.sc, g.e); err != nil {
						return dst, err
					}
				}
				dst = append(dst, ']')
			}
			dst = append(dst, '}')
			continue
		}
		if wrote {
			dst = append(dst, ',')
		}
		wrote = true
		dst = d.jsonElemKey(dst, ce.name, keys)
		if dst, err = d.jsonElemValue(dst, kr.sc, kr.e, nil); err != nil {
			return dst, err
		}
	}
	d.kids = d.kids[:mark]
	d.endObject(keys)
	return append(dst, '}'), nil
}

// dataName returns the value items of the Name attribute of a Data element
// if it has a non-empty one.
func (d *decoder) dataName(sci int32, el *elem) []item {
	prog := d.scopes[sci].prog
	for i, a := range prog.attrsOf(el) {
		if a.name.id == nName {
			items := prog.valItems(&prog.attrsOf(el)[i])
			if d.nonEmpty(sci, items) {
				return items
			}
			return nil
		}
	}
	return nil
}

// jsonDataValue renders the value of a Data element: like any element's,
// but "" when empty and with its attributes left out.
func (d *decoder) jsonDataValue(dst []byte, sci int32, e int32) ([]byte, error) {
	if err := d.countWork(len(dst)); err != nil {
		return dst, err
	}
	el := &d.scopes[sci].prog.elems[e]
	kids := d.scopes[sci].prog.kids(el)
	if out, ok := d.jsonLeaf(dst, sci, kids, `""`); ok {
		return out, nil
	}
	hasText, hasElem := d.classify(sci, kids)
	switch {
	case !hasText && !hasElem:
		return append(dst, `""`...), nil
	case hasElem:
		return d.jsonBody(dst, sci, el, false, false, hasText, nil)
	}
	return d.jsonContent(dst, sci, kids, false), nil
}
