// Package triage is the orchestrator behind "wuguard triage": it reads the
// inputs, keeps the events and lines that tell an update's story, rebuilds
// each update's lifecycle (package update) and judges it against the known
// issues (package catalog). Renderers in package report turn the [Result]
// into text, JSON or HTML.
package triage

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/scripts"
	"github.com/wuguard/wuguard/internal/update"
	"github.com/wuguard/wuguard/pwsh"
)

// Options tune a triage run.
type Options struct {
	Catalog *catalog.Catalog
	// Computer names the host text logs belong to (they carry no computer
	// name); see update.Options.TextHost.
	Computer string
	// TextLogOffset, when set, is the UTC offset of the local time the text
	// logs were written in (+9h for Tokyo); when nil it is estimated.
	TextLogOffset *time.Duration
	// Lang is the language of guidance and evidence: "en" or "ja".
	Lang string
	// Now stamps the report; tests fix it for golden files.
	Now func() time.Time
	// Threads is how many files, and chunks within an EVTX file, are read at
	// once; 0 means one per CPU.
	Threads int
	// Scripts, if set, analyses the PowerShell the logs recorded; each
	// host lists the scripts judged malicious or suspicious.
	Scripts *scripts.Analyzer
}

// AcceptInput is the set of input kinds triage reads: all of them.
func AcceptInput(input.Kind) bool { return true }

// Run reads paths, rebuilds every update's lifecycle and judges it. Damaged
// input is passed to damage and skipped; Run fails only when ctx ends.
// Files are read in parallel (Options.Threads), and their observations are
// joined in file order, so the result does not depend on the scheduling.
func Run(ctx context.Context, paths []string, opts Options, damage func(input.Damage)) (*Result, error) {
	var mu sync.Mutex
	var in Inputs
	countDamage := func(d input.Damage) {
		mu.Lock()
		defer mu.Unlock()
		in.DamagedParts++
		damage(d)
	}
	files := input.Expand(paths, AcceptInput, countDamage)
	in.Files = len(files)

	type fileResult struct {
		obs          []update.Observation
		scripts      []flaggedScript
		events, text int
		err          error
	}
	results := make([]fileResult, len(files))
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(threads, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := &results[i]
				r.obs, r.scripts, r.events, r.text, r.err = readFile(ctx, files[i], threads, opts.Scripts, countDamage)
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var obs []update.Observation
	var flagged []flaggedScript
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		obs = append(obs, r.obs...)
		flagged = append(flagged, r.scripts...)
		in.Events += r.events
		in.TextLines += r.text
	}
	res := FromObservations(obs, opts)
	res.addScripts(flagged)
	res.Inputs = in
	return res, nil
}

// flaggedScript is a script the analysis judged malicious or suspicious.
type flaggedScript struct {
	script scripts.Script
	result *pwsh.Result
}

// addScripts lists each flagged script under its computer's host, adding a
// host for a computer that has scripts but no update events.
func (r *Result) addScripts(flagged []flaggedScript) {
	if len(flagged) == 0 {
		return
	}
	slices.SortStableFunc(flagged, func(a, b flaggedScript) int { return scripts.ByTime(&a.script, &b.script) })
	for _, f := range flagged {
		i := slices.IndexFunc(r.Hosts, func(h Host) bool { return strings.EqualFold(h.Computer, f.script.Computer) })
		if i < 0 {
			r.Hosts = append(r.Hosts, Host{Computer: f.script.Computer, PendingRestarts: []PendingRestart{}, Boots: []Boot{},
				Updates: []Update{}, ScriptFindings: []ScriptFinding{}})
			i = len(r.Hosts) - 1
		}
		r.Hosts[i].ScriptFindings = append(r.Hosts[i].ScriptFindings, scriptFinding(f, r.Lang))
	}
	slices.SortStableFunc(r.Hosts, func(a, b Host) int { return strings.Compare(strings.ToLower(a.Computer), strings.ToLower(b.Computer)) })
}

func scriptFinding(f flaggedScript, lang string) ScriptFinding {
	s, res := &f.script, f.result
	sf := ScriptFinding{Time: s.Time, File: s.File, Channel: s.Channel, EventID: s.EventID, Kind: string(s.Kind),
		ScriptBlockID: s.BlockID, Verdict: string(res.Verdict), Score: res.Score, Summary: res.Summary.EN,
		Reasons: []ScriptReason{}, IOCs: res.IOCs}
	if lang == "ja" {
		sf.Summary = res.Summary.JA
	}
	for _, e := range s.Events {
		sf.RecordIDs = append(sf.RecordIDs, e.RecordID)
	}
	seen := map[string]bool{}
	for _, x := range res.Findings {
		if seen[x.ID] {
			continue
		}
		seen[x.ID] = true
		text := x.Explain.EN
		if lang == "ja" {
			text = x.Explain.JA
		}
		sf.Reasons = append(sf.Reasons, ScriptReason{ID: x.ID, Attack: x.Attack, Text: text})
	}
	if sf.Summary == nil {
		sf.Summary = []string{}
	}
	if sf.IOCs == nil {
		sf.IOCs = []pwsh.IOC{}
	}
	return sf
}

// readFile returns the observations of one file, how many events and
// text lines gave them, and the scripts an (optional) analyzer flagged.
func readFile(ctx context.Context, f input.File, threads int, an *scripts.Analyzer, damage func(input.Damage)) (obs []update.Observation, flagged []flaggedScript, events, lines int, err error) {
	switch f.Kind {
	case input.KindWindowsUpdateLog, input.KindCBSLog:
		obs, events, lines, err = readTextLog(ctx, f, damage)
		return obs, nil, events, lines, err
	}
	want := update.Wanted
	var col *scripts.Collector
	found := func(ss []scripts.Script) {
		for _, s := range ss {
			if r := an.Analyze(ctx, s.Text); scripts.Flagged(r) {
				flagged = append(flagged, flaggedScript{script: s, result: r})
			}
		}
	}
	if an != nil {
		col = scripts.NewCollector(scripts.Limits{})
		want = func(provider string, id uint16) bool {
			return update.Wanted(provider, id) || scripts.Wanted(provider, id)
		}
	}
	// Most records of a System log are about other things: they are skipped
	// before their payload is decoded.
	err = input.ReadFiltered(ctx, f, want, threads, func(e *event.Event) error {
		n := len(obs)
		obs = update.AppendFromEvent(obs, e)
		if len(obs) > n {
			events++
		}
		if col != nil {
			found(col.Add(e))
		}
		return nil
	}, damage)
	if col != nil {
		found(col.Flush())
	}
	return obs, flagged, events, 0, err
}

// FromObservations judges observations already read (the demo and tests
// build them in memory).
func FromObservations(obs []update.Observation, opts Options) *Result {
	lang := opts.Lang
	if lang != "ja" {
		lang = "en"
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	uo := update.Options{TextHost: opts.Computer}
	if opts.TextLogOffset != nil {
		shift := -*opts.TextLogOffset
		uo.TextOffset = &shift
	}
	hosts := update.Build(obs, uo)
	r := &Result{
		SchemaVersion: SchemaVersion,
		GeneratedAt:   now().UTC(),
		Lang:          lang,
		Hosts:         Analyze(hosts, opts.Catalog, lang),
	}
	for _, h := range r.Hosts {
		r.Summary.merge(h.Summary)
	}
	return r
}
