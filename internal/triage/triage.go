// Package triage is the orchestrator behind "wuguard triage": it reads the
// inputs, keeps the events and lines that tell an update's story, rebuilds
// each update's lifecycle (package update) and judges it against the known
// issues (package catalog). Renderers in package report turn the [Result]
// into text, JSON or HTML.
package triage

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/update"
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
				r.obs, r.events, r.text, r.err = readFile(ctx, files[i], threads, countDamage)
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
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		obs = append(obs, r.obs...)
		in.Events += r.events
		in.TextLines += r.text
	}
	res := FromObservations(obs, opts)
	res.Inputs = in
	return res, nil
}

// readFile returns the observations of one file and how many events and
// text lines gave them.
func readFile(ctx context.Context, f input.File, threads int, damage func(input.Damage)) (obs []update.Observation, events, lines int, err error) {
	switch f.Kind {
	case input.KindWindowsUpdateLog, input.KindCBSLog:
		return readTextLog(ctx, f, damage)
	}
	// Most records of a System log are about other things: they are skipped
	// before their payload is decoded.
	err = input.ReadFiltered(ctx, f, update.Wanted, threads, func(e *event.Event) error {
		n := len(obs)
		obs = update.AppendFromEvent(obs, e)
		if len(obs) > n {
			events++
		}
		return nil
	}, damage)
	return obs, events, 0, err
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
