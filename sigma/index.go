package sigma

import (
	"sort"
	"strconv"
	"strings"
	"sync"
)

const (
	anyChannel = "\x00*"
	anyID      = -1
)

// bucketKey places a rule instance: a channel (or any) and an event ID (or
// any).
type bucketKey struct {
	channel string
	id      int
}

// directCost is the estimated evaluation cost of all the rules of a bucket
// (see cost) up to which the bucket skips the prefilter scan.
const directCost = 120

// bucket is the rule instances an event of one (channel, event ID) can
// match, with the literal prefilter over them.
type bucket struct {
	insts []*instance
	// prefilter is true when events are scanned for the literals lits;
	// the automaton is built on the first event that needs it, as most
	// inputs reach few of the buckets.
	prefilter bool
	lits      []string
	// The literals of field matchers are searched for in the fields the
	// rules read (scanFields), those of keyword searches in every value:
	// one automaton each, built on first use. fieldIDs and kwIDs map an
	// automaton's literal index to the bucket's.
	fieldIDs  []int32
	kwIDs     []int32
	acOnce    sync.Once
	fieldAC   *acAutomaton
	kwAC      *acAutomaton
	litInsts  [][]clauseRef // literal -> the clauses it satisfies
	litGlobal []int32       // literal -> ruleset-wide literal id
	// scanFields names the payload fields the bucket's field matchers read.
	scanFields map[string]bool
}

// automata builds the bucket's prefilter automata on first use; it is safe
// for concurrent use.
func (b *bucket) automata() {
	b.acOnce.Do(func() {
		pick := func(ids []int32) *acAutomaton {
			if len(ids) == 0 {
				return nil
			}
			lits := make([]string, len(ids))
			for i, id := range ids {
				lits[i] = b.lits[id]
			}
			return buildAutomaton(lits)
		}
		b.fieldAC, b.kwAC = pick(b.fieldIDs), pick(b.kwIDs)
	})
}

// clauseRef is one prefilter clause of one instance of a bucket.
type clauseRef struct {
	inst   int32
	clause int32
}

// index finds the bucket of an event. Instances placed on (channel, id),
// (channel, any), (any, id) and (any, any) are merged ahead of time into one
// bucket per key that occurs, so that an event visits one bucket.
type index struct {
	exact    map[bucketKey]*bucket
	channel  map[string]*bucket
	anyIDs   map[int]*bucket
	global   *bucket
	channels []string
}

func buildIndex(insts []*instance, rs *Ruleset) index {
	layer := map[bucketKey][]*instance{}
	for _, in := range insts {
		for _, k := range in.keys {
			layer[k] = append(layer[k], in)
		}
	}
	idsByChannel := map[string]map[int]bool{}
	anyChannelIDs := map[int]bool{}
	for k := range layer {
		if k.channel == anyChannel {
			if k.id != anyID {
				anyChannelIDs[k.id] = true
			}
			continue
		}
		if idsByChannel[k.channel] == nil {
			idsByChannel[k.channel] = map[int]bool{}
		}
		if k.id != anyID {
			idsByChannel[k.channel][k.id] = true
		}
	}
	ix := index{exact: map[bucketKey]*bucket{}, channel: map[string]*bucket{}, anyIDs: map[int]*bucket{}}
	global := layer[bucketKey{anyChannel, anyID}]
	for ch, ids := range idsByChannel {
		ix.channels = append(ix.channels, ch)
		for id := range anyChannelIDs {
			ids[id] = true
		}
		for id := range ids {
			ix.exact[bucketKey{ch, id}] = newBucket(rs, layer[bucketKey{ch, id}], layer[bucketKey{ch, anyID}], layer[bucketKey{anyChannel, id}], global)
		}
		ix.channel[ch] = newBucket(rs, layer[bucketKey{ch, anyID}], global)
	}
	sort.Strings(ix.channels)
	for id := range anyChannelIDs {
		ix.anyIDs[id] = newBucket(rs, layer[bucketKey{anyChannel, id}], global)
	}
	ix.global = newBucket(rs, global)
	return ix
}

func newBucket(rs *Ruleset, lists ...[]*instance) *bucket {
	var insts []*instance
	seen := map[*instance]bool{}
	for _, l := range lists {
		for _, in := range l {
			if !seen[in] {
				seen[in] = true
				insts = append(insts, in)
			}
		}
	}
	if len(insts) == 0 {
		return nil
	}
	sort.SliceStable(insts, func(i, j int) bool { return insts[i].info.index < insts[j].info.index })
	b := &bucket{insts: insts}
	local := map[int32]int32{} // ruleset literal id -> bucket literal id
	kw, field := map[int32]bool{}, map[int32]bool{}
	var lits []string
	add := func(global int32, text string) int32 {
		id, ok := local[global]
		if !ok {
			id = int32(len(lits))
			local[global] = id
			lits = append(lits, text)
			b.litInsts = append(b.litInsts, nil)
			b.litGlobal = append(b.litGlobal, global)
		}
		return id
	}
	for i, in := range insts {
		for k, clause := range in.clauses {
			for _, l := range clause {
				id := add(rs.literalID(l), l)
				b.litInsts[id] = append(b.litInsts[id], clauseRef{int32(i), int32(k)})
			}
		}
		literalsOf(in.root, rs, func(g int32, keyword bool) {
			id := add(g, rs.litText[g])
			if keyword {
				kw[id] = true
			} else {
				field[id] = true
			}
		})
	}
	// When evaluating every rule costs little, testing literals in place is
	// cheaper than scanning every payload byte: such buckets run without
	// the prefilter.
	total := 0
	for _, in := range insts {
		total += cost(in.root)
	}
	if len(lits) > 0 && total > directCost {
		b.prefilter = true
		b.lits = lits
		b.scanFields = map[string]bool{}
		for _, in := range insts {
			payloadFields(in.root, rs, b)
		}
		for id := range lits {
			i := int32(id)
			if field[i] {
				b.fieldIDs = append(b.fieldIDs, i)
			}
			// Every clause literal is a gate literal; one that were not
			// would be searched for everywhere, which is always sound.
			if kw[i] || !field[i] {
				b.kwIDs = append(b.kwIDs, i)
			}
		}
	}
	return b
}

func (ix *index) all() []*bucket {
	var out []*bucket
	for _, b := range ix.exact {
		out = append(out, b)
	}
	for _, b := range ix.channel {
		out = append(out, b)
	}
	for _, b := range ix.anyIDs {
		out = append(out, b)
	}
	out = append(out, ix.global)
	var nonNil []*bucket
	for _, b := range out {
		if b != nil {
			nonNil = append(nonNil, b)
		}
	}
	return nonNil
}

func (ix *index) lookup(channel string, id int) *bucket {
	if _, known := ix.channel[channel]; !known {
		// Channel names are matched case-insensitively, without
		// allocating, for exports that changed their case.
		for _, c := range ix.channels {
			if strings.EqualFold(c, channel) {
				channel = c
				break
			}
		}
	}
	if b, ok := ix.exact[bucketKey{channel, id}]; ok {
		return b
	}
	if b, ok := ix.channel[channel]; ok {
		return b
	}
	if b, ok := ix.anyIDs[id]; ok {
		return b
	}
	return ix.global
}

// Match is one rule matching one event.
type Match struct {
	Rule *RuleInfo
	// Fields are the fields that made the rule match (for an or, those of
	// one true operand).
	Fields []MatchedField
	// Values holds the fields correlations read from this match (group-by,
	// value fields), by the rule's field names; nil when no correlation
	// uses the rule.
	Values map[string]string
}

// Matcher runs events through a Ruleset. It keeps per-event scratch space
// and must not be shared between goroutines.
type Matcher struct {
	rs  *Ruleset
	ctx evalCtx
	// Per literal of each automaton of the current bucket: found in this
	// event.
	seenField, seenKw []uint32
	// Per instance of the current bucket: the generation its clause count
	// belongs to, and how many of its clauses hold; per clause, whether it
	// was counted.
	instGen   []uint32
	instCount []int32
	clauseGen []uint32
	hit       []uint32 // per rule: reported for this event
	cur       *bucket
	scan      func(string, string) bool
	litField  func(int32)
	litKw     func(int32)
}

// evalCtx caches field values for one event.
type evalCtx struct {
	rs  *Ruleset
	ev  Event
	gen uint32
	// litSeen[id] == gen when literal id occurs in a payload value of the
	// event; nil disables the literal gates.
	litSeen []uint32
	slotGen []uint32
	slotVal []string
	slotOK  []bool
}

func (c *evalCtx) field(id int) (string, bool) {
	if c.slotGen[id] == c.gen {
		return c.slotVal[id], c.slotOK[id]
	}
	v, ok := c.rs.fields[id].read(c.ev)
	c.slotGen[id], c.slotVal[id], c.slotOK[id] = c.gen, v, ok
	return v, ok
}

func (c *evalCtx) anyValue(m valueMatcher) bool {
	found := false
	c.ev.Values(func(_, v string) bool {
		if m.match(c, v) {
			found = true
			return false
		}
		return true
	})
	return found
}

// NewMatcher returns a Matcher for rs.
func (rs *Ruleset) NewMatcher() *Matcher {
	n := len(rs.fields)
	m := &Matcher{
		rs:        rs,
		ctx:       evalCtx{rs: rs, slotGen: make([]uint32, n), slotVal: make([]string, n), slotOK: make([]bool, n), litSeen: make([]uint32, len(rs.litText))},
		seenField: make([]uint32, rs.maxLits),
		seenKw:    make([]uint32, rs.maxLits),
		instGen:   make([]uint32, rs.maxInsts),
		instCount: make([]int32, rs.maxInsts),
		clauseGen: make([]uint32, rs.maxInsts*maxClauses),
		hit:       make([]uint32, len(rs.rules)),
	}
	m.scan = m.scanValue
	m.litField = func(i int32) { m.foundLiteral(m.cur.fieldIDs[i]) }
	m.litKw = func(i int32) { m.foundLiteral(m.cur.kwIDs[i]) }
	return m
}

func (m *Matcher) scanValue(name, v string) bool {
	b := m.cur
	// A name with spaces may be read under its spaceless Sigma name.
	if b.fieldAC != nil && (b.scanFields[name] || strings.IndexByte(name, ' ') >= 0) {
		b.fieldAC.scan(v, m.seenField, m.ctx.gen, m.litField)
	}
	if b.kwAC != nil {
		b.kwAC.scan(v, m.seenKw, m.ctx.gen, m.litKw)
	}
	return true
}

// literalsOf calls fn with the literal id of every gated matcher of n, and
// whether it belongs to a keyword search.
func literalsOf(n node, rs *Ruleset, fn func(lid int32, keyword bool)) {
	each := func(vals []valueMatcher, keyword bool) {
		for _, v := range vals {
			if g, ok := v.(litGate); ok {
				fn(g.lid, keyword)
			}
		}
	}
	switch x := n.(type) {
	case *fieldNode:
		each(x.values, false)
	case *keywordNode:
		each(x.values, true)
	case andNode:
		for _, c := range x {
			literalsOf(c, rs, fn)
		}
	case orNode:
		for _, c := range x {
			literalsOf(c, rs, fn)
		}
	case notNode:
		literalsOf(x.x, rs, fn)
	case sourceCheck:
		literalsOf(x.x, rs, fn)
	}
}

// payloadFields records in b the payload fields n reads.
func payloadFields(n node, rs *Ruleset, b *bucket) {
	switch x := n.(type) {
	case *fieldNode:
		if f := rs.fields[x.field]; f.payload {
			b.scanFields[f.m.Field] = true
		}
	case andNode:
		for _, c := range x {
			payloadFields(c, rs, b)
		}
	case orNode:
		for _, c := range x {
			payloadFields(c, rs, b)
		}
	case notNode:
		payloadFields(x.x, rs, b)
	case sourceCheck:
		payloadFields(x.x, rs, b)
	}
}

func (m *Matcher) foundLiteral(lit int32) {
	gen := m.ctx.gen
	m.ctx.litSeen[m.cur.litGlobal[lit]] = gen
	for _, r := range m.cur.litInsts[lit] {
		k := r.inst*maxClauses + r.clause
		if m.clauseGen[k] == gen {
			continue
		}
		m.clauseGen[k] = gen
		if m.instGen[r.inst] != gen {
			m.instGen[r.inst] = gen
			m.instCount[r.inst] = 0
		}
		m.instCount[r.inst]++
	}
}

// Match runs ev through the rules of its channel and event ID and calls fn
// for each rule that matches, in rule order. The Match is valid only during
// the call.
func (m *Matcher) Match(ev Event, fn func(*Match)) {
	channel, _ := ev.Field("Channel")
	id := anyID
	if s, ok := ev.Field("EventID"); ok {
		if n, err := strconv.Atoi(s); err == nil {
			id = n
		}
	}
	b := m.rs.idx.lookup(channel, id)
	if b == nil {
		return
	}
	m.ctx.gen++
	if m.ctx.gen == 0 {
		// The generation counter wrapped: forget every stamp.
		clear(m.ctx.slotGen)
		clear(m.ctx.litSeen)
		clear(m.seenField)
		clear(m.seenKw)
		clear(m.instGen)
		clear(m.clauseGen)
		clear(m.hit)
		m.ctx.gen = 1
	}
	m.ctx.ev = ev
	m.cur = b
	litSeen := m.ctx.litSeen
	if b.prefilter {
		b.automata()
		ev.Values(m.scan)
	} else {
		// No scan: literal gates must not reject anything.
		m.ctx.litSeen = nil
	}
	gen := m.ctx.gen
	var match Match
	for i, in := range b.insts {
		if b.prefilter && in.clauses != nil && (m.instGen[i] != gen || int(m.instCount[i]) < len(in.clauses)) {
			continue
		}
		if m.hit[in.info.index] == gen || !in.root.eval(&m.ctx) {
			continue
		}
		m.hit[in.info.index] = gen
		match = Match{Rule: in.info}
		in.root.collect(&m.ctx, &match.Fields)
		if len(in.capture) > 0 {
			match.Values = make(map[string]string, len(in.capture))
			for _, c := range in.capture {
				if v, ok := m.ctx.field(c.field); ok {
					match.Values[c.name] = v
				}
			}
		}
		fn(&match)
	}
	m.ctx.ev = nil
	m.ctx.litSeen = litSeen
}
