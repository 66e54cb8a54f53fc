package evtx

// XML rendering follows the layout of libevtx's evtxexport: two spaces of
// indentation per level, an element per line, text content on the line of
// its element, empty elements closed with "/>", attributes with empty
// values left out, and & < > escaped in text (plus " in attributes).

const spaces = "                                                                                                                                "

func appendIndent(dst []byte, indent int) []byte {
	n := 2 * indent
	for n > len(spaces) {
		dst = append(dst, spaces...)
		n -= len(spaces)
	}
	return append(dst, spaces[:n]...)
}

// xmlRoot renders the top level of a record. A record holds one root
// element; further root elements (seen as a trailing RenderingInfo fragment)
// are rendered as the last children of the first, so that each record stays
// one XML element and nothing in it is lost.
func (d *decoder) xmlRoot(dst []byte, sci int32, items []item) ([]byte, error) {
	mark := len(d.kids)
	if err := d.collectKids(sci, items); err != nil {
		return dst, err
	}
	var err error
	if len(d.kids) > mark {
		first := d.kids[mark]
		dst, err = d.xmlElem(dst, first.sc, first.e, 0, d.kids[mark+1:])
	}
	d.kids = d.kids[:mark]
	return dst, err
}

// xmlItems renders items of scope sci in element-content position at indent.
func (d *decoder) xmlItems(dst []byte, sci int32, items []item, indent int) ([]byte, error) {
	inText := false
	var err error
	for i := range items {
		it := items[i]
		sc := &d.scopes[sci]
		switch it.kind {
		case itemElem:
			if inText {
				dst, inText = append(dst, '\n'), false
			}
			mark := len(d.kids)
			if err = d.expand(sci, it.ref); err != nil {
				return dst, err
			}
			for k := mark; k < len(d.kids); k++ {
				kr := d.kids[k]
				if dst, err = d.xmlElem(dst, kr.sc, kr.e, indent, nil); err != nil {
					return dst, err
				}
			}
			d.kids = d.kids[:mark]
		case itemInstance:
			if inText {
				dst, inText = append(dst, '\n'), false
			}
			n, root, err := d.openInstance(sci, it)
			if err != nil {
				return dst, err
			}
			if dst, err = d.xmlItems(dst, n, root, indent); err != nil {
				return dst, err
			}
		case itemPI:
			if inText {
				dst, inText = append(dst, '\n'), false
			}
			dst = appendIndent(dst, indent)
			dst = append(dst, "<?"...)
			dst = append(dst, it.nm.xml...)
			if it.ref >= 0 {
				dst = append(dst, ' ')
				dst = appendValue(dst, d.data, sc.prog.texts[it.ref], escNone)
			}
			dst = append(dst, "?>\n"...)
		case itemSubst:
			v := sc.val(it.idx)
			if isBinXML(v.typ) {
				if v.size == 0 {
					continue
				}
				if inText {
					dst, inText = append(dst, '\n'), false
				}
				n, root, err := d.openValue(sci, it.idx, v)
				if err != nil {
					return dst, err
				}
				if dst, err = d.xmlItems(dst, n, root, indent); err != nil {
					return dst, err
				}
				continue
			}
			if v.isEmpty(d.data) {
				continue
			}
			if !inText {
				dst, inText = appendIndent(dst, indent), true
			}
			dst = d.appendSubst(dst, sci, it.idx, escXMLText, false)
		default:
			if it.kind == itemText && sc.prog.texts[it.ref].isEmpty(d.data) {
				continue
			}
			if !inText {
				dst, inText = appendIndent(dst, indent), true
			}
			dst = d.appendText(dst, sci, items[i:i+1], escXMLText)
		}
	}
	if inText {
		dst = append(dst, '\n')
	}
	return dst, nil
}

// xmlElem renders element e of scope sci at indent, with extra elements
// after its own children.
func (d *decoder) xmlElem(dst []byte, sci int32, e int32, indent int, extra []kidRef) ([]byte, error) {
	if err := d.countWork(len(dst)); err != nil {
		return dst, err
	}
	sc := &d.scopes[sci]
	el := &sc.prog.elems[e]
	dst = appendIndent(dst, indent)
	dst = append(dst, '<')
	dst = append(dst, el.name.xml...)
	attrs := sc.prog.attrsOf(el)
	for i := range attrs {
		a := &attrs[i]
		mark := len(dst)
		dst = append(dst, ' ')
		dst = append(dst, a.name.xml...)
		dst = append(dst, '=', '"')
		start := len(dst)
		dst = d.appendText(dst, sci, sc.prog.valItems(a), escXMLAttr)
		if len(dst) == start {
			dst = dst[:mark]
			continue
		}
		dst = append(dst, '"')
	}
	kids := sc.prog.kids(el)
	hasText, hasElem := d.classify(sci, kids)
	hasElem = hasElem || len(extra) > 0
	switch {
	case !hasText && !hasElem:
		return append(dst, "/>\n"...), nil
	case !hasElem:
		dst = append(dst, '>')
		dst = d.appendText(dst, sci, kids, escXMLText)
	default:
		dst = append(dst, ">\n"...)
		var err error
		if dst, err = d.xmlItems(dst, sci, kids, indent+1); err != nil {
			return dst, err
		}
		for _, x := range extra {
			if dst, err = d.xmlElem(dst, x.sc, x.e, indent+1, nil); err != nil {
				return dst, err
			}
		}
		dst = appendIndent(dst, indent)
	}
	dst = append(dst, '<', '/')
	dst = append(dst, el.name.xml...)
	return append(dst, '>', '\n'), nil
}
