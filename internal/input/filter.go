package input

import (
	"context"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
)

// Filter says, from an event's provider and ID alone, whether a reader wants
// it at all.
type Filter func(provider string, eventID uint16) bool

// ReadFiltered is [Read] for readers that want few of the events in a file
// (triage keeps the Windows Update, servicing and boot events of a System
// log): events that want rejects never reach fn. For EVTX files it decodes
// each record's System block first and the payload only for wanted records,
// and it decodes the chunks of a file in parallel (threads; 0 means one per
// CPU) while fn still sees the events in file order. want must be safe for
// concurrent use.
func ReadFiltered(ctx context.Context, f File, want Filter, threads int, fn Handler, damage func(Damage)) error {
	if f.Kind != KindEVTX {
		return Read(ctx, f, func(e *event.Event) error {
			if !want(e.Provider, e.EventID) {
				return nil
			}
			return fn(e)
		}, damage)
	}
	ef, chunks := openChunks(f, threads, damage)
	if ef == nil {
		return nil
	}
	defer ef.Close()
	n, threads := ef.NumChunks(), len(chunks)

	// Each chunk's wanted events and damage are kept until the chunks before
	// it are handed over.
	type chunkResult struct {
		events []event.Event
		damage []error
	}
	results := make([]chunkResult, n)
	sys := make([]evtx.Event, threads)
	err := inOrder(ctx, n, threads, func(w, i int) {
		results[i].events, results[i].damage = filterChunk(ef, i, &chunks[w], &sys[w], f.Path, want)
	}, func(i int) error {
		r := &results[i]
		for _, err := range r.damage {
			damage(EVTXDamage(f.Path, err))
		}
		for j := range r.events {
			if err := fn(&r.events[j]); err != nil {
				return err
			}
		}
		*r = chunkResult{}
		return nil
	})
	if err != nil {
		return err
	}
	if err := ef.MissingChunks(); err != nil {
		damage(EVTXDamage(f.Path, err))
	}
	return nil
}

// filterChunk reads chunk slot i into c and returns its wanted events, each
// decoded into an Event of its own, and the damage met.
func filterChunk(ef *evtx.File, i int, c *evtx.Chunk, sys *evtx.Event, path string, want Filter) ([]event.Event, []error) {
	var events []event.Event
	var damage []error
	ok, err := ef.ReadChunk(i, c)
	if err != nil {
		return nil, []error{err}
	}
	if !ok {
		return nil, nil
	}
	for r, err := range c.Records() {
		if err == nil {
			err = r.DecodeSystem(sys)
		}
		if err == nil && !want(sys.Provider, sys.EventID) {
			continue
		}
		var e event.Event
		if err == nil {
			err = r.Decode(&e.Event)
		}
		if err != nil {
			damage = append(damage, err)
			continue
		}
		e.Source = event.Source{File: path, Format: event.FormatEVTX, Offset: r.Offset}
		events = append(events, e)
	}
	return events, damage
}
