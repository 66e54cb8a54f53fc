// Package hunt runs Sigma rules over Windows event logs and builds a
// timeline of matches. It streams events: memory holds only the matches and
// the correlation state of each correlation's timespan.
package hunt

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/scripts"
	"github.com/wuguard/wuguard/pwsh"
	"github.com/wuguard/wuguard/sigma"
)

// Level is a Sigma rule level, ordered from informational to critical.
type Level int

// The Sigma levels.
const (
	LevelInformational Level = iota
	LevelLow
	LevelMedium
	LevelHigh
	LevelCritical
)

var levelNames = []string{"informational", "low", "medium", "high", "critical"}

func (l Level) String() string { return levelNames[l] }

// ParseLevel reads a level name.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if strings.EqualFold(s, n) {
			return Level(i), nil
		}
	}
	return 0, fmt.Errorf("unknown level %q (want %s)", s, strings.Join(levelNames, ", "))
}

// levelOf maps a rule's level; unknown levels count as informational.
func levelOf(r *sigma.RuleInfo) Level {
	l, err := ParseLevel(r.Level)
	if err != nil {
		return LevelInformational
	}
	return l
}

// Options tune [Run].
type Options struct {
	// MinLevel drops findings of rules below this level. Correlations still
	// see every match of the rules they use.
	MinLevel Level
	// Threads is the number of threads reading files at once; when there
	// are fewer files than threads, EVTX files share theirs out by chunk.
	// 0 means one per CPU.
	Threads int
	// Progress, if set, is called about four times a second while the hunt
	// runs, from another goroutine, and once at the end.
	Progress func(Progress)
	// Scripts, if set, analyses the PowerShell the logs recorded (see
	// package scripts): matches on those events carry the analysis, and
	// scripts judged malicious or suspicious become findings of the
	// pseudo-rule wuguard-pwsh-analysis.
	Scripts *scripts.Analyzer

	// read reads one file; nil means input.Read. Tests set it to feed
	// events without the format readers.
	read func(context.Context, input.File, input.Handler, func(input.Damage)) error
}

// Progress is a snapshot of a running hunt.
type Progress struct {
	Files, FilesDone int
	Bytes, BytesDone int64
	Events           int64
	Matches          int64
}

// EventRef points at one event of a correlation.
type EventRef struct {
	Time     time.Time
	Computer string
	Channel  string
	EventID  uint16
	RecordID uint64
	File     string
	Offset   int64
	RuleID   string
}

// Finding is one line of the timeline: a rule matching an event, or a
// correlation matching a group of events (then the event fields describe its
// last event).
type Finding struct {
	EventRef
	Rule   *sigma.RuleInfo
	Level  Level
	Fields []sigma.MatchedField
	// Correlation results.
	Events     []EventRef
	EventCount int
	Value      float64
	// Script is the analysis of the PowerShell the event holds, when
	// Options.Scripts is set and it holds some.
	Script    *ScriptAnalysis
	fileIndex int
}

// ScriptAnalysis is a script found in the logs with its analysis.
type ScriptAnalysis struct {
	Kind scripts.Kind
	// BlockID, Parts and Total describe a reassembled 4104 script block.
	BlockID   string
	Parts     int
	Total     int
	RecordIDs []uint64 // the events the text was read from
	sources   []eventKey
	Result    *pwsh.Result
}

// Report is the result of a hunt.
type Report struct {
	Findings []Finding
	Files    int
	Events   int64
	// Damaged is true when some input was reported as damaged and skipped.
	Damaged bool
}

// corrInput is a match kept for the correlation pass.
type corrInput struct {
	ref    EventRef
	rule   *sigma.RuleInfo
	values map[string]string
	file   int
}

type fileResult struct {
	findings []Finding
	corr     []corrInput
}

// Run hunts the event files found under paths with rules. damage is called
// (never concurrently) for every damaged input, which is skipped.
func Run(ctx context.Context, rules *Rules, paths []string, opt Options, damage func(input.Damage)) (*Report, error) {
	var mu sync.Mutex
	rep := &Report{}
	onDamage := func(d input.Damage) {
		mu.Lock()
		defer mu.Unlock()
		rep.Damaged = true
		if damage != nil {
			damage(d)
		}
	}
	files := input.Expand(paths, input.EventKinds, onDamage)
	rep.Files = len(files)
	threads := opt.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	var prog counters
	var total int64
	for _, f := range files {
		total += f.Size
	}
	snapshot := func() Progress {
		return Progress{Files: len(files), FilesDone: int(prog.filesDone.Load()), Bytes: total, BytesDone: prog.bytesDone.Load(),
			Events: prog.events.Load(), Matches: prog.matches.Load()}
	}
	stopProgress := func() {}
	if opt.Progress != nil {
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					opt.Progress(snapshot())
				}
			}
		}()
		stopProgress = func() { close(done); wg.Wait(); opt.Progress(snapshot()) }
	}

	// Files are hunted one per worker; when there are fewer files than
	// threads, each file's chunks are shared by several workers.
	fileWorkers := max(1, min(threads, len(files)))
	perFile := max(1, threads/fileWorkers)
	read := func(ctx context.Context, f input.File, fn input.SlotHandler, chunkDone func(int) error, damage func(input.Damage)) error {
		if opt.read == nil {
			return input.ReadParallel(ctx, f, perFile, fn, chunkDone, damage)
		}
		return opt.read(ctx, f, input.InOrder(fn, chunkDone), damage)
	}
	results := make([]fileResult, len(files))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	errs := make(chan error, fileWorkers)
	var wg sync.WaitGroup
	for range fileWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := &fileHunt{opt: opt, prog: &prog, read: read, ordered: &fileWorker{}}
			for range perFile {
				h.workers = append(h.workers, &fileWorker{m: rules.Set.NewMatcher(), sev: newSigmaEvent()})
			}
			for i := range next {
				var err error
				results[i], err = h.run(ctx, i, files[i], onDamage)
				prog.filesDone.Add(1)
				if err != nil {
					errs <- fmt.Errorf("failed to hunt %q: %w", files[i].Path, err)
					cancel()
					return
				}
			}
		}()
	}
feed:
	for i := range files {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	stopProgress()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.Events = prog.events.Load()
	for i := range results {
		rep.Findings = append(rep.Findings, results[i].findings...)
	}
	rep.Findings = append(rep.Findings, correlate(rules.Set, results, opt.MinLevel)...)
	sortFindings(rep.Findings)
	return rep, nil
}

// counters are the running totals that progress reports read.
type counters struct {
	filesDone, events, matches, bytesDone atomic.Int64
}

// readFunc reads one file, handing its events to workers (see
// input.ReadParallel).
type readFunc func(ctx context.Context, f input.File, fn input.SlotHandler, chunkDone func(int) error, damage func(input.Damage)) error

// fileHunt hunts files one at a time, each with workers that share its
// chunks.
type fileHunt struct {
	opt     Options
	prog    *counters
	read    readFunc
	workers []*fileWorker
	// ordered analyses the script blocks put together in file order, on
	// the goroutine that called run while the workers go on.
	ordered *fileWorker
}

// run hunts file f, the i-th of the input.
func (h *fileHunt) run(ctx context.Context, i int, f input.File, damage func(input.Damage)) (fileResult, error) {
	opt, prog := h.opt, h.prog
	everyone := append(slices.Clip(h.workers), h.ordered)
	for _, fw := range everyone {
		fw.reset(i)
	}
	// Parts of a script block may lie in chunks that different workers
	// read: they are put together in file order, as each chunk is done.
	var parts struct {
		sync.Mutex
		byChunk map[int][]*event.Event
	}
	parts.byChunk = map[int][]*event.Event{}
	blocks := scripts.NewCollector(scripts.Limits{})
	chunkDone := func(chunk int) error {
		parts.Lock()
		evs := parts.byChunk[chunk]
		delete(parts.byChunk, chunk)
		parts.Unlock()
		for _, e := range evs {
			for _, sc := range blocks.Add(e) {
				h.ordered.scriptFound(ctx, opt, &sc, &prog.matches)
			}
		}
		return nil
	}
	// Progress counts the bytes of a file as its events go by, so that one
	// large file does not sit at 0% until it is done.
	var counted atomic.Int64
	advance := func(pos int64) {
		for c := counted.Load(); pos > c; c = counted.Load() {
			if counted.CompareAndSwap(c, pos) {
				prog.bytesDone.Add(pos - c)
				return
			}
		}
	}
	handler := func(s input.Slot, e *event.Event) error {
		fw := h.workers[s.Worker]
		fw.events++
		if fw.events&1023 == 0 {
			prog.events.Add(1024)
			advance(e.Source.Offset)
		}
		fw.sev.e = e
		fw.m.Match(fw.sev, func(x *sigma.Match) {
			prog.matches.Add(1)
			ref := eventRef(e, x.Rule)
			level := levelOf(x.Rule)
			if x.Rule.Emit && level >= opt.MinLevel {
				fw.findings = append(fw.findings, Finding{EventRef: ref, Rule: x.Rule, Level: level, Fields: cloneFields(x.Fields), fileIndex: i})
			}
			if x.Rule.Correlated {
				fw.corr = append(fw.corr, corrInput{ref: ref, rule: x.Rule, values: cloneValues(x.Values), file: i})
			}
		})
		if opt.Scripts == nil {
			return nil
		}
		if scripts.IsScriptBlockPart(e) {
			parts.Lock()
			parts.byChunk[s.Chunk] = append(parts.byChunk[s.Chunk], e.Clone())
			parts.Unlock()
			return nil
		}
		for _, sc := range fw.col.Add(e) {
			fw.scriptFound(ctx, opt, &sc, &prog.matches)
		}
		return nil
	}
	if opt.Scripts == nil {
		chunkDone = nil // no script block parts to put together
	}
	err := h.read(ctx, f, handler, chunkDone, damage)
	advance(f.Size)
	var res fileResult
	for _, fw := range h.workers {
		prog.events.Add(fw.events & 1023)
		res.findings = append(res.findings, fw.findings...)
		res.corr = append(res.corr, fw.corr...)
	}
	if opt.Scripts != nil {
		for _, sc := range blocks.Flush() {
			h.ordered.scriptFound(ctx, opt, &sc, &prog.matches)
		}
		bySource := map[eventKey]*ScriptAnalysis{}
		for _, fw := range everyone {
			res.findings = append(res.findings, fw.scriptFindings...)
			maps.Copy(bySource, fw.bySource)
		}
		attachScripts(res.findings, bySource)
	}
	return res, err
}

// fileWorker is the state of one worker hunting (part of) a file.
type fileWorker struct {
	m    *sigma.Matcher
	sev  *sigmaEvent
	col  *scripts.Collector
	file int

	events         int64
	findings       []Finding
	corr           []corrInput
	scriptFindings []Finding
	bySource       map[eventKey]*ScriptAnalysis
}

func (fw *fileWorker) reset(file int) {
	fw.file, fw.events = file, 0
	fw.findings, fw.corr, fw.scriptFindings = nil, nil, nil
	fw.col = scripts.NewCollector(scripts.Limits{})
	fw.bySource = map[eventKey]*ScriptAnalysis{}
}

// scriptFound analyses a script and keeps its finding, if it is flagged.
func (fw *fileWorker) scriptFound(ctx context.Context, opt Options, sc *scripts.Script, matches *atomic.Int64) {
	sa := analyseScript(ctx, opt.Scripts, sc)
	for _, k := range sa.sources {
		fw.bySource[k] = sa
	}
	if f, ok := scriptFinding(sc, sa, fw.file); ok && f.Level >= opt.MinLevel {
		matches.Add(1)
		fw.scriptFindings = append(fw.scriptFindings, f)
	}
}

// PwshRule is the pseudo-rule of findings made by the PowerShell analysis
// rather than by a Sigma rule.
var PwshRule = sigma.RuleInfo{ID: "wuguard-pwsh-analysis", Name: "wuguard_pwsh_analysis", Title: "PowerShell analysis",
	Status: "stable", Author: "wuguard", Emit: true,
	Description: "The PowerShell an event recorded (script block, pipeline, or command line) was judged malicious or suspicious by wuguard's analyzer."}

var pwshRules = map[pwsh.Verdict]*sigma.RuleInfo{
	pwsh.Malicious:  withTitle(PwshRule, "PowerShell analysis: malicious", "high"),
	pwsh.Suspicious: withTitle(PwshRule, "PowerShell analysis: suspicious", "medium"),
}

func withTitle(r sigma.RuleInfo, title, level string) *sigma.RuleInfo {
	r.Title, r.Level = title, level
	return &r
}

func analyseScript(ctx context.Context, an *scripts.Analyzer, sc *scripts.Script) *ScriptAnalysis {
	sa := &ScriptAnalysis{Kind: sc.Kind, BlockID: sc.BlockID, Parts: sc.Parts, Total: sc.Total, Result: an.Analyze(ctx, sc.Text)}
	for _, r := range sc.Events {
		sa.RecordIDs = append(sa.RecordIDs, r.RecordID)
		sa.sources = append(sa.sources, eventKey{r.RecordID, r.Offset})
	}
	return sa
}

// maxFindingTitles keeps the Findings field of a timeline line short; the
// JSON formats carry every finding in script_analysis.
const maxFindingTitles = 5

// scriptFinding makes the finding of a script the analysis flagged, placed
// at the script's last event, with its ATT&CK techniques as tags.
func scriptFinding(sc *scripts.Script, sa *ScriptAnalysis, file int) (Finding, bool) {
	rule := pwshRules[sa.Result.Verdict]
	if rule == nil {
		return Finding{}, false
	}
	r := *rule
	seen := map[string]bool{}
	for _, f := range sa.Result.Findings {
		if t := "attack." + strings.ToLower(f.Attack); f.Attack != "" && !seen[t] {
			seen[t] = true
			r.Tags = append(r.Tags, t)
		}
	}
	sort.Strings(r.Tags)
	fields := []sigma.MatchedField{{Name: "Verdict", Value: string(sa.Result.Verdict)}, {Name: "Score", Value: strconv.Itoa(sa.Result.Score)}}
	var titles []string
	for _, f := range sa.Result.Findings {
		if !slices.Contains(titles, f.Title) && len(titles) < maxFindingTitles {
			titles = append(titles, f.Title)
		}
	}
	fields = append(fields, sigma.MatchedField{Name: "Findings", Value: strings.Join(titles, "; ")})
	ref := EventRef{Time: sc.Time, Computer: sc.Computer, Channel: sc.Channel, EventID: sc.EventID, RecordID: sc.RecordID,
		File: sc.File, RuleID: r.ID}
	if len(sc.Events) > 0 {
		ref.Offset = sc.Events[len(sc.Events)-1].Offset
	}
	return Finding{EventRef: ref, Rule: &r, Level: levelOf(&r), Fields: fields, Script: sa, fileIndex: file}, true
}

// eventKey identifies an event within its file: exports may lack record
// ids, so the offset is part of it.
type eventKey struct {
	record uint64
	offset int64
}

// attachScripts gives each finding on an event that holds a script the
// script's analysis.
func attachScripts(fs []Finding, bySource map[eventKey]*ScriptAnalysis) {
	for i := range fs {
		if fs[i].Script == nil && fs[i].Rule.Correlation == "" {
			fs[i].Script = bySource[eventKey{fs[i].RecordID, fs[i].Offset}]
		}
	}
}

func eventRef(e *event.Event, r *sigma.RuleInfo) EventRef {
	return EventRef{Time: e.System.TimeCreated, Computer: strings.Clone(e.System.Computer), Channel: strings.Clone(e.System.Channel),
		EventID: e.System.EventID, RecordID: e.System.RecordID, File: e.Source.File, Offset: e.Source.Offset, RuleID: r.ID}
}

// cloneFields copies matched values out of the event, whose memory the
// reader reuses.
func cloneFields(fs []sigma.MatchedField) []sigma.MatchedField {
	out := make([]sigma.MatchedField, len(fs))
	for i, f := range fs {
		out[i] = sigma.MatchedField{Name: f.Name, Value: strings.Clone(f.Value)}
	}
	return out
}

func cloneValues(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = strings.Clone(v)
	}
	return out
}

// correlate feeds the matches correlations use, in time order across all
// files, to a Correlator.
func correlate(rs *sigma.Ruleset, results []fileResult, min Level) []Finding {
	var in []corrInput
	for _, r := range results {
		in = append(in, r.corr...)
	}
	if len(in) == 0 {
		return nil
	}
	sort.SliceStable(in, func(i, j int) bool {
		a, b := in[i], in[j]
		if !a.ref.Time.Equal(b.ref.Time) {
			return a.ref.Time.Before(b.ref.Time)
		}
		if a.file != b.file {
			return a.file < b.file
		}
		if a.ref.RecordID != b.ref.RecordID {
			return a.ref.RecordID < b.ref.RecordID
		}
		if a.rule.ID != b.rule.ID {
			return a.rule.ID < b.rule.ID
		}
		return a.ref.Offset < b.ref.Offset
	})
	c := rs.NewCorrelator()
	var out []Finding
	emit := func(cm *sigma.CorrelationMatch) {
		level := levelOf(cm.Rule)
		if !cm.Rule.Emit || level < min {
			return
		}
		f := Finding{Rule: cm.Rule, Level: level, Fields: cm.Group, EventCount: cm.EventCount, Value: cm.Value}
		for _, r := range cm.Events {
			f.Events = append(f.Events, in[r].ref)
		}
		if n := len(cm.Events); n > 0 {
			last := in[cm.Events[n-1]]
			f.EventRef = last.ref
			f.fileIndex = last.file
		}
		f.EventRef.Time = cm.Time
		f.EventRef.RuleID = cm.Rule.ID
		out = append(out, f)
	}
	for i := range in {
		c.Add(&sigma.Match{Rule: in[i].rule, Values: in[i].values}, in[i].ref.Time, i, emit)
	}
	c.Flush(emit)
	return out
}

// sortFindings orders the timeline by time, then input file, then record
// id, then rule id, so that output is the same whatever the thread count.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.fileIndex != b.fileIndex {
			return a.fileIndex < b.fileIndex
		}
		if a.RecordID != b.RecordID {
			return a.RecordID < b.RecordID
		}
		if a.Rule.ID != b.Rule.ID {
			return a.Rule.ID < b.Rule.ID
		}
		if a.Rule.Title != b.Rule.Title {
			return a.Rule.Title < b.Rule.Title
		}
		// Damaged or merged logs repeat record ids: the place in the file
		// keeps the order the same whatever the thread count.
		return a.Offset < b.Offset
	})
}
