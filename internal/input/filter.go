package input

import (
	"context"
	"runtime"
	"sync"

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
	ef, err := evtx.Open(f.Path)
	if err != nil {
		damage(EVTXDamage(f.Path, err))
		return nil
	}
	defer ef.Close()
	n := ef.NumChunks()
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = max(1, min(threads, n))

	// Each chunk's wanted events and damage are kept until the chunks before
	// it are handed over.
	type chunkResult struct {
		events []event.Event
		damage []error
		done   chan struct{}
	}
	results := make([]chunkResult, n)
	for i := range results {
		results[i].done = make(chan struct{})
	}
	ctx, cancel := context.WithCancel(ctx)
	slots := make(chan int)
	var wg sync.WaitGroup
	// Stop the feeder first, then wait for the workers, so that an early
	// return leaves no goroutine behind and no chunk decoded for nothing.
	defer func() {
		cancel()
		wg.Wait()
	}()
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := new(evtx.Chunk)
			var sys evtx.Event
			for i := range slots {
				r := &results[i]
				r.events, r.damage = filterChunk(ef, i, c, &sys, f.Path, want)
				close(r.done)
			}
		}()
	}
	// The feeder stays within a window of chunks ahead of fn, so memory is
	// bounded however many events are wanted and however slow fn is.
	window := make(chan struct{}, 4*threads)
	go func() {
		defer close(slots)
		for i := 0; i < n; i++ {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case slots <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for i := range results {
		r := &results[i]
		select {
		case <-r.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		for _, err := range r.damage {
			damage(EVTXDamage(f.Path, err))
		}
		for j := range r.events {
			if err := fn(&r.events[j]); err != nil {
				return err
			}
		}
		r.events, r.damage = nil, nil
		<-window
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
