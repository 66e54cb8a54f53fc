package pwsh

import (
	"sort"
	"strings"
)

// The rule engine: each rule looks at every layer through up to three
// lenses: a regular expression over the layer's normalized text (lower
// case, escape ticks and quotes inside names removed), the same expression
// over strings the evaluator computed, and the facts the evaluator
// recorded (commands called with which parameters, downloads, programs
// started, files written).

type hit struct {
	pos, end int
}

type rule struct {
	id     string
	attack string
	sev    Severity
	title  string
	en, ja string
	re     *lazyRegexp // over normalized text and computed strings
	// cmds and params select command facts: the command is one of cmds
	// and, when params is set, one of its parameters abbreviates (or is)
	// one of params.
	cmds      []string
	params    []string
	paramTrue bool // the parameter's value must not be false or 0
	facts     []factKind
	check     func(f fact) bool // further condition on a selected fact
	custom    func(a *analysis, l *layerState) []hit
	inputOnly bool // only the input layer (lures are in what was pasted)
	need      []string
}

// required returns the literals a text must hold for the rule to match:
// the rule's own list, or the one derived from its pattern.
func (r *rule) required() []string {
	if r.need == nil && r.re != nil {
		return r.re.literals()
	}
	return r.need
}

type analysis struct {
	d        *deobfuscation
	findings []Finding
	norm     map[int]*normText
}

// normText is a layer's normalized text with a map back to source offsets.
type normText struct {
	text string
	segs []normSeg
}

type normSeg struct {
	norm, orig, origEnd int
	verbatim            bool
}

func (n *normText) toOrig(p int, isEnd bool) int {
	i := sort.Search(len(n.segs), func(i int) bool { return n.segs[i].norm > p }) - 1
	if i < 0 {
		return 0
	}
	s := n.segs[i]
	if s.verbatim {
		o := s.orig + (p - s.norm)
		if o > s.origEnd {
			o = s.origEnd
		}
		return o
	}
	if isEnd && p > s.norm {
		return s.origEnd
	}
	return s.orig
}

// normalize builds the normalized text of a layer.
func normalize(l *layerState) *normText {
	n := &normText{}
	var b strings.Builder
	b.Grow(len(l.Text))
	add := func(text string, orig, origEnd int, verbatim bool) {
		n.segs = append(n.segs, normSeg{norm: b.Len(), orig: orig, origEnd: origEnd, verbatim: verbatim})
		b.WriteString(lowerASCII(text))
	}
	if l.Language != "powershell" && !l.readable {
		src := l.Text
		if l.Language == "cmd" {
			// carets escape characters in cmd.exe: p^o^w^e^r^s^h^e^l^l
			start := 0
			for i := 0; i < len(src); i++ {
				if src[i] == '^' {
					add(src[start:i], start, i, true)
					start = i + 1
				}
			}
			add(src[start:], start, len(src), true)
		} else {
			add(src, 0, len(src), true)
		}
		n.text = b.String()
		return n
	}
	prev := 0
	for _, t := range l.toks {
		if gap := l.Text[prev:t.Pos]; gap != "" {
			if strings.ContainsAny(gap, "\r\n") {
				add("\n", prev, t.Pos, false)
			} else {
				add(" ", prev, t.Pos, false)
			}
		}
		switch t.Kind {
		case Command, Word, Member, Parameter:
			if t.Value == t.Text {
				add(t.Text, t.Pos, t.End, true)
			} else {
				add(t.Value, t.Pos, t.End, false)
			}
		case Operator:
			if t.Value != t.Text {
				add(t.Value, t.Pos, t.End, false)
			} else {
				add(t.Text, t.Pos, t.End, true)
			}
		default:
			add(t.Text, t.Pos, t.End, true)
		}
		prev = t.End
	}
	if prev < len(l.Text) {
		add(" ", prev, len(l.Text), false)
	}
	n.text = b.String()
	return n
}

// maxHitsPerRule bounds the findings one rule reports for one layer.
const maxHitsPerRule = 3

func (a *analysis) runRules() {
	a.norm = map[int]*normText{}
	for _, l := range a.d.layers {
		nt := normalize(l)
		a.norm[l.Index] = nt
		for i := range rules {
			r := &rules[i]
			if r.inputOnly && l.Index != 0 {
				continue
			}
			hits := a.match(r, l, nt)
			if len(hits) == 0 {
				continue
			}
			if l.readable && a.firedIn(r.id, l.Parent) {
				continue
			}
			sort.Slice(hits, func(i, j int) bool { return hits[i].pos < hits[j].pos })
			n := 0
			lastEnd := -1
			for _, h := range hits {
				if n >= maxHitsPerRule {
					break
				}
				if h.pos < lastEnd {
					continue
				}
				a.add(r, l, h)
				lastEnd = h.end
				n++
			}
		}
	}
	a.keepDeepest()
	sortFindings(a.findings)
}

// keepDeepest drops a finding when the same rule also fired in a layer
// decoded from it: the wrapper (cmd /c ..., powershell -c ...) contains the
// same text, and the decoded layer shows it best.
func (a *analysis) keepDeepest() {
	fired := map[string]map[int]bool{}
	for _, f := range a.findings {
		if fired[f.ID] == nil {
			fired[f.ID] = map[int]bool{}
		}
		fired[f.ID][f.Layer] = true
	}
	descendantFired := func(id string, layer int) bool {
		for l := range fired[id] {
			for p := a.d.layers[l].Parent; p >= 0; p = a.d.layers[p].Parent {
				if p == layer {
					return true
				}
			}
		}
		return false
	}
	kept := a.findings[:0]
	for _, f := range a.findings {
		if !descendantFired(f.ID, f.Layer) {
			kept = append(kept, f)
		}
	}
	a.findings = kept
}

func (a *analysis) firedIn(id string, layer int) bool {
	for _, f := range a.findings {
		if f.ID == id && f.Layer == layer {
			return true
		}
	}
	return false
}

func (a *analysis) add(r *rule, l *layerState, h hit) {
	if h.end > len(l.Text) {
		h.end = len(l.Text)
	}
	if h.pos > h.end {
		h.pos = h.end
	}
	a.findings = append(a.findings, Finding{
		ID: r.id, Attack: r.attack, Severity: r.sev, Title: r.title,
		Layer: l.Index, Start: h.pos, End: h.end, Snippet: snippet(l.Text[h.pos:h.end]),
		Explain: Text{EN: r.en, JA: r.ja},
	})
}

// snippet shortens text for display: at most 160 characters, one line.
func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) > 160 {
		return string(r[:150]) + " …" + string(r[len(r)-8:])
	}
	return s
}

func (a *analysis) match(r *rule, l *layerState, nt *normText) []hit {
	var hits []hit
	if r.re != nil {
		// Patterns describe one line; running them line by line on the
		// lines that hold a required literal keeps big scripts fast.
		if mayMatch(r.required(), nt.text) {
			text := nt.text
			for start := 0; start < len(text) && len(hits) < maxHitsPerRule*4; {
				end := strings.IndexByte(text[start:], '\n')
				if end < 0 {
					end = len(text)
				} else {
					end += start
				}
				if line := text[start:end]; mayMatch(r.required(), line) {
					for _, m := range r.re.FindAllStringIndex(line, maxHitsPerRule*4) {
						hits = append(hits, hit{nt.toOrig(start+m[0], false), nt.toOrig(start+m[1], true)})
					}
				}
				start = end + 1
			}
		}
		for _, f := range l.folds {
			if ft := lowerASCII(f.text); mayMatch(r.required(), ft) && r.re.MatchString(ft) {
				hits = append(hits, hit{f.pos, f.end})
			}
		}
	}
	if len(r.cmds) > 0 || len(r.facts) > 0 {
		for _, f := range l.facts {
			if r.selects(f) {
				hits = append(hits, hit{f.pos, f.end})
			}
		}
	}
	if r.custom != nil {
		hits = append(hits, r.custom(a, l)...)
	}
	return hits
}

func (r *rule) selects(f fact) bool {
	if len(r.facts) > 0 {
		ok := false
		for _, k := range r.facts {
			if f.kind == k {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if len(r.cmds) > 0 {
		if f.kind != factCommand {
			return false
		}
		ok := false
		for _, c := range r.cmds {
			if f.name == c {
				ok = true
			}
		}
		if !ok {
			return false
		}
		if len(r.params) > 0 && !r.hasParam(f) {
			return false
		}
	}
	return r.check == nil || r.check(f)
}

// hasParam reports a parameter of f naming one of r.params: PowerShell
// accepts unambiguous prefixes, and some parameters have short aliases,
// which appear in r.params as they are.
func (r *rule) hasParam(f fact) bool {
	for i, p := range f.params {
		for _, want := range r.params {
			if p == want || len(p) >= 5 && strings.HasPrefix(want, p) {
				if r.paramTrue && i < len(f.pvals) && isFalseValue(f.pvals[i]) {
					continue
				}
				return true
			}
		}
	}
	return false
}

func isFalseValue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "false", "0", "$false":
		return true
	}
	return false
}
