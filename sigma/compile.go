package sigma

import (
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// Config tunes [Compile].
type Config struct {
	// LogSources maps logsource blocks to event sources; nil means
	// [DefaultLogSources].
	LogSources *LogSources
	// Placeholders gives the values of %name% placeholders for the expand
	// modifier. A rule that uses a placeholder not given here is rejected.
	Placeholders map[string][]string
}

// RuleInfo describes a loaded rule.
type RuleInfo struct {
	ID          string
	Name        string
	Title       string
	Level       string
	Status      string
	Description string
	Author      string
	Tags        []string
	References  []string
	File        string
	Line        int
	// Correlation is the correlation type, or "" for a detection rule.
	Correlation CorrelationType
	// Emit is false for rules that only feed correlations (generate is not
	// set on any correlation that uses them): their matches are not
	// findings by themselves.
	Emit bool
	// Correlated is true when a correlation uses this rule's matches.
	Correlated bool

	index int
}

// Ruleset is a compiled, immutable set of rules. It is safe for concurrent
// use; each goroutine needs its own [Matcher].
type Ruleset struct {
	rules        []*RuleInfo // detection rules, then correlations
	fields       []fieldDef
	fieldIDs     map[string]int
	litIDs       map[string]int32 // folded literal -> id, for the prefilter
	litText      []string         // id -> literal
	idx          index
	correlations []*correlation
	// interning guards fields and literals while rules compile in
	// parallel; once Compile returns they are only read.
	interning sync.Mutex
}

// Rules returns every loaded rule, detection rules first, in load order.
func (rs *Ruleset) Rules() []*RuleInfo { return rs.rules }

// fieldDef is one way of reading a field from an event, shared by every
// rule that reads it the same way.
type fieldDef struct {
	m FieldMapping
	// payload is true when the value is one of the event's payload values
	// as is, so that the literal prefilter may rely on it.
	payload bool
}

func (f *fieldDef) read(ev Event) (string, bool) {
	var v string
	var ok bool
	if f.m.Join != nil {
		var b strings.Builder
		for _, name := range f.m.Join {
			if p, has := ev.Field(name); has && p != "" {
				if ok {
					b.WriteString(f.m.Separator)
				}
				b.WriteString(p)
				ok = true
			}
		}
		v = b.String()
	} else {
		v, ok = ev.Field(f.m.Field)
	}
	if !ok {
		return "", false
	}
	for _, p := range f.m.Prefixes {
		if len(v) >= len(p[0]) && strings.EqualFold(v[:len(p[0])], p[0]) {
			v = p[1] + v[len(p[0]):]
			break
		}
	}
	for from, to := range f.m.Values {
		if strings.EqualFold(v, from) {
			return to, true
		}
	}
	return v, true
}

// instance is a detection rule compiled for one source.
type instance struct {
	info *RuleInfo
	src  *Source
	root node
	// clauses is the prefilter: the rule can match only if every clause has
	// a literal (a ruleset literal id) that occurs in the event's payload;
	// nil: always run.
	clauses [][]int32
	keys    []bucketKey
	fields  map[string]int // rule field name -> field id, for captures
	// capture lists the fields correlations read from this rule's matches.
	capture []captureField
}

type captureField struct {
	name  string
	field int
}

type compiler struct {
	rs           *Ruleset
	ls           *LogSources
	placeholders map[string][]string
	src          *Source
	fields       map[string]int
}

// fieldID interns a field for the current source.
func (cc *compiler) fieldID(name string) int {
	m, ok := FieldMapping{}, false
	if cc.src != nil {
		m, ok = cc.src.Fields[name]
	}
	if !ok {
		m = FieldMapping{Field: name}
	}
	id := cc.rs.internField(m, cc.ls)
	if cc.fields != nil {
		cc.fields[name] = id
	}
	return id
}

// field returns the definition of field id while rules compile.
func (rs *Ruleset) field(id int) fieldDef {
	rs.interning.Lock()
	defer rs.interning.Unlock()
	return rs.fields[id]
}

func (rs *Ruleset) internField(m FieldMapping, ls *LogSources) int {
	k := m.key()
	rs.interning.Lock()
	defer rs.interning.Unlock()
	if id, ok := rs.fieldIDs[k]; ok {
		return id
	}
	id := len(rs.fields)
	plain := m.Join == nil && m.Values == nil && m.Prefixes == nil
	rs.fields = append(rs.fields, fieldDef{m: m, payload: plain && !ls.header[m.Field]})
	rs.fieldIDs[k] = id
	return id
}

// Compile checks and compiles rules. Rules that cannot be used are reported
// in the diagnostics, sorted by file and line; the Ruleset holds all others.
func Compile(rules []*Rule, cfg Config) (*Ruleset, []Diagnostic) {
	ls := cfg.LogSources
	if ls == nil {
		ls = DefaultLogSources()
	}
	rs := &Ruleset{fieldIDs: map[string]int{}, litIDs: map[string]int32{}}
	cc := &compiler{rs: rs, ls: ls, placeholders: cfg.Placeholders}
	var diags []Diagnostic
	byRef := map[string]*RuleInfo{}
	instOf := map[*RuleInfo][]*instance{}
	var insts []*instance
	var corrRules []*Rule

	claim := func(r *Rule, info *RuleInfo) bool {
		for _, key := range []string{r.ID, r.Name} {
			if key == "" {
				continue
			}
			if prev, dup := byRef[key]; dup {
				diags = append(diags, r.diagnostic(errorf(ReasonDuplicateID, r.Line, "id or name %q is already used by the rule at %s:%d", key, prev.File, prev.Line)))
				return false
			}
		}
		for _, key := range []string{r.ID, r.Name} {
			if key != "" {
				byRef[key] = info
			}
		}
		return true
	}

	// Rules compile on every CPU; what depends on rule order (ids, names,
	// the rule index) is done after, in order.
	type compiled struct {
		insts []*instance
		err   *ruleError
	}
	results := make([]compiled, len(rules))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wc := &compiler{rs: rs, ls: ls, placeholders: cfg.Placeholders}
			for i := int(next.Add(1)) - 1; i < len(rules); i = int(next.Add(1)) - 1 {
				if r := rules[i]; r.Correlation == nil && r.Title != "" {
					results[i].insts, results[i].err = wc.compileRule(r)
				}
			}
		}()
	}
	wg.Wait()
	for i, r := range rules {
		if r.Correlation != nil {
			corrRules = append(corrRules, r)
			continue
		}
		if r.Title == "" {
			diags = append(diags, r.diagnostic(errorf(ReasonSchema, r.Line, "rule has no title")))
			continue
		}
		got, err := results[i].insts, results[i].err
		if err != nil {
			diags = append(diags, r.diagnostic(err))
			continue
		}
		info := newInfo(r)
		if !claim(r, info) {
			continue
		}
		info.index = len(rs.rules)
		rs.rules = append(rs.rules, info)
		for _, in := range got {
			in.info = info
		}
		instOf[info] = got
		insts = append(insts, got...)
	}

	corrDiags := cc.compileCorrelations(corrRules, byRef, claim, instOf)
	diags = append(diags, corrDiags...)

	rs.idx = buildIndex(insts, rs)
	SortDiagnostics(diags)
	return rs, diags
}

func newInfo(r *Rule) *RuleInfo {
	level := strings.ToLower(r.Level)
	if level == "" {
		level = "informational"
	}
	info := &RuleInfo{ID: r.ID, Name: r.Name, Title: r.Title, Level: level, Status: r.Status, Description: r.Description,
		Author: r.Author, Tags: r.Tags, References: r.References, File: r.File, Line: r.Line, Emit: true}
	if r.Correlation != nil {
		info.Correlation = r.Correlation.Type
	}
	return info
}

// compileRule checks a detection rule and compiles one instance per source.
func (cc *compiler) compileRule(r *Rule) ([]*instance, *ruleError) {
	det := r.Detection
	conds := make([]*cond, 0, len(det.Conditions))
	for _, t := range det.Conditions {
		c, err := parseCondition(t.S)
		if err != nil {
			re := &ruleError{reason: ReasonConditionSyntax, line: t.Line, msg: err.msg}
			if t.Column > 0 && !strings.Contains(t.S, "\n") {
				re.column = t.Column + err.col
			}
			return nil, re
		}
		if err := checkIdentifiers(c, det, t); err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	sources, err := cc.ls.resolve(r.LogSource)
	if err != nil {
		if err.line == 0 {
			err.line = r.Line
		}
		return nil, err
	}
	var out []*instance
	var idConflict []string
	for _, src := range sources {
		cc.src = src
		cc.fields = map[string]int{}
		searches := map[string]node{}
		for _, s := range det.Searches {
			n, err := cc.compileSearch(s)
			if err != nil {
				return nil, err
			}
			searches[s.Name] = n
		}
		var roots []node
		for _, c := range conds {
			roots = append(roots, condNode(c, det, searches))
		}
		root := order(flatten(orNode(roots)))
		in := &instance{src: src, fields: cc.fields}
		ruleIDs, hasIDs := eventIDs(root, cc.rs)
		switch {
		case len(src.EventIDs) > 0:
			ids := src.EventIDs
			if hasIDs {
				ids = intersect(ids, ruleIDs)
				if len(ids) == 0 {
					idConflict = append(idConflict, fmt.Sprintf("%s %v", src.Channels, src.EventIDs))
					continue
				}
			}
			for _, ch := range src.Channels {
				for _, id := range ids {
					in.keys = append(in.keys, bucketKey{ch, id})
				}
			}
		case len(src.Channels) > 0:
			for _, ch := range src.Channels {
				if hasIDs {
					for _, id := range ruleIDs {
						in.keys = append(in.keys, bucketKey{ch, id})
					}
				} else {
					in.keys = append(in.keys, bucketKey{ch, anyID})
				}
			}
		default:
			// A product-only rule: narrowed by the channels and event IDs
			// its detection requires, if any.
			chans, hasChans := cc.requiredChannels(root)
			if !hasChans {
				chans = []string{anyChannel}
			}
			for _, ch := range chans {
				if hasIDs {
					for _, id := range ruleIDs {
						in.keys = append(in.keys, bucketKey{ch, id})
					}
				} else {
					in.keys = append(in.keys, bucketKey{ch, anyID})
				}
			}
		}
		if len(in.keys) == 0 {
			idConflict = append(idConflict, fmt.Sprintf("%s %v", src.Channels, src.EventIDs))
			continue
		}
		if len(src.Providers) > 0 {
			pn := &fieldNode{name: "Provider_Name", field: cc.rs.internField(FieldMapping{Field: "Provider_Name"}, cc.ls)}
			for _, p := range src.Providers {
				pn.values = append(pn.values, equalMatcher{foldLiteral(p)})
			}
			root = andNode{sourceCheck{pn}, root}
		}
		in.root = root
		// Interned now, while Compile may still write: buckets are built
		// later, by whichever matcher reaches them first, and only read.
		clauses, _ := required(root, cc.rs)
		cc.rs.interning.Lock()
		for _, clause := range clauses {
			ids := make([]int32, len(clause))
			for i, l := range clause {
				ids[i] = cc.rs.literalIDLocked(l)
			}
			in.clauses = append(in.clauses, ids)
		}
		cc.rs.interning.Unlock()
		out = append(out, in)
	}
	cc.src, cc.fields = nil, nil
	if len(out) == 0 {
		return nil, &ruleError{reason: ReasonUnknownLogsource, line: r.LogSource.Line,
			msg: fmt.Sprintf("the EventID values of the detection are not logged by this logsource (%s)", strings.Join(idConflict, ", "))}
	}
	return out, nil
}

func intersect(a, b []int) []int {
	var out []int
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

// checkIdentifiers verifies that every identifier and pattern of a
// condition names at least one search.
func checkIdentifiers(c *cond, det *Detection, t Text) *ruleError {
	pos := func(col int) int {
		if t.Column > 0 && !strings.Contains(t.S, "\n") {
			return t.Column + col
		}
		return 0
	}
	switch c.op {
	case condIdent:
		for _, s := range det.Searches {
			if s.Name == c.name {
				return nil
			}
		}
		return &ruleError{reason: ReasonUnknownIdentifier, line: t.Line, column: pos(c.col), msg: fmt.Sprintf("condition names %q, which is not a search of this rule", c.name)}
	case condOneOf, condAllOf:
		if len(matchSearches(c.name, det)) == 0 {
			return &ruleError{reason: ReasonUnknownIdentifier, line: t.Line, column: pos(c.col), msg: fmt.Sprintf("%q matches no search of this rule", c.name)}
		}
		return nil
	}
	for _, a := range c.args {
		if err := checkIdentifiers(a, det, t); err != nil {
			return err
		}
	}
	return nil
}

// matchSearches lists the searches a pattern of "x of" selects: "them" is
// every search not starting with '_'; '*' in a pattern matches any text.
func matchSearches(pattern string, det *Detection) []string {
	var out []string
	for _, s := range det.Searches {
		if pattern == "them" {
			if !strings.HasPrefix(s.Name, "_") {
				out = append(out, s.Name)
			}
			continue
		}
		if globMatch(patternElems(pattern), s.Name, true) {
			out = append(out, s.Name)
		}
	}
	return out
}

func patternElems(p string) []globElem {
	out := make([]globElem, 0, len(p))
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*':
			out = append(out, globElem{kind: globStar})
		case '?':
			out = append(out, globElem{kind: globOne})
		default:
			out = append(out, globElem{kind: globByte, b: p[i]})
		}
	}
	return out
}

func condNode(c *cond, det *Detection, searches map[string]node) node {
	switch c.op {
	case condIdent:
		return searches[c.name]
	case condNot:
		return notNode{condNode(c.args[0], det, searches)}
	case condOneOf, condAllOf:
		names := matchSearches(c.name, det)
		ns := make([]node, len(names))
		for i, n := range names {
			ns[i] = searches[n]
		}
		if c.op == condAllOf {
			return flatten(andNode(ns))
		}
		return flatten(orNode(ns))
	}
	ns := make([]node, len(c.args))
	for i, a := range c.args {
		ns[i] = condNode(a, det, searches)
	}
	if c.op == condAnd {
		return flatten(andNode(ns))
	}
	return flatten(orNode(ns))
}

// flatten merges nested and/or nodes of the same kind and unwraps single
// operands, so that evaluation walks a shallow tree.
func flatten(n node) node {
	switch x := n.(type) {
	case andNode:
		out := make(andNode, 0, len(x))
		for _, c := range x {
			if inner, ok := c.(andNode); ok {
				out = append(out, inner...)
			} else {
				out = append(out, c)
			}
		}
		if len(out) == 1 {
			return out[0]
		}
		return out
	case orNode:
		out := make(orNode, 0, len(x))
		for _, c := range x {
			if inner, ok := c.(orNode); ok {
				out = append(out, inner...)
			} else {
				out = append(out, c)
			}
		}
		if len(out) == 1 {
			return out[0]
		}
		return out
	}
	return n
}

func (cc *compiler) compileSearch(s *Search) (node, *ruleError) {
	var groups orNode
	for _, g := range s.Groups {
		var items andNode
		for _, it := range g {
			n, err := cc.compileItem(it)
			if err != nil {
				return nil, err
			}
			items = append(items, n)
		}
		groups = append(groups, flatten(items))
	}
	return flatten(groups), nil
}

func (cc *compiler) compileItem(it *Item) (node, *ruleError) {
	ms, err := parseModifiers(it)
	if err != nil {
		return nil, err
	}
	if it.Field == "" {
		if ms.exists || ms.fieldref || ms.compare != "" || ms.cidr || ms.timePart != "" || ms.neq {
			return nil, &ruleError{reason: ReasonBadModifier, line: it.Line, column: it.Column, msg: fmt.Sprintf("modifiers %s need a field name", strings.Join(it.Modifiers, "|"))}
		}
		vals, _, err := cc.compileValues(it, ms, true)
		if err != nil {
			return nil, err
		}
		return &keywordNode{values: cc.rs.gate(vals), all: ms.all}, nil
	}
	if ms.exists {
		if len(it.Values) != 1 {
			return nil, &ruleError{reason: ReasonBadValue, line: it.Line, column: it.Column, msg: "exists takes one value, true or false"}
		}
		want, perr := strconv.ParseBool(strings.ToLower(it.Values[0].Text))
		if perr != nil {
			return nil, &ruleError{reason: ReasonBadValue, line: it.Line, column: it.Column, msg: fmt.Sprintf("exists takes true or false, not %q", it.Values[0].Text)}
		}
		return &existsNode{name: it.Field, field: cc.fieldID(it.Field), want: want}, nil
	}
	vals, hasNull, err := cc.compileValues(it, ms, false)
	if err != nil {
		return nil, err
	}
	id := cc.fieldID(it.Field)
	if cc.rs.field(id).payload {
		vals = cc.rs.gate(vals)
	}
	n := &fieldNode{name: it.Field, field: id, values: vals, all: ms.all, neq: ms.neq, absent: hasNull && !ms.neq}
	for _, v := range vals {
		if g, ok := v.(litGate); ok {
			v = g.inner
		}
		if _, ok := v.(unicodeFold); ok {
			n.unicode = true
		}
	}
	return n, nil
}

// literalIDLocked interns a folded literal of the prefilter. The caller
// holds rs.interning: rules compile in parallel, and taking the lock once
// per item rather than once per value spares most of the contention.
func (rs *Ruleset) literalIDLocked(lit string) int32 {
	id, ok := rs.litIDs[lit]
	if !ok {
		id = int32(len(rs.litText))
		rs.litIDs[lit] = id
		rs.litText = append(rs.litText, lit)
	}
	return id
}

// gate puts a literal gate on every matcher of a payload field that has a
// literal.
func (rs *Ruleset) gate(vals []valueMatcher) []valueMatcher {
	lits := make([]string, len(vals))
	for i, m := range vals {
		if lit, ok := matcherLiteral(m); ok {
			lits[i] = lit
		}
	}
	rs.interning.Lock()
	defer rs.interning.Unlock()
	for i, m := range vals {
		if lits[i] != "" {
			vals[i] = litGate{lid: rs.literalIDLocked(lits[i]), inner: m}
		}
	}
	return vals
}

// gateLiterals calls fn with the literal id of every gated matcher of n,
// and whether the matcher is a keyword search's.
func gateLiterals(n node, fn func(lid int32, keyword bool)) {
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
			gateLiterals(c, fn)
		}
	case orNode:
		for _, c := range x {
			gateLiterals(c, fn)
		}
	case notNode:
		gateLiterals(x.x, fn)
	case sourceCheck:
		gateLiterals(x.x, fn)
	}
}

// matcherLiteral returns a folded literal that must occur in a value the
// matcher accepts.
func matcherLiteral(m valueMatcher) (string, bool) {
	var lit string
	switch x := m.(type) {
	case litGate:
		return matcherLiteral(x.inner)
	case unicodeFold:
		inner, ok := matcherLiteral(x.inner)
		if !ok {
			return "", false
		}
		lit = caselessRun(inner)
	case equalMatcher:
		lit = x.lit
	case prefixMatcher:
		lit = x.lit
	case suffixMatcher:
		lit = x.lit
	case containsMatcher:
		lit = x.lit
	case casedEqual:
		lit = foldLiteral(x.lit)
	case casedPrefix:
		lit = foldLiteral(x.lit)
	case casedSuffix:
		lit = foldLiteral(x.lit)
	case casedContains:
		lit = foldLiteral(x.lit)
	case *globMatcher:
		var best, cur []byte
		for _, e := range x.elems {
			if e.kind == globByte {
				cur = append(cur, lowerASCII[e.b])
				if len(cur) > len(best) {
					best = append(best[:0], cur...)
				}
			} else {
				cur = cur[:0]
			}
		}
		lit = string(best)
	case regexMatcher:
		lit = foldLiteral(x.need)
	}
	return lit, len(lit) >= minLiteral
}

// maxClauses caps the prefilter clauses kept per rule; the most selective
// are kept.
const maxClauses = 4

// required returns clauses of literals such that whenever n is true, each
// clause has a literal among the event's payload values; false when no
// clause is known.
func required(n node, rs *Ruleset) ([][]string, bool) {
	switch x := n.(type) {
	case *fieldNode:
		if x.neq || x.absent || !rs.field(x.field).payload {
			return nil, false
		}
		return clauseOf(valuesLiterals(x.values, x.all))
	case *keywordNode:
		return clauseOf(valuesLiterals(x.values, x.all))
	case sourceCheck:
		return required(x.x, rs)
	case andNode:
		var all [][]string
		for _, c := range x {
			if cl, ok := required(c, rs); ok {
				all = append(all, cl...)
			}
		}
		if len(all) == 0 {
			return nil, false
		}
		sort.SliceStable(all, func(i, j int) bool { return betterLiterals(all[i], all[j]) })
		if len(all) > maxClauses {
			all = all[:maxClauses]
		}
		return all, true
	case orNode:
		// Each alternative gives its best clause; one of them must hold.
		var union []string
		for _, c := range x {
			cl, ok := required(c, rs)
			if !ok {
				return nil, false
			}
			union = append(union, cl[0]...)
		}
		return [][]string{dedupe(union)}, true
	}
	return nil, false
}

func clauseOf(lits []string, ok bool) ([][]string, bool) {
	if !ok {
		return nil, false
	}
	return [][]string{lits}, true
}

func valuesLiterals(vals []valueMatcher, all bool) ([]string, bool) {
	if all {
		best := ""
		for _, v := range vals {
			if l, ok := matcherLiteral(v); ok && len(l) > len(best) {
				best = l
			}
		}
		return []string{best}, best != ""
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		l, ok := matcherLiteral(v)
		if !ok {
			return nil, false
		}
		out = append(out, l)
	}
	return dedupe(out), len(out) > 0
}

// betterLiterals prefers the set whose shortest literal is longer (fewer
// chance hits), then the smaller set.
func betterLiterals(a, b []string) bool {
	ma, mb := minLen(a), minLen(b)
	if ma != mb {
		return ma > mb
	}
	return len(a) < len(b)
}

func minLen(s []string) int {
	m := -1
	for _, x := range s {
		if m < 0 || len(x) < m {
			m = len(x)
		}
	}
	return m
}

func dedupe(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// eventIDs returns the EventID values n requires, if it requires any.
func eventIDs(n node, rs *Ruleset) ([]int, bool) {
	switch x := n.(type) {
	case *fieldNode:
		f := rs.field(x.field).m
		if x.neq || x.absent || x.all || f.Field != "EventID" || f.Join != nil || f.Values != nil {
			return nil, false
		}
		var ids []int
		for _, v := range x.values {
			e, ok := v.(equalMatcher)
			if !ok {
				return nil, false
			}
			id, err := strconv.Atoi(e.lit)
			if err != nil || id < 0 || id > 0xffff {
				return nil, false
			}
			ids = append(ids, id)
		}
		return ids, len(ids) > 0
	case andNode:
		var cur []int
		found := false
		for _, c := range x {
			ids, ok := eventIDs(c, rs)
			if !ok {
				continue
			}
			if !found {
				cur, found = ids, true
			} else {
				cur = intersect(cur, ids)
			}
		}
		return cur, found
	case orNode:
		var all []int
		for _, c := range x {
			ids, ok := eventIDs(c, rs)
			if !ok {
				return nil, false
			}
			all = append(all, ids...)
		}
		sort.Ints(all)
		out := all[:0]
		for i, v := range all {
			if i == 0 || v != all[i-1] {
				out = append(out, v)
			}
		}
		return out, true
	}
	return nil, false
}

// requiredChannels returns the channels n requires (Channel: values), named
// as the log source mapping names them when it knows them.
func (cc *compiler) requiredChannels(n node) ([]string, bool) {
	switch x := n.(type) {
	case *fieldNode:
		f := cc.rs.field(x.field).m
		if x.neq || x.absent || x.all || f.Field != "Channel" || f.Join != nil || f.Values != nil {
			return nil, false
		}
		var out []string
		for _, v := range x.values {
			e, ok := v.(equalMatcher)
			if !ok {
				return nil, false
			}
			out = append(out, cc.canonicalChannel(e.lit))
		}
		return out, len(out) > 0
	case andNode:
		for _, c := range x {
			if chans, ok := cc.requiredChannels(c); ok {
				return chans, true
			}
		}
	case orNode:
		var all []string
		for _, c := range x {
			chans, ok := cc.requiredChannels(c)
			if !ok {
				return nil, false
			}
			all = append(all, chans...)
		}
		return dedupe(all), true
	}
	return nil, false
}

// canonicalChannel maps a folded channel literal to the mapping's spelling;
// unknown channels keep the folded text, which the index matches
// case-insensitively.
func (cc *compiler) canonicalChannel(folded string) string {
	for _, s := range cc.ls.sources {
		for _, c := range s.Channels {
			if strings.EqualFold(c, folded) {
				return c
			}
		}
	}
	return folded
}

// caselessRun returns the longest run of a Unicode-lowered literal that any
// case variant of it shares byte for byte after ASCII folding: runes without
// case (digits, symbols, emoji) and ASCII letters other than i, k and s
// (non-ASCII letters lower to them: İ to i and a combining dot, the Kelvin
// sign to k; the long s folds to s).
func caselessRun(lit string) string {
	best, start := "", 0
	for i, r := range lit {
		stable := r < utf8.RuneSelf && r != 'i' && r != 'k' && r != 's' || r >= utf8.RuneSelf && unicode.SimpleFold(r) == r
		if !stable {
			if i-start > len(best) {
				best = lit[start:i]
			}
			start = i + utf8.RuneLen(r)
		}
	}
	if len(lit)-start > len(best) {
		best = lit[start:]
	}
	return best
}

// minLiteral is the shortest literal the prefilter uses: shorter ones occur
// in nearly every event, so they select nothing and only cost scan time.
const minLiteral = 3
