package sigma

import (
	"slices"
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
	acOnce    sync.Once
	// scans are the automata: over the ASCII literals and over the others
	// (Unicode homoglyphs and the like), then the same for the literals of
	// keyword searches alone. Values are scanned with an automaton of
	// non-ASCII literals only when they have non-ASCII bytes. Apart, the
	// ASCII automaton needs half the byte classes of one over both, so the
	// transition tables Matchers fill are half the size: the Sysmon
	// process creation table, read at random for every byte, then stays
	// in the processor's cache.
	scans     [4]litScan
	litInsts  [][]clauseRef // literal -> the clauses it satisfies
	litGlobal []int32       // literal -> ruleset-wide literal id
	// scanFields names the payload fields the bucket's rules read; they
	// are scanned for every literal. When a keyword search needs every
	// value (scanAll), the other values are scanned for the keyword
	// literals kwLits alone: SigmaHQ's Mimikatz keywords apply to every
	// event, and GUIDs and times need not be searched for command-line
	// words.
	scanFields map[string]bool
	scanAll    bool
	kwLits     []int32
}

// Where a bucket's automata start in scans.
const (
	allLits     = 0
	keywordLits = 2
)

// litScan is a prefilter automaton over some of a bucket's literals.
type litScan struct {
	ac    *acAutomaton // nil when the bucket has no such literal
	local []int32      // automaton literal -> bucket literal
}

// automata returns the bucket's prefilter automata, building them on first
// use; it is safe for concurrent use.
func (b *bucket) automata() *[4]litScan {
	b.acOnce.Do(func() {
		ids := make([]int32, len(b.lits))
		for i := range ids {
			ids[i] = int32(i)
		}
		all := buildScans(b.lits, ids)
		kw := buildScans(b.lits, b.kwLits)
		b.scans = [4]litScan{all[0], all[1], kw[0], kw[1]}
	})
	return &b.scans
}

// buildScans builds the automata over the ASCII literals among lits[ids]
// and over the others.
func buildScans(lits []string, ids []int32) [2]litScan {
	var scans [2]litScan
	var texts [2][]string
	for _, id := range ids {
		l := lits[id]
		k := 0
		if !isASCII(l) {
			k = 1
		}
		texts[k] = append(texts[k], l)
		scans[k].local = append(scans[k].local, id)
	}
	for k := range scans {
		if len(texts[k]) > 0 {
			scans[k].ac = buildAutomaton(texts[k])
		}
	}
	return scans
}

// clauseRef is one prefilter clause of one instance of a bucket.
type clauseRef struct {
	inst   int32
	clause int32
}

// index finds the bucket of an event. Instances placed on (channel, id),
// (channel, any), (any, id) and (any, any) are merged into one bucket per
// key that occurs, so that an event visits one bucket. A bucket is built on
// the first event that reaches it: most inputs reach few of them.
type index struct {
	rs       *Ruleset
	exact    map[bucketKey]*bucketSlot
	channel  map[string]*bucketSlot
	anyIDs   map[int]*bucketSlot
	global   *bucketSlot
	channels []string
}

// bucketSlot holds the instance lists of one bucket until it is built.
type bucketSlot struct {
	once  sync.Once
	lists [][]*instance
	b     *bucket
}

func newSlot(lists ...[]*instance) *bucketSlot { return &bucketSlot{lists: lists} }

// get returns the slot's bucket, building it on first use; it is safe for
// concurrent use.
func (s *bucketSlot) get(rs *Ruleset) *bucket {
	s.once.Do(func() {
		s.b = newBucket(rs, s.lists...)
		s.lists = nil
	})
	return s.b
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
	ix := index{rs: rs, exact: map[bucketKey]*bucketSlot{}, channel: map[string]*bucketSlot{}, anyIDs: map[int]*bucketSlot{}}
	global := layer[bucketKey{anyChannel, anyID}]
	for ch, ids := range idsByChannel {
		ix.channels = append(ix.channels, ch)
		for id := range anyChannelIDs {
			ids[id] = true
		}
		for id := range ids {
			ix.exact[bucketKey{ch, id}] = newSlot(layer[bucketKey{ch, id}], layer[bucketKey{ch, anyID}], layer[bucketKey{anyChannel, id}], global)
		}
		ix.channel[ch] = newSlot(layer[bucketKey{ch, anyID}], global)
	}
	sort.Strings(ix.channels)
	for id := range anyChannelIDs {
		ix.anyIDs[id] = newSlot(layer[bucketKey{anyChannel, id}], global)
	}
	ix.global = newSlot(global)
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
	var kw []int32 // literals of keyword searches
	// local maps ruleset literal ids to the bucket's, plus one: a slice,
	// as the big buckets hold half of the ruleset's literals.
	local := make([]int32, len(rs.litText))
	var lits []string
	add := func(global int32) int32 {
		id := local[global] - 1
		if id < 0 {
			id = int32(len(lits))
			local[global] = id + 1
			lits = append(lits, rs.litText[global])
			b.litInsts = append(b.litInsts, nil)
			b.litGlobal = append(b.litGlobal, global)
		}
		return id
	}
	for i, in := range insts {
		for k, clause := range in.clauses {
			for _, l := range clause {
				id := add(l)
				b.litInsts[id] = append(b.litInsts[id], clauseRef{int32(i), int32(k)})
			}
		}
		gateLiterals(in.root, func(g int32, keyword bool) {
			id := add(g)
			if keyword {
				kw = append(kw, id)
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
		if b.scanAll {
			slices.Sort(kw)
			b.kwLits = slices.Compact(kw)
		}
	}
	return b
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
	if s, ok := ix.exact[bucketKey{channel, id}]; ok {
		return s.get(ix.rs)
	}
	if s, ok := ix.channel[channel]; ok {
		return s.get(ix.rs)
	}
	if s, ok := ix.anyIDs[id]; ok {
		return s.get(ix.rs)
	}
	return ix.global.get(ix.rs)
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
	// Per instance of the current bucket: the generation its clause count
	// belongs to, and how many of its clauses hold; per clause, whether it
	// was counted.
	instGen   []uint32
	instCount []int32
	clauseGen []uint32
	hit       []uint32 // per rule: reported for this event
	cur       *bucket
	// dfas holds this Matcher's transition tables, for the automata of
	// each bucket it has scanned with; dfa is the current bucket's, and
	// local maps the literals of the automaton being scanned to the
	// bucket's.
	dfas  map[*bucket]*[4]*dfaCache
	dfa   *[4]*dfaCache
	local []int32
	scan  func(string, string) bool
	lit   func(int32)
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
		rs:   rs,
		ctx:  evalCtx{rs: rs, slotGen: make([]uint32, n), slotVal: make([]string, n), slotOK: make([]bool, n), litSeen: make([]uint32, len(rs.litText))},
		hit:  make([]uint32, len(rs.rules)),
		dfas: map[*bucket]*[4]*dfaCache{},
	}
	m.scan = m.scanValue
	m.lit = m.foundLiteral
	return m
}

// fit grows the per-instance scratch space to b's size; buckets are built
// lazily, so the largest is not known up front.
func (m *Matcher) fit(b *bucket) {
	if n := len(b.insts); len(m.instGen) < n {
		m.instGen, m.instCount, m.clauseGen = make([]uint32, n), make([]int32, n), make([]uint32, n*maxClauses)
	}
}

func (m *Matcher) scanValue(name, v string) bool {
	b := m.cur
	var k int
	switch {
	case b.scanFields[name] || strings.IndexByte(name, ' ') >= 0:
		// A name with spaces may be read under its spaceless Sigma name.
		k = allLits
	case b.scanAll:
		k = keywordLits
	default:
		return true
	}
	if d := m.dfa[k]; d != nil {
		m.local = b.scans[k].local
		d.scan(v, m.ctx.gen, m.lit)
	}
	if d := m.dfa[k+1]; d != nil && !isASCII(v) {
		m.local = b.scans[k+1].local
		d.scan(v, m.ctx.gen, m.lit)
	}
	return true
}

// payloadFields records in b the payload fields n reads, or that it needs
// every value (keyword searches).
func payloadFields(n node, rs *Ruleset, b *bucket) {
	switch x := n.(type) {
	case *fieldNode:
		if f := rs.fields[x.field]; f.payload {
			b.scanFields[f.m.Field] = true
		}
	case *keywordNode:
		b.scanAll = true
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
	lit = m.local[lit]
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
	m.fit(b)
	m.ctx.gen++
	if m.ctx.gen == 0 {
		// The generation counter wrapped: forget every stamp.
		clear(m.ctx.slotGen)
		clear(m.ctx.litSeen)
		for _, ds := range m.dfas {
			for _, d := range ds {
				if d != nil {
					clear(d.seen)
				}
			}
		}
		clear(m.instGen)
		clear(m.clauseGen)
		clear(m.hit)
		m.ctx.gen = 1
	}
	m.ctx.ev = ev
	m.cur = b
	litSeen := m.ctx.litSeen
	if b.prefilter {
		ds := m.dfas[b]
		if ds == nil {
			ds = new([4]*dfaCache)
			for k, sc := range b.automata() {
				if sc.ac != nil {
					ds[k] = newDFACache(sc.ac)
				}
			}
			m.dfas[b] = ds
		}
		m.dfa = ds
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
