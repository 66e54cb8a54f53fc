package sigma

import "sort"

// acAutomaton is an Aho-Corasick automaton over lowered literals. It reads
// event values with ASCII case folding and reports every literal that occurs
// in them, so that a rule whose required literals are all absent is skipped
// before any of its matchers runs.
//
// The root has a dense transition table; other states keep their edges
// sorted in one shared array, which keeps memory proportional to the total
// literal length even for thousands of rules.
type acAutomaton struct {
	root      [256]int32
	edgeStart []int32 // per state: first edge; edgeStart[s+1] ends it
	edgeByte  []byte
	edgeNext  []int32
	fail      []int32
	// dense gives states with many edges a full transition row (index into
	// rows, or -1): a linear search over dozens of edges per byte was the
	// prefilter's main cost.
	dense []int32
	rows  [][256]int32
	out   []int32 // literal ending at the state, or -1
	dict  []int32 // next state on the fail chain with out >= 0, or 0
	nLits int
}

// buildAutomaton builds the automaton for lits, which must be distinct and
// already folded. Literal i is reported as i.
func buildAutomaton(lits []string) *acAutomaton {
	type trieNode struct {
		next map[byte]int32
		out  int32
	}
	nodes := []trieNode{{out: -1}}
	for i, l := range lits {
		s := int32(0)
		for j := 0; j < len(l); j++ {
			c := l[j]
			if nodes[s].next == nil {
				nodes[s].next = map[byte]int32{}
			}
			t, ok := nodes[s].next[c]
			if !ok {
				t = int32(len(nodes))
				nodes = append(nodes, trieNode{out: -1})
				nodes[s].next[c] = t
			}
			s = t
		}
		nodes[s].out = int32(i)
	}
	a := &acAutomaton{
		edgeStart: make([]int32, len(nodes)+1),
		fail:      make([]int32, len(nodes)),
		out:       make([]int32, len(nodes)),
		dict:      make([]int32, len(nodes)),
		nLits:     len(lits),
	}
	for s := range nodes {
		a.out[s] = nodes[s].out
		a.edgeStart[s] = int32(len(a.edgeByte))
		keys := make([]int, 0, len(nodes[s].next))
		for c := range nodes[s].next {
			keys = append(keys, int(c))
		}
		sort.Ints(keys)
		for _, c := range keys {
			a.edgeByte = append(a.edgeByte, byte(c))
			a.edgeNext = append(a.edgeNext, nodes[s].next[byte(c)])
		}
	}
	a.edgeStart[len(nodes)] = int32(len(a.edgeByte))
	a.dense = make([]int32, len(nodes))
	for st := range nodes {
		a.dense[st] = -1
		if st == 0 || len(nodes[st].next) < denseEdges {
			continue
		}
		var row [256]int32
		for c := range row {
			row[c] = -1
		}
		for c, t := range nodes[st].next {
			row[c] = t
		}
		a.dense[st] = int32(len(a.rows))
		a.rows = append(a.rows, row)
	}
	for c := range a.root {
		a.root[c] = -1
	}
	for c, t := range nodes[0].next {
		a.root[c] = t
	}
	// Breadth-first: a state's fail link is the longest proper suffix of
	// its path that is also a path in the trie.
	queue := make([]int32, 0, len(nodes))
	for _, t := range nodes[0].next {
		queue = append(queue, t)
	}
	sort.Slice(queue, func(i, j int) bool { return queue[i] < queue[j] })
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for e := a.edgeStart[s]; e < a.edgeStart[s+1]; e++ {
			c, t := a.edgeByte[e], a.edgeNext[e]
			f := a.fail[s]
			for {
				if n := a.child(f, c); n >= 0 && n != t {
					a.fail[t] = n
					break
				}
				if f == 0 {
					a.fail[t] = 0
					break
				}
				f = a.fail[f]
			}
			if ft := a.fail[t]; a.out[ft] >= 0 {
				a.dict[t] = ft
			} else {
				a.dict[t] = a.dict[ft]
			}
			queue = append(queue, t)
		}
	}
	return a
}

// denseEdges is the edge count from which a state gets a dense row.
const denseEdges = 6

func (a *acAutomaton) child(s int32, c byte) int32 {
	if s == 0 {
		return a.root[c]
	}
	if r := a.dense[s]; r >= 0 {
		return a.rows[r][c]
	}
	lo, hi := a.edgeStart[s], a.edgeStart[s+1]
	for lo < hi {
		if a.edgeByte[lo] == c {
			return a.edgeNext[lo]
		}
		lo++
	}
	return -1
}

// scan reports each literal found in v through seen: seen[i] is set to gen
// the first time literal i is found, and found is called then.
func (a *acAutomaton) scan(v string, seen []uint32, gen uint32, found func(int32)) {
	s := int32(0)
	for i := 0; i < len(v); i++ {
		c := lowerASCII[v[i]]
		for {
			if s == 0 {
				s = a.root[c]
				if s < 0 {
					s = 0
				}
				break
			}
			if t := a.child(s, c); t >= 0 {
				s = t
				break
			}
			s = a.fail[s]
		}
		o := s
		if a.out[o] < 0 {
			o = a.dict[o]
		}
		for o > 0 {
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
