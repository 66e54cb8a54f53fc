// Package triage is the orchestrator behind "wuguard triage": it reads the
// inputs, keeps the events and lines that tell an update's story, rebuilds
// each update's lifecycle (package update) and judges it against the known
// issues (package catalog). Renderers in package report turn the [Result]
// into text, JSON or HTML.
package triage

import (
	"context"
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
}

// AcceptInput is the set of input kinds triage reads: all of them.
func AcceptInput(input.Kind) bool { return true }

// Run reads paths, rebuilds every update's lifecycle and judges it. Damaged
// input is passed to damage and skipped; Run fails only when ctx ends.
func Run(ctx context.Context, paths []string, opts Options, damage func(input.Damage)) (*Result, error) {
	var in Inputs
	countDamage := func(d input.Damage) {
		in.DamagedParts++
		damage(d)
	}
	files := input.Expand(paths, AcceptInput, countDamage)
	in.Files = len(files)
	var obs []update.Observation
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var err error
		obs, err = readFile(ctx, f, obs, &in, countDamage)
		if err != nil {
			return nil, err
		}
	}
	r := FromObservations(obs, opts)
	r.Inputs = in
	return r, nil
}

// readFile appends the observations of one file to obs.
func readFile(ctx context.Context, f input.File, obs []update.Observation, in *Inputs, damage func(input.Damage)) ([]update.Observation, error) {
	switch f.Kind {
	case input.KindWindowsUpdateLog, input.KindCBSLog:
		return readTextLog(ctx, f, obs, in, damage)
	}
	err := input.Read(ctx, f, func(e *event.Event) error {
		// Most records of a System log are about other things: skip them
		// before looking at their payload.
		if !update.Wanted(e.Provider, e.EventID) {
			return nil
		}
		n := len(obs)
		obs = update.AppendFromEvent(obs, e)
		if len(obs) > n {
			in.Events++
		}
		return nil
	}, damage)
	return obs, err
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
