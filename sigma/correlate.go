package sigma

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MaxCorrelationEvents caps the events listed in one [CorrelationMatch]; the
// count of all joined events is still given.
const MaxCorrelationEvents = 100

// correlation is a compiled correlation rule.
type correlation struct {
	info     *RuleInfo
	typ      CorrelationType
	refs     []*RuleInfo // referenced rules, in rule order (repeats allowed)
	groupBy  []string
	aliases  map[string]map[*RuleInfo]string
	timespan time.Duration
	cond     []Comparison
	field    []string
	// sliding is true when the condition has only lower bounds: it can then
	// be decided as soon as an event arrives. Otherwise windows are closed
	// first (tumbling windows, starting at a group's first event).
	sliding bool
	line    int
}

func parseTimespan(s string) (time.Duration, bool) {
	if len(s) < 2 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[:len(s)-1], 10, 32)
	if err != nil || n == 0 {
		return 0, false
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 's':
		unit = time.Second
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	case 'M':
		unit = 30 * 24 * time.Hour
	case 'y':
		unit = 365 * 24 * time.Hour
	default:
		return 0, false
	}
	return time.Duration(n) * unit, true
}

func (cc *compiler) compileCorrelations(rules []*Rule, byRef map[string]*RuleInfo, claim func(*Rule, *RuleInfo) bool, instOf map[*RuleInfo][]*instance) []Diagnostic {
	var diags []Diagnostic
	type pending struct {
		r    *Rule
		info *RuleInfo
		c    *correlation
	}
	var ps []*pending
	for _, r := range rules {
		c, err := checkCorrelation(r)
		if err != nil {
			diags = append(diags, r.diagnostic(err))
			continue
		}
		info := newInfo(r)
		if !claim(r, info) {
			continue
		}
		c.info = info
		ps = append(ps, &pending{r: r, info: info, c: c})
	}
	// Resolve references until no more correlations fall out: one that
	// refers to a rejected correlation is rejected too.
	rejected := map[*RuleInfo]bool{}
	for changed := true; changed; {
		changed = false
		for _, p := range ps {
			if rejected[p.info] {
				continue
			}
			if err := resolveRefs(p.r, p.c, byRef, rejected); err != nil {
				rejected[p.info] = true
				diags = append(diags, p.r.diagnostic(err))
				changed = true
			}
		}
	}
	// Chains must not loop back on themselves.
	corrOf := map[*RuleInfo]*correlation{}
	for _, p := range ps {
		if !rejected[p.info] {
			corrOf[p.info] = p.c
		}
	}
	for _, p := range ps {
		if rejected[p.info] {
			continue
		}
		if cyc := findCycle(p.c, corrOf, map[*correlation]bool{}); cyc {
			rejected[p.info] = true
			diags = append(diags, p.r.diagnostic(errorf(ReasonBadCorrelation, p.c.line, "correlation chain refers back to itself")))
		}
	}
	var ordered []*correlation
	for _, p := range ps {
		if rejected[p.info] {
			continue
		}
		p.info.index = len(cc.rs.rules)
		cc.rs.rules = append(cc.rs.rules, p.info)
		ordered = append(ordered, p.c)
	}
	// Referenced rules feed correlations; unless a correlation asks to
	// generate them, they are not findings by themselves.
	for _, c := range ordered {
		for _, ref := range c.refs {
			if !ref.Correlated {
				ref.Emit = false
			}
			ref.Correlated = true
		}
	}
	for _, c := range ordered {
		gen := false
		for _, p := range ps {
			if p.c == c {
				gen = p.r.Correlation.Generate
			}
		}
		if gen {
			for _, ref := range c.refs {
				ref.Emit = true
			}
		}
	}
	// Capture the fields each correlation reads from its rules' matches.
	for _, c := range ordered {
		for _, ref := range c.refs {
			names := append([]string(nil), c.field...)
			for _, g := range c.groupBy {
				names = append(names, c.fieldFor(g, ref))
			}
			for _, in := range instOf[ref] {
				cc.src = in.src
				cc.fields = nil
			next:
				for _, n := range names {
					for _, have := range in.capture {
						if have.name == n {
							continue next
						}
					}
					in.capture = append(in.capture, captureField{name: n, field: cc.fieldID(n)})
				}
			}
		}
	}
	cc.src = nil
	cc.rs.correlations = ordered
	return diags
}

func checkCorrelation(r *Rule) (*correlation, *ruleError) {
	cr := r.Correlation
	line := cr.Line
	if r.Title == "" {
		return nil, errorf(ReasonSchema, r.Line, "correlation has no title")
	}
	c := &correlation{typ: cr.Type, groupBy: cr.GroupBy, cond: cr.Condition, field: cr.Field, line: line}
	switch cr.Type {
	case EventCount, ValueCount, Temporal, TemporalOrdered, ValueSum, ValueAvg, ValuePercentile:
	default:
		return nil, errorf(ReasonBadCorrelation, line, "unknown correlation type %q", cr.Type)
	}
	if len(cr.Rules) == 0 {
		return nil, errorf(ReasonBadCorrelation, line, "correlation names no rules")
	}
	ts, ok := parseTimespan(cr.Timespan.S)
	if !ok {
		l := cr.Timespan.Line
		if l == 0 {
			l = line
		}
		return nil, errorf(ReasonBadCorrelation, l, "timespan %q is not a number followed by s, m, h or d", cr.Timespan.S)
	}
	c.timespan = ts
	switch cr.Type {
	case EventCount, ValueCount, ValueSum, ValueAvg, ValuePercentile:
		if len(cr.Condition) == 0 {
			return nil, errorf(ReasonBadCorrelation, line, "%s needs a condition", cr.Type)
		}
	}
	switch cr.Type {
	case ValueCount, ValueSum, ValueAvg, ValuePercentile:
		if len(cr.Field) == 0 {
			return nil, errorf(ReasonBadCorrelation, line, "%s needs condition.field", cr.Type)
		}
	default:
		if len(cr.Field) > 0 {
			return nil, errorf(ReasonBadCorrelation, line, "%s takes no condition.field", cr.Type)
		}
	}
	c.sliding = cr.Type != ValuePercentile
	for _, cmp := range cr.Condition {
		if cmp.Op != "gt" && cmp.Op != "gte" {
			c.sliding = false
		}
	}
	return c, nil
}

func resolveRefs(r *Rule, c *correlation, byRef map[string]*RuleInfo, rejected map[*RuleInfo]bool) *ruleError {
	c.refs = c.refs[:0]
	for _, t := range r.Correlation.Rules {
		info, ok := byRef[t.S]
		if !ok {
			return &ruleError{reason: ReasonUnknownCorrelationRule, line: t.Line, column: t.Column, msg: fmt.Sprintf("correlation refers to %q, which is not a loaded rule id or name", t.S)}
		}
		if rejected[info] {
			return &ruleError{reason: ReasonUnknownCorrelationRule, line: t.Line, column: t.Column, msg: fmt.Sprintf("correlation refers to %q, which was rejected", t.S)}
		}
		c.refs = append(c.refs, info)
	}
	c.aliases = map[string]map[*RuleInfo]string{}
	for alias, m := range r.Correlation.Aliases {
		c.aliases[alias] = map[*RuleInfo]string{}
		for name, field := range m {
			info, ok := byRef[name]
			if !ok {
				return errorf(ReasonUnknownCorrelationRule, r.Correlation.Line, "alias %q refers to rule %q, which is not loaded", alias, name)
			}
			c.aliases[alias][info] = field
		}
	}
	return nil
}

func findCycle(c *correlation, corrOf map[*RuleInfo]*correlation, onPath map[*correlation]bool) bool {
	if onPath[c] {
		return true
	}
	onPath[c] = true
	defer delete(onPath, c)
	for _, ref := range c.refs {
		if inner, ok := corrOf[ref]; ok && findCycle(inner, corrOf, onPath) {
			return true
		}
	}
	return false
}

// fieldFor gives the field a group-by name stands for in a rule's events.
func (c *correlation) fieldFor(group string, ref *RuleInfo) string {
	if m, ok := c.aliases[group]; ok {
		if f, ok := m[ref]; ok {
			return f
		}
	}
	return group
}

// CorrelationMatch is one correlation rule matching.
type CorrelationMatch struct {
	Rule *RuleInfo
	// Time is the time of the last event that completed the match.
	Time time.Time
	// Group holds the group-by values, in group-by order.
	Group []MatchedField
	// Value is the aggregate the condition tested (count, distinct values,
	// sum, average, share in percent); for temporal types, the number of
	// distinct rules seen.
	Value float64
	// Events are the references given to [Correlator.Add] for the joined
	// events, at most MaxCorrelationEvents, in time order.
	Events []int
	// EventCount is the number of joined events.
	EventCount int
}

// Correlator evaluates the correlation rules of a Ruleset over matches given
// in time order. It holds only the matches inside each correlation's
// timespan. It is not safe for concurrent use.
type Correlator struct {
	rs     *Ruleset
	states []*corrState
	users  map[*RuleInfo][]int // rule -> correlations using it
	adds   int
	now    time.Time
}

type corrState struct {
	c      *correlation
	groups map[string]*groupState
}

type entry struct {
	t     time.Time
	refs  []int
	count int
	val   string
	num   float64
	step  int
}

type groupState struct {
	key     []MatchedField
	entries []entry
	start   time.Time // tumbling window start
	// temporal_ordered: the best partial chain ending at each step.
	chain []*chainLink
}

type chainLink struct {
	start time.Time
	refs  []int
	count int
}

// NewCorrelator returns a Correlator for the correlations of rs.
func (rs *Ruleset) NewCorrelator() *Correlator {
	c := &Correlator{rs: rs, users: map[*RuleInfo][]int{}}
	for i, corr := range rs.correlations {
		c.states = append(c.states, &corrState{c: corr, groups: map[string]*groupState{}})
		seen := map[*RuleInfo]bool{}
		for _, ref := range corr.refs {
			if !seen[ref] {
				seen[ref] = true
				c.users[ref] = append(c.users[ref], i)
			}
		}
	}
	return c
}

// Wants reports whether any correlation uses the rule's matches.
func (c *Correlator) Wants(r *RuleInfo) bool { return len(c.users[r]) > 0 }

// Add feeds a match of a detection rule that happened at t; ref is the
// caller's reference to the event, reported back in CorrelationMatch.Events.
// Matches must come in time order. emit is called for each correlation that
// matches, chained correlations included.
func (c *Correlator) Add(m *Match, t time.Time, ref int, emit func(*CorrelationMatch)) {
	if t.After(c.now) {
		c.now = t
	}
	c.feed(m.Rule, m.Values, t, []int{ref}, 1, emit)
	c.adds++
	if c.adds%4096 == 0 {
		c.sweep(emit)
	}
}

func (c *Correlator) feed(rule *RuleInfo, values map[string]string, t time.Time, refs []int, count int, emit func(*CorrelationMatch)) {
	for _, i := range c.users[rule] {
		st := c.states[i]
		st.add(rule, values, t, refs, count, func(cm *CorrelationMatch) {
			emit(cm)
			group := make(map[string]string, len(cm.Group))
			for _, g := range cm.Group {
				group[g.Name] = g.Value
			}
			c.feed(cm.Rule, group, cm.Time, cm.Events, cm.EventCount, emit)
		})
	}
}

// Flush closes every open window and reports the correlations they satisfy.
// Call it after the last match.
func (c *Correlator) Flush(emit func(*CorrelationMatch)) {
	for _, st := range c.states {
		for _, k := range sortedKeys(st.groups) {
			st.closeWindow(st.groups[k], c.chainEmit(emit))
			delete(st.groups, k)
		}
	}
}

func (c *Correlator) chainEmit(emit func(*CorrelationMatch)) func(*CorrelationMatch) {
	return func(cm *CorrelationMatch) {
		emit(cm)
		group := make(map[string]string, len(cm.Group))
		for _, g := range cm.Group {
			group[g.Name] = g.Value
		}
		c.feed(cm.Rule, group, cm.Time, cm.Events, cm.EventCount, emit)
	}
}

// sweep drops groups whose events all left their timespan, so that memory
// follows the timespan rather than the number of groups ever seen.
func (c *Correlator) sweep(emit func(*CorrelationMatch)) {
	for _, st := range c.states {
		for _, k := range sortedKeys(st.groups) {
			g := st.groups[k]
			if !st.stale(g, c.now) {
				continue
			}
			st.closeWindow(g, c.chainEmit(emit))
			delete(st.groups, k)
		}
	}
}

func sortedKeys(m map[string]*groupState) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (st *corrState) stale(g *groupState, now time.Time) bool {
	latest := time.Time{}
	for _, e := range g.entries {
		if e.t.After(latest) {
			latest = e.t
		}
	}
	for _, l := range g.chain {
		if l != nil && l.start.After(latest) {
			latest = l.start
		}
	}
	if !st.c.sliding && len(g.entries) > 0 {
		return now.Sub(g.start) > st.c.timespan
	}
	return now.Sub(latest) > st.c.timespan
}

func (st *corrState) add(rule *RuleInfo, values map[string]string, t time.Time, refs []int, count int, emit func(*CorrelationMatch)) {
	c := st.c
	key := make([]MatchedField, len(c.groupBy))
	var kb strings.Builder
	for i, g := range c.groupBy {
		v := values[c.fieldFor(g, rule)]
		key[i] = MatchedField{Name: g, Value: v}
		kb.WriteString(v)
		kb.WriteByte(0)
	}
	g, ok := st.groups[kb.String()]
	if !ok {
		g = &groupState{key: key}
		st.groups[kb.String()] = g
	}
	e := entry{t: t, refs: refs, count: count}
	switch c.typ {
	case ValueCount, ValuePercentile:
		parts := make([]string, len(c.field))
		for i, f := range c.field {
			parts[i] = values[f]
		}
		e.val = strings.Join(parts, "\x00")
	case ValueSum, ValueAvg:
		n, ok := parseNumber(values[c.field[0]])
		if !ok {
			return // a value that is no number cannot be summed
		}
		e.num = n
	}
	switch c.typ {
	case Temporal:
		st.addTemporal(g, rule, e, emit)
		return
	case TemporalOrdered:
		st.addOrdered(g, rule, e, emit)
		return
	}
	if !c.sliding {
		if len(g.entries) > 0 && t.Sub(g.start) > c.timespan {
			st.closeWindow(g, emit)
		}
		if len(g.entries) == 0 {
			g.start = t
		}
		g.entries = append(g.entries, e)
		return
	}
	g.entries = append(g.entries, e)
	g.prune(t, c.timespan)
	if v := st.aggregate(g.entries); satisfies(c.cond, v) {
		emit(st.result(g, g.entries, v))
		g.entries = nil
	}
}

// prune drops entries older than the timespan before t. The window is
// inclusive: an event exactly timespan before t is still in it.
func (g *groupState) prune(t time.Time, span time.Duration) {
	i := 0
	for i < len(g.entries) && t.Sub(g.entries[i].t) > span {
		i++
	}
	if i > 0 {
		g.entries = append(g.entries[:0], g.entries[i:]...)
	}
}

// closeWindow decides a tumbling window, or for sliding types just forgets
// the group.
func (st *corrState) closeWindow(g *groupState, emit func(*CorrelationMatch)) {
	c := st.c
	if c.sliding || len(g.entries) == 0 {
		g.entries = nil
		return
	}
	entries := g.entries
	g.entries = nil
	if c.typ == ValuePercentile {
		// Share of each distinct value among the window's events.
		total := 0
		counts := map[string]int{}
		for _, e := range entries {
			counts[e.val] += e.count
			total += e.count
		}
		vals := make([]string, 0, len(counts))
		for v := range counts {
			vals = append(vals, v)
		}
		sort.Strings(vals)
		for _, v := range vals {
			share := 100 * float64(counts[v]) / float64(total)
			if !satisfies(c.cond, share) {
				continue
			}
			var sel []entry
			for _, e := range entries {
				if e.val == v {
					sel = append(sel, e)
				}
			}
			emit(st.result(g, sel, share))
		}
		return
	}
	if v := st.aggregate(entries); satisfies(c.cond, v) {
		emit(st.result(g, entries, v))
	}
}

func (st *corrState) aggregate(entries []entry) float64 {
	switch st.c.typ {
	case EventCount:
		n := 0
		for _, e := range entries {
			n += e.count
		}
		return float64(n)
	case ValueCount:
		seen := map[string]bool{}
		for _, e := range entries {
			seen[e.val] = true
		}
		return float64(len(seen))
	case ValueSum, ValueAvg:
		sum := 0.0
		for _, e := range entries {
			sum += e.num
		}
		if st.c.typ == ValueAvg {
			return sum / float64(len(entries))
		}
		return sum
	}
	return math.NaN()
}

func satisfies(cond []Comparison, v float64) bool {
	for _, c := range cond {
		if !compare(c.Op, v, c.Value) {
			return false
		}
	}
	return true
}

func (st *corrState) result(g *groupState, entries []entry, v float64) *CorrelationMatch {
	cm := &CorrelationMatch{Rule: st.c.info, Group: g.key, Value: v}
	for _, e := range entries {
		if e.t.After(cm.Time) {
			cm.Time = e.t
		}
		cm.EventCount += e.count
		for _, r := range e.refs {
			if len(cm.Events) < MaxCorrelationEvents {
				cm.Events = append(cm.Events, r)
			}
		}
	}
	return cm
}

// addTemporal keeps the latest event of each referenced rule; the
// correlation matches when the rules seen within the timespan satisfy the
// condition (all of them by default).
func (st *corrState) addTemporal(g *groupState, rule *RuleInfo, e entry, emit func(*CorrelationMatch)) {
	c := st.c
	for i, ref := range c.refs {
		if ref != rule {
			continue
		}
		e.step = i
		replaced := false
		for j := range g.entries {
			if g.entries[j].step == i {
				g.entries[j] = e
				replaced = true
			}
		}
		if !replaced {
			g.entries = append(g.entries, e)
		}
	}
	kept := g.entries[:0]
	for _, x := range g.entries {
		if e.t.Sub(x.t) <= c.timespan {
			kept = append(kept, x)
		}
	}
	g.entries = kept
	distinct := map[*RuleInfo]bool{}
	for _, x := range g.entries {
		distinct[c.refs[x.step]] = true
	}
	n := float64(len(distinct))
	ok := false
	if len(c.cond) == 0 {
		ok = n == float64(countDistinct(c.refs))
	} else {
		ok = satisfies(c.cond, n)
	}
	if ok {
		sorted := append([]entry(nil), g.entries...)
		sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].t.Before(sorted[b].t) })
		emit(st.result(g, sorted, n))
		g.entries = nil
	}
}

func countDistinct(refs []*RuleInfo) int {
	seen := map[*RuleInfo]bool{}
	for _, r := range refs {
		seen[r] = true
	}
	return len(seen)
}

// addOrdered extends partial chains: an event of step i continues the best
// chain ending at step i-1 if that chain started within the timespan. Steps
// are tried from the last down, so that one event never fills two steps.
func (st *corrState) addOrdered(g *groupState, rule *RuleInfo, e entry, emit func(*CorrelationMatch)) {
	c := st.c
	if g.chain == nil {
		g.chain = make([]*chainLink, len(c.refs))
	}
	for i := len(c.refs) - 1; i >= 0; i-- {
		if c.refs[i] != rule {
			continue
		}
		var link *chainLink
		if i == 0 {
			link = &chainLink{start: e.t, refs: e.refs, count: e.count}
		} else if prev := g.chain[i-1]; prev != nil && e.t.Sub(prev.start) <= c.timespan {
			refs := append(append([]int(nil), prev.refs...), e.refs...)
			link = &chainLink{start: prev.start, refs: refs, count: prev.count + e.count}
		}
		if link == nil {
			continue
		}
		if cur := g.chain[i]; cur == nil || !cur.start.After(link.start) {
			g.chain[i] = link
		}
		if i == len(c.refs)-1 {
			done := g.chain[i]
			cm := &CorrelationMatch{Rule: c.info, Group: g.key, Time: e.t, Value: float64(len(c.refs)), EventCount: done.count}
			if len(done.refs) > MaxCorrelationEvents {
				cm.Events = done.refs[:MaxCorrelationEvents]
			} else {
				cm.Events = done.refs
			}
			emit(cm)
			g.chain = nil
			return
		}
	}
}
