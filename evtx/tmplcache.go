package evtx

import "encoding/binary"

// The template cache. Every chunk carries its own copy of each template it
// uses, and compiling them is a good part of reading a chunk. Where a
// definition's bytes are those of one compiled in an earlier chunk, and the
// names it refers to outside itself are the same there, the earlier
// compilation is reused: compiling is a function of exactly those bytes.
// Definitions with nested template instances, whose compilation reads
// other definitions, are compiled every time.

// templateCacheBytes bounds the definitions and programs kept; past it the
// cache starts over.
const templateCacheBytes = 8 << 20

type templateCache struct {
	m     map[string]*cachedTemplate // definition: GUID, size and data
	bytes int
}

// cachedTemplate is a compiled template with its text offsets relative to
// the start of its definition's data. It does not change once made, as
// chunks on other goroutines may be reading it.
type cachedTemplate struct {
	prog   program
	start  int // where its definition's data was, when it has a name stored inline
	names  []nameRef
	planID uint32 // the template's identifier among the plans
}

// nameRef is a name a definition refers to: where, and the UTF-16 it holds.
type nameRef struct {
	off    uint32
	inline bool // stored within the definition itself
	utf16  string
}

// fits reports whether the definition whose data starts at start in c
// compiles to ct.
func (ct *cachedTemplate) fits(c *Chunk, start int) bool {
	for _, r := range ct.names {
		if r.inline {
			// An inline name is found by its own offset: the definition
			// must be where it was, and then its bytes are the name's.
			if start != ct.start {
				return false
			}
			continue
		}
		end := uint64(r.off) + 8 + uint64(len(r.utf16))
		if end > chunkSize || int(binary.LittleEndian.Uint16(c.data[r.off+6:])) != len(r.utf16)/2 ||
			string(c.data[r.off+8:end]) != r.utf16 {
			return false
		}
	}
	return true
}

// lookup returns the cached compilation of the definition def, whose data
// starts at start, with its texts placed for this chunk, or nil.
func (tc *templateCache) lookup(c *Chunk, def []byte, start int) (*cachedTemplate, program, bool) {
	ct := tc.m[string(def)]
	if ct == nil && c.shared != nil {
		if ct = c.shared.template(def); ct != nil {
			tc.put(def, ct, ct.size(def))
		}
	}
	if ct == nil || !ct.fits(c, start) {
		return nil, program{}, false
	}
	p := ct.prog
	if len(p.texts) > 0 {
		a := &c.ar
		n := len(a.texts)
		for _, v := range p.texts {
			v.off += uint32(start)
			a.texts = append(a.texts, v)
		}
		p.texts = a.texts[n:len(a.texts):len(a.texts)]
	}
	return ct, p, true
}

// add keeps template t, compiled from definition def, whose data starts at
// start, while the compiler noted the names in refs.
func (tc *templateCache) add(c *Chunk, t *template, def []byte, start int, refs []nameRef) *cachedTemplate {
	p := &t.prog
	if len(p.insts) > 0 || len(p.vals) > 0 {
		return nil
	}
	ct := &cachedTemplate{
		start: start,
		prog: program{
			elems: append([]elem(nil), p.elems...),
			attrs: append([]attr(nil), p.attrs...),
			items: append([]item(nil), p.items...),
			root:  p.root,
		},
		names:  make([]nameRef, len(refs)),
		planID: c.dec.templateID(t),
	}
	if len(p.texts) > 0 {
		ct.prog.texts = make([]value, len(p.texts))
		for i, v := range p.texts {
			v.off -= uint32(start)
			ct.prog.texts[i] = v
		}
	}
	for i, r := range refs {
		if !r.inline {
			n := int(binary.LittleEndian.Uint16(c.data[r.off+6:]))
			r.utf16 = string(c.data[r.off+8 : int(r.off)+8+2*n])
		}
		ct.names[i] = r
	}
	size := ct.size(def)
	tc.put(def, ct, size)
	if c.shared != nil {
		c.shared.addTemplate(def, ct, size)
	}
	return ct
}

// size estimates the memory ct and its definition def take.
func (ct *cachedTemplate) size(def []byte) int {
	n := len(def) + 32*(len(ct.prog.elems)+len(ct.prog.attrs)+len(ct.prog.items)+len(ct.prog.texts))
	for _, r := range ct.names {
		n += 16 + len(r.utf16)
	}
	return n
}

func (tc *templateCache) put(def []byte, ct *cachedTemplate, size int) {
	if tc.m == nil {
		tc.m = make(map[string]*cachedTemplate)
	}
	tc.bytes += size
	if tc.bytes > templateCacheBytes {
		clear(tc.m)
		tc.bytes = size
	}
	tc.m[string(def)] = ct
}
