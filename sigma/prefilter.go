package sigma

import "sort"

// acAutomaton is an Aho-Corasick automaton over folded literals. It reads
// event values with ASCII case folding and reports every literal that occurs
// in them, so that rules whose literals are absent are skipped, and literal
// matchers rejected, before any comparison runs.
//
// Bytes are first mapped to classes (bytes that occur in no literal share
// class 0). States near the root, where a scan spends most of its time, get
// full transition rows with failure links already followed (a DFA); deeper
// states keep sorted sparse edges and fall back along failure links until
// they reach a state with a row. Memory stays proportional to the literals
// while the common path costs one table lookup per byte.
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
	// codeOf, codes and rowState serve the scan loop (see buildAutomaton).
	codeOf   []int32
	codes    []int32
	rowState []int32
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

	type trieNode struct {
		next  map[uint8]int32
		out   int32
		depth int
	}
	nodes := []trieNode{{out: -1}}
	for i, l := range lits {
		s := int32(0)
		for j := 0; j < len(l); j++ {
			c := classOfFolded[l[j]]
			if nodes[s].next == nil {
				nodes[s].next = map[uint8]int32{}
			}
			t, ok := nodes[s].next[c]
			if !ok {
				t = int32(len(nodes))
				nodes = append(nodes, trieNode{out: -1, depth: nodes[s].depth + 1})
				nodes[s].next[c] = t
			}
			s = t
		}
		nodes[s].out = int32(i)
	}
	ns := len(nodes)
	a.edgeStart = make([]int32, ns+1)
	a.fail = make([]int32, ns)
	a.out = make([]int32, ns)
	a.dict = make([]int32, ns)
	a.rowOf = make([]int32, ns)
	for s := range nodes {
		a.out[s] = nodes[s].out
		a.edgeStart[s] = int32(len(a.edgeClass))
		keys := make([]int, 0, len(nodes[s].next))
		for c := range nodes[s].next {
			keys = append(keys, int(c))
		}
		sort.Ints(keys)
		for _, c := range keys {
			a.edgeClass = append(a.edgeClass, uint8(c))
			a.edgeNext = append(a.edgeNext, nodes[s].next[uint8(c)])
		}
		a.rowOf[s] = -1
		if nodes[s].depth <= rowDepth {
			a.rowOf[s] = int32(len(a.rows) / n)
			a.rows = append(a.rows, make([]int32, n)...)
		}
	}
	a.edgeStart[ns] = int32(len(a.edgeClass))

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
	// The scan reads transitions as codes: a state with a row is its row
	// index, one without is its negated id, both shifted left with the
	// low bit set when literals end there. The common path then costs one
	// table load per byte.
	a.codeOf = make([]int32, ns)
	for st := range a.codeOf {
		x := -int32(st) - 1
		if a.rowOf[st] >= 0 {
			x = a.rowOf[st]
		}
		a.codeOf[st] = x << 1
		if a.report[st] > 0 {
			a.codeOf[st] |= 1
		}
	}
	a.codes = make([]int32, len(a.rows))
	for i, t := range a.rows {
		a.codes[i] = a.codeOf[t]
	}
	a.rowState = make([]int32, len(a.rows)/n)
	for st, r := range a.rowOf {
		if r >= 0 {
			a.rowState[r] = int32(st)
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

// scan reports each literal found in v through seen: seen[i] is set to gen
// the first time literal i is found, and found is called then.
func (a *acAutomaton) scan(v string, seen []uint32, gen uint32, found func(int32)) {
	code := int32(0) // the root: row 0, nothing to report
	codes, n := a.codes, int32(a.nClasses)
	for i := 0; i < len(v); i++ {
		c := int32(a.class[v[i]])
		if x := code >> 1; x >= 0 {
			code = codes[x*n+c]
		} else {
			code = a.codeOf[a.step(-x-1, uint8(c))]
		}
		if code&1 == 0 {
			continue
		}
		s := -(code >> 1) - 1
		if x := code >> 1; x >= 0 {
			s = a.rowState[x]
		}
		for o := a.report[s]; o > 0; {
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
