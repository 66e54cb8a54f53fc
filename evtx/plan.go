package evtx

import (
	"encoding/binary"
	"math"
)

// Render plans. Windows writes most records of a log with a handful of
// templates, and a record's rendering depends on its values only through
// their types, their emptiness and their text. So the output of a record,
// once rendered the long way, is kept as a plan: the static bytes around
// each value and which value goes where. A later record of the same shape,
// in any chunk, is rendered by copying the static bytes and appending its
// values, which costs a fraction of walking the template.
//
// A record's shape is its template, compared by content since every chunk
// compiles its own copy, and, for every substitution value, its type and
// whether it is empty or a number; a binary XML value that holds a template
// instance, as EventData and UserData do, contributes its own template and
// values in its place. Records with arrays or other binary XML are always
// rendered the long way, as is any record whose rendering let a value
// decide a structure (a Data element named by a value) or whose value
// rendered as nothing where the plan's record had text.
//
// A plan is used only where the long way would certainly have stayed within
// the record's effort limit, so that the two ways give the same output and
// the same errors, and which way a record took never shows.

// planFormat distinguishes the plans of the two renderings.
type planFormat uint8

const (
	planJSON planFormat = iota + 1
	planXML
)

// Bounds on what a decoder keeps: past planCacheBytes of keys, template
// contents and static bytes, everything is dropped and learnt again, so
// that memory stays bounded whatever the input holds.
const planCacheBytes = 8 << 20

// plan is the rendering of one record shape.
type plan struct {
	static []byte
	ops    []planOp
	effort int // charged to the record while it was rendered, besides its output
}

// planOp appends value val (an index into decoder.flat) at offset at of
// static.
type planOp struct {
	at     int32
	val    int32
	mode   escMode
	number bool
}

// planCache holds a decoder's plans and the identifiers of the template
// contents they refer to. It lives as long as the decoder, across chunks.
type planCache struct {
	templates map[string]uint32
	plans     map[string]*plan
	lastID    uint32
	bytes     int
	replays   int // records rendered by a plan, for tests
}

func (pc *planCache) charge(n int) {
	pc.bytes += n
	if pc.bytes > planCacheBytes {
		clear(pc.templates)
		clear(pc.plans)
		pc.bytes = n
	}
}

// planRecording is the state of a long-way rendering that is being kept.
type planRecording struct {
	on     bool
	bad    bool // the rendering depends on a value beyond its shape
	inKey  bool // a member key is being written
	effort int  // d.effort when rendering began
	ops    []recordedOp
}

// recordedOp is a value appended at out[start:end], offsets from the start
// of the record's output.
type recordedOp struct {
	start, end int
	op         planOp
}

// templateID returns the identifier of t's content, the same for equal
// templates of any chunk, or 0 once identifiers have run out. Identifiers
// are never reused, so a template remembered from before the cache was
// dropped refers to no plan.
func (d *decoder) templateID(t *template) uint32 {
	if t.planID != 0 {
		return t.planID
	}
	// Templates nested in t are identified first: their identifiers are
	// part of t's content.
	p := &t.prog
	for i := range p.insts {
		if d.templateID(p.insts[i].tmpl) == 0 {
			return 0
		}
	}
	b := appendProgram(d.canon[:0], p, d.data)
	d.canon = b
	var id uint32
	if s := d.c.shared; s != nil {
		// Identifiers come from the shared cache, so that plans are
		// shared too; the chunk's own table spares it the lock.
		if id = d.plans.templates[string(b)]; id == 0 {
			if id = s.templateID(b); id != 0 {
				d.plans.keep(b, id)
			}
		}
	} else {
		id = d.plans.id(b)
	}
	t.planID = id
	return id
}

// id returns the identifier of a template content, assigning the next one
// to a new content, or 0 once they have run out.
func (pc *planCache) id(content []byte) uint32 {
	if id, ok := pc.templates[string(content)]; ok {
		return id
	}
	if pc.lastID == math.MaxUint32 {
		return 0
	}
	pc.lastID++
	pc.keep(content, pc.lastID)
	return pc.lastID
}

// keep notes the identifier of a template content.
func (pc *planCache) keep(content []byte, id uint32) {
	pc.init()
	pc.charge(len(content))
	pc.templates[string(content)] = id
}

func (pc *planCache) init() {
	if pc.templates == nil {
		pc.templates = make(map[string]uint32)
		pc.plans = make(map[string]*plan)
	}
}

// put keeps plan p for the records whose key is key.
func (pc *planCache) put(key []byte, p *plan) {
	pc.init()
	pc.charge(len(key) + len(p.static) + 16*len(p.ops))
	pc.plans[string(key)] = p
}

// appendProgram appends everything of p that rendering reads, so that two
// programs with equal encodings render alike.
func appendProgram(b []byte, p *program, data []byte) []byte {
	num := func(b []byte, n int) []byte { return binary.AppendUvarint(b, uint64(n)) }
	str := func(b []byte, s string) []byte { return append(num(b, len(s)), s...) }
	val := func(b []byte, v value) []byte {
		b = append(num(b, int(v.size)), v.typ)
		return append(b, data[v.off:v.off+v.size]...)
	}
	spn := func(b []byte, s span) []byte { return num(num(b, int(s.first)), int(s.n)) }
	b = num(b, len(p.elems))
	for i := range p.elems {
		e := &p.elems[i]
		b = spn(spn(str(b, e.name.s), e.attrs), e.kids)
		b = append(b, boolByte(e.subst), boolByte(e.opt))
	}
	b = num(b, len(p.attrs))
	for i := range p.attrs {
		b = spn(str(b, p.attrs[i].name.s), p.attrs[i].val)
	}
	b = num(b, len(p.items))
	for i := range p.items {
		it := &p.items[i]
		b = append(b, byte(it.kind), boolByte(it.opt), it.vtype)
		b = num(num(b, int(it.idx)), int(it.ref+1))
		if it.nm != nil {
			b = str(append(b, 1), it.nm.s)
		} else {
			b = append(b, 0)
		}
	}
	b = num(b, len(p.texts))
	for _, v := range p.texts {
		b = val(b, v)
	}
	b = num(b, len(p.insts))
	for _, in := range p.insts {
		b = spn(num(b, int(in.tmpl.planID)), in.vals)
	}
	b = num(b, len(p.vals))
	for _, v := range p.vals {
		b = val(b, v)
	}
	return spn(b, p.root)
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// planKey writes the shape of the record just begun to d.key and its
// values, nested instances' included, to d.flat. It reports false for a
// record that is not to be rendered by a plan. Templates of nested
// instances are compiled here, whichever way the record is then rendered
// (and when d.longWay is set), so that both ways charge the record the
// same effort.
func (d *decoder) planKey(format planFormat) bool {
	if d.rootTmpl == nil {
		return false
	}
	sc := &d.scopes[0]
	d.key = append(d.key[:0], byte(format))
	d.flat = append(d.flat[:0], sc.vals...)
	d.nest = d.nest[:0]
	for range sc.vals {
		d.nest = append(d.nest, -1)
	}
	return d.keyInstance(d.rootTmpl, 0, len(sc.vals), sc.depth) && !d.longWay
}

// keyInstance adds to the key the instance of template t whose values are
// d.flat[first:first+n], rendered at scope depth depth.
func (d *decoder) keyInstance(t *template, first, n, depth int) bool {
	id := d.templateID(t)
	if id == 0 {
		return false
	}
	d.key = binary.LittleEndian.AppendUint32(d.key, id)
	d.key = binary.AppendUvarint(d.key, uint64(n))
	for i := first; i < first+n; i++ {
		v := d.flat[i]
		if v.typ&typeArray != 0 {
			return false
		}
		if !isBinXML(v.typ) || v.size == 0 {
			var flags byte
			if v.isEmpty(d.data) {
				flags |= 1
			}
			if v.isNumber() {
				flags |= 2
			}
			d.key = append(d.key, v.typ, flags)
			continue
		}
		// As openValue and openFragment would open it: one template
		// instance, alone in its fragment.
		if depth+1 > maxNesting {
			return false
		}
		pos, end := int(v.off), int(v.off+v.size)
		if pos+4 <= end && d.data[pos] == tokFragment {
			pos += 4
		}
		if pos >= end || d.data[pos] != tokTemplate {
			return false
		}
		nt, nfirst, nn, next, err := d.parseInstance(pos, end, depth+2, &d.flat)
		if err != nil || next < end && d.data[next] != tokEOF {
			return false
		}
		d.nest[i] = int32(nfirst)
		for range nn {
			d.nest = append(d.nest, -1)
		}
		d.key = append(d.key, v.typ)
		if !d.keyInstance(nt, nfirst, nn, depth+2) {
			return false
		}
	}
	return true
}

// lookupPlan returns the plan for the record whose key is in d.key, if
// rendering it by the plan is sure to stay within the record's limit.
func (d *decoder) lookupPlan() *plan {
	p := d.plans.plans[string(d.key)]
	if p == nil && d.c.shared != nil {
		if p = d.c.shared.plan(d.key); p != nil {
			d.plans.put(d.key, p)
		}
	}
	if p == nil {
		return nil
	}
	// Every value renders to at most 6 bytes per byte (an ANSI control
	// character as \u00XX) or 64 bytes for the fixed-size types.
	worst := d.effort + p.effort + len(p.static)
	for _, op := range p.ops {
		worst += 6*int(d.flat[op.val].size) + 64
	}
	if worst > d.limit {
		return nil
	}
	return p
}

// replay appends the record rendered by plan p. It reports false, with dst
// unchanged, if a value renders as nothing where the plan's record had
// text: the long way may render such a record differently.
func (d *decoder) replay(dst []byte, p *plan) ([]byte, bool) {
	start := len(dst)
	prev := int32(0)
	for _, op := range p.ops {
		dst = append(dst, p.static[prev:op.at]...)
		prev = op.at
		n := len(dst)
		dst = appendOp(dst, d.data, d.flat[op.val], op)
		if len(dst) == n {
			return dst[:start], false
		}
	}
	return append(dst, p.static[prev:]...), true
}

func appendOp(dst, data []byte, v value, op planOp) []byte {
	if op.number {
		return appendJSONNumber(dst, data, v)
	}
	return appendValue(dst, data, v, op.mode)
}

// startRecording makes the long-way rendering that follows note where the
// record's values go.
func (d *decoder) startRecording() {
	r := &d.recording
	r.on, r.bad, r.inKey = true, false, false
	r.effort = d.effort
	r.ops = r.ops[:0]
}

// appendSubst appends substitution idx of scope sci, noting it when a
// plan is being recorded.
func (d *decoder) appendSubst(dst []byte, sci int32, idx uint16, mode escMode, number bool) []byte {
	sc := &d.scopes[sci]
	v := sc.val(idx)
	op := planOp{mode: mode, number: number}
	if !d.recording.on || sc.flat < 0 || int32(idx) == sc.over || int(idx) >= len(sc.vals) {
		return appendOp(dst, d.data, v, op)
	}
	start := len(dst)
	dst = appendOp(dst, d.data, v, op)
	r := &d.recording
	if r.inKey {
		r.bad = true
	}
	op.val = sc.flat + int32(idx)
	r.ops = append(r.ops, recordedOp{start: start - d.outStart, end: len(dst) - d.outStart, op: op})
	return dst
}

// keepPlan stores the plan recorded while out, the record's output, was
// rendered.
func (d *decoder) keepPlan(out []byte) {
	r := &d.recording
	r.on = false
	if r.bad {
		return
	}
	p := &plan{effort: d.effort - r.effort, ops: make([]planOp, 0, len(r.ops))}
	size := len(out)
	prev := 0
	for _, o := range r.ops {
		if o.start < prev || o.end <= o.start || o.end > len(out) {
			return
		}
		size -= o.end - o.start
		prev = o.end
	}
	p.static = make([]byte, 0, size)
	prev = 0
	for _, o := range r.ops {
		p.static = append(p.static, out[prev:o.start]...)
		o.op.at = int32(len(p.static))
		p.ops = append(p.ops, o.op)
		prev = o.end
	}
	p.static = append(p.static, out[prev:]...)
	d.plans.put(d.key, p)
	if d.c.shared != nil {
		d.c.shared.addPlan(d.key, p)
	}
}

// render appends the record begun with top-level items of scope sci in
// format: by its plan if there is one, else the long way, keeping a plan
// for the records of its shape that follow.
func (d *decoder) render(dst []byte, format planFormat, sci int32, items []item) ([]byte, error) {
	start := len(dst)
	planned := d.planKey(format)
	if planned {
		if p := d.lookupPlan(); p != nil {
			if out, ok := d.replay(dst, p); ok {
				d.plans.replays++
				return out, nil
			}
		}
		d.startRecording()
	}
	var err error
	if format == planXML {
		dst, err = d.xmlRoot(dst, sci, items)
	} else {
		dst, err = d.jsonRoot(dst, sci, items)
	}
	if planned && err == nil && !d.overrun {
		d.keepPlan(dst[start:])
	}
	d.recording.on = false
	return dst, err
}
