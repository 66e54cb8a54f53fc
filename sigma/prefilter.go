package sigma

import (
	"slices"
	"strings"
)

// acAutomaton is an Aho-Corasick automaton over folded literals. It reads
// event values with ASCII case folding and reports every literal that occurs
// in them, so that rules whose literals are absent are skipped, and literal
// matchers rejected, before any comparison runs.
//
// Bytes are first mapped to classes (bytes that occur in no literal share
// class 0). States near the root get full transition rows with failure links
// already followed; deeper states keep sorted sparse edges and fall back
// along failure links until they reach a state with a row. Memory stays
// proportional to the literals. Scans do not walk this structure byte by
// byte: each Matcher keeps a [dfaCache] of the transitions its scans met.
type acAutomaton struct {
	class     [256]uint8 // raw byte -> class (ASCII folded)
	nClasses  int
	rowOf     []int32 // state -> row index, or -1
	rows      []int32 // rows of nClasses resolved transitions
	edgeStart []int32 // per state: first sparse edge; edgeStart[s+1] ends it
	edgeClass []uint8
	edgeNext  []int32
	fail      []int32
	out       []int32 // literal ending at the state, or -1
	dict      []int32 // next state on the fail chain with out >= 0, or 0
	// report is the first state to report from: the state itself if a
	// literal ends there, else dict; one lookup per byte on the hot path.
	report []int32
	nLits  int
}

// rowDepth is the depth up to which states get full rows.
const rowDepth = 2

// buildAutomaton builds the automaton for lits, which must be distinct and
// already folded. Literal i is reported as i.
func buildAutomaton(lits []string) *acAutomaton {
	a := &acAutomaton{nLits: len(lits)}
	// Byte classes: one per folded byte used by a literal.
	var used [256]bool
	for _, l := range lits {
		for i := 0; i < len(l); i++ {
			used[l[i]] = true
		}
	}
	var classOfFolded [256]uint8
	n := 1
	for b := 0; b < 256; b++ {
		if used[b] {
			classOfFolded[b] = uint8(n)
			n++
		}
	}
	a.nClasses = n
	for b := 0; b < 256; b++ {
		a.class[b] = classOfFolded[lowerASCII[b]]
	}

	// Build the trie from the literals in sorted order: a literal shares
	// its common prefix with the previous one, so states are created
	// without any map, and each state's children appear in class order.
	order := make([]int32, len(lits))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(i, j int32) int { return strings.Compare(lits[i], lits[j]) })
	// The trie has at most one state per literal byte: sized up front,
	// its slices never grow (growing them was half of the build time).
	size := 0
	for _, l := range lits {
		size += len(l)
	}
	outs := make([]int32, 1, size+1)
	outs[0] = -1
	depths := make([]int32, 1, size+1)
	type edge struct {
		from, to int32
		class    uint8
	}
	edges := make([]edge, 0, size)
	path := []int32{0} // states along the previous literal
	prev := ""
	for _, li := range order {
		l := lits[li]
		common := 0
		for common < len(l) && common < len(prev) && l[common] == prev[common] {
			common++
		}
		path = path[:common+1]
		for j := common; j < len(l); j++ {
			t := int32(len(outs))
			outs = append(outs, -1)
			depths = append(depths, int32(j+1))
			edges = append(edges, edge{from: path[j], to: t, class: classOfFolded[l[j]]})
			path = append(path, t)
		}
		outs[path[len(l)]] = li
		prev = l
	}
	ns := len(outs)
	a.edgeStart = make([]int32, ns+1)
	a.fail = make([]int32, ns)
	a.out = outs
	a.dict = make([]int32, ns)
	a.rowOf = make([]int32, ns)
	// Edges in compressed rows by source state (a counting sort keeps each
	// state's edges in class order).
	for _, e := range edges {
		a.edgeStart[e.from+1]++
	}
	for st := 0; st < ns; st++ {
		a.edgeStart[st+1] += a.edgeStart[st]
	}
	a.edgeClass = make([]uint8, len(edges))
	a.edgeNext = make([]int32, len(edges))
	fill := append([]int32(nil), a.edgeStart[:ns]...)
	for _, e := range edges {
		a.edgeClass[fill[e.from]] = e.class
		a.edgeNext[fill[e.from]] = e.to
		fill[e.from]++
	}
	rows := 0
	for st := 0; st < ns; st++ {
		a.rowOf[st] = -1
		if depths[st] <= rowDepth {
			a.rowOf[st] = int32(rows)
			rows++
		}
	}
	a.rows = make([]int32, rows*n)

	// Breadth-first, so that a state's failure target (always shallower)
	// is complete before the state: fail links, output links and rows.
	root := a.rows[:n]
	for c := range root {
		root[c] = 0
	}
	queue := make([]int32, 0, ns)
	for e := a.edgeStart[0]; e < a.edgeStart[1]; e++ {
		t := a.edgeNext[e]
		root[a.edgeClass[e]] = t
		queue = append(queue, t)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if r := a.rowOf[s]; r >= 0 && s != 0 {
			row := a.rows[int(r)*n : int(r+1)*n]
			copy(row, a.rowFor(a.fail[s]))
			for e := a.edgeStart[s]; e < a.edgeStart[s+1]; e++ {
				row[a.edgeClass[e]] = a.edgeNext[e]
			}
		}
		for e := a.edgeStart[s]; e < a.edgeStart[s+1]; e++ {
			c, t := a.edgeClass[e], a.edgeNext[e]
			a.fail[t] = a.step(a.fail[s], c)
			if ft := a.fail[t]; a.out[ft] >= 0 {
				a.dict[t] = ft
			} else {
				a.dict[t] = a.dict[ft]
			}
			queue = append(queue, t)
		}
	}
	a.report = make([]int32, ns)
	for s := range a.report {
		if a.out[s] >= 0 {
			a.report[s] = int32(s)
		} else {
			a.report[s] = a.dict[s]
		}
	}
	return a
}

// rowFor returns the resolved row of a state that has one.
func (a *acAutomaton) rowFor(s int32) []int32 {
	r := int(a.rowOf[s])
	return a.rows[r*a.nClasses : (r+1)*a.nClasses]
}

// step is the automaton's transition from s on class c, following failure
// links until a state with a row answers.
func (a *acAutomaton) step(s int32, c uint8) int32 {
	for {
		if r := a.rowOf[s]; r >= 0 {
			return a.rows[int(r)*a.nClasses+int(c)]
		}
		for e := a.edgeStart[s]; e < a.edgeStart[s+1]; e++ {
			if a.edgeClass[e] == c {
				return a.edgeNext[e]
			}
		}
		s = a.fail[s]
	}
}

// dfaCache is one Matcher's deterministic transition table for an
// automaton, filled as scans meet (state, class) pairs. Real event text keeps
// visiting the same few thousand states (paths, GUIDs, command lines), so
// after the first events nearly every byte costs one table load, where
// walking the automaton's sparse edges and failure links cost tens of
// nanoseconds per byte on the Sysmon process creation bucket's 13,000
// literals. When the table outgrows its budget it starts again empty, as
// RE2's lazy DFA does, so memory stays bounded whatever the input.
type dfaCache struct {
	a *acAutomaton
	// seen[lit] is the generation of the event the literal was last
	// reported for.
	seen     []uint32
	rowOf    []int32 // state -> row, or -1
	rowState []int32 // row -> state
	// next holds a row of nClasses transitions per visited state: 0 when
	// not yet known, else (target row + 1) << 1, with the low bit set
	// when literals end at the target. 16 bits halve the table, which is
	// read at random and is larger than the processor's caches.
	next []uint16
	// maxRows is the budget; tests lower it to exercise the restart.
	maxRows int
}

// dfaCacheBytes bounds one dfaCache's transition table; maxDFARows is the
// most rows 16-bit entries can name.
const (
	dfaCacheBytes = 8 << 20
	maxDFARows    = 1<<15 - 1
)

func newDFACache(a *acAutomaton) *dfaCache {
	d := &dfaCache{a: a, seen: make([]uint32, a.nLits), rowOf: make([]int32, len(a.fail)), maxRows: max(2, min(maxDFARows, dfaCacheBytes/2/a.nClasses))}
	for s := range d.rowOf {
		d.rowOf[s] = -1
	}
	d.addRow(0)
	return d
}

func (d *dfaCache) addRow(s int32) int32 {
	r := int32(len(d.rowState))
	d.rowOf[s] = r
	d.rowState = append(d.rowState, s)
	n := len(d.next)
	d.next = slices.Grow(d.next, d.a.nClasses)[:n+d.a.nClasses]
	// After a restart the space holds the old table's rows.
	clear(d.next[n:])
	return r
}

// restart forgets every row but the root's and keep's, which it returns.
func (d *dfaCache) restart(keep int32) int32 {
	for _, s := range d.rowState {
		d.rowOf[s] = -1
	}
	d.rowState, d.next = d.rowState[:0], d.next[:0]
	d.addRow(0)
	if keep == 0 {
		return 0
	}
	return d.addRow(keep)
}

// fill computes the transition of row r on class c and records it.
func (d *dfaCache) fill(r, c int32) uint16 {
	a := d.a
	s := d.rowState[r]
	t := a.step(s, uint8(c))
	tr := d.rowOf[t]
	if tr < 0 {
		if len(d.rowState) >= d.maxRows {
			r = d.restart(s)
			tr = d.rowOf[t]
		}
		if tr < 0 {
			tr = d.addRow(t)
		}
	}
	x := uint16(tr+1) << 1
	if a.report[t] > 0 {
		x |= 1
	}
	d.next[r*int32(a.nClasses)+c] = x
	return x
}

// scan reports each literal found in v through found, once per
// generation: events are told apart by gen.
func (d *dfaCache) scan(v string, gen uint32, found func(int32)) {
	a, seen := d.a, d.seen
	n := int32(a.nClasses)
	r := int32(0)
	for i := 0; i < len(v); i++ {
		c := int32(a.class[v[i]])
		x := d.next[r*n+c]
		if x == 0 {
			x = d.fill(r, c)
		}
		r = int32(x>>1) - 1
		if x&1 == 0 {
			continue
		}
		for o := a.report[d.rowState[r]]; o > 0; {
			lit := a.out[o]
			if seen[lit] == gen {
				// Reporting a literal walks its whole suffix chain, so
				// everything below it was reported already.
				break
			}
			seen[lit] = gen
			found(lit)
			o = a.dict[o]
		}
	}
}
