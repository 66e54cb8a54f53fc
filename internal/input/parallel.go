package input

import (
	"context"
	"runtime"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
)

// Slot says where a parallel reader hands over an event: which worker (0 to
// the thread count, so that a caller can keep state per worker without
// locks) and which chunk of the file.
type Slot struct {
	Worker, Chunk int
}

// SlotHandler receives the events of [ReadParallel].
type SlotHandler func(s Slot, e *event.Event) error

// ReadParallel is [Read] for handlers that work on most events
// independently of each other, such as matching rules: the chunks of an
// EVTX file are read, decoded and handed to fn on threads workers at once (0
// means one per CPU). fn is called concurrently, but never concurrently for
// one worker; the events of a chunk come in order, and chunks in no
// particular order. For what needs file order, chunkDone (if not nil) is
// called on the caller's goroutine for each chunk in file order, once fn
// has seen all of its events; workers stay within a window of chunks ahead
// of it, so whatever fn keeps per chunk for chunkDone stays bounded.
// Damage is reported in file order too. Other formats, and a thread count of
// 1, go through [Read] as worker 0, each event a chunk of its own.
func ReadParallel(ctx context.Context, f File, threads int, fn SlotHandler, chunkDone func(chunk int) error, damage func(Damage)) error {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if chunkDone == nil {
		chunkDone = func(int) error { return nil }
	}
	if f.Kind != KindEVTX || threads == 1 {
		return Read(ctx, f, InOrder(fn, chunkDone), damage)
	}
	ef, chunks := openChunks(f, threads, damage)
	if ef == nil {
		return nil
	}
	defer ef.Close()
	n, threads := ef.NumChunks(), len(chunks)
	type chunkResult struct {
		damage []error
		err    error
	}
	results := make([]chunkResult, n)
	events := make([]event.Event, threads)
	err := inOrder(ctx, n, threads, func(w, i int) {
		ev := &events[w]
		ev.Source = event.Source{File: f.Path, Format: event.FormatEVTX}
		results[i].damage, results[i].err = readChunk(ef, i, &chunks[w], ev, Slot{Worker: w, Chunk: i}, fn)
	}, func(i int) error {
		r := &results[i]
		if r.err != nil {
			return r.err
		}
		for _, err := range r.damage {
			damage(EVTXDamage(f.Path, err))
		}
		r.damage = nil
		return chunkDone(i)
	})
	if err != nil {
		return err
	}
	if err := ef.MissingChunks(); err != nil {
		damage(EVTXDamage(f.Path, err))
	}
	return nil
}

// InOrder adapts a [SlotHandler] and its chunkDone to a reader that gives
// events one at a time in file order: every event is worker 0's and a chunk
// of its own. chunkDone may be nil.
func InOrder(fn SlotHandler, chunkDone func(chunk int) error) Handler {
	k := 0
	return func(e *event.Event) error {
		if err := fn(Slot{Chunk: k}, e); err != nil {
			return err
		}
		k++
		if chunkDone == nil {
			return nil
		}
		return chunkDone(k - 1)
	}
}

// openChunks opens EVTX file f to be read on up to threads goroutines (all
// CPUs if threads <= 0, no more than the file has chunks): it returns the
// file and a chunk for each goroutine, sharing one evtx.Cache. A file that
// cannot be opened is reported to damage and gives a nil file.
func openChunks(f File, threads int, damage func(Damage)) (*evtx.File, []evtx.Chunk) {
	ef, err := evtx.Open(f.Path)
	if err != nil {
		damage(EVTXDamage(f.Path, err))
		return nil, nil
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	chunks := make([]evtx.Chunk, max(1, min(threads, ef.NumChunks())))
	cache := evtx.NewCache()
	for w := range chunks {
		chunks[w].UseCache(cache)
	}
	return ef, chunks
}

// readChunk reads chunk slot i into c and hands its events to fn, decoded
// into ev; it returns the damage met and fn's error.
func readChunk(ef *evtx.File, i int, c *evtx.Chunk, ev *event.Event, s Slot, fn SlotHandler) ([]error, error) {
	ok, err := ef.ReadChunk(i, c)
	if err != nil {
		return []error{err}, nil
	}
	if !ok {
		return nil, nil
	}
	var damage []error
	for r, err := range c.Records() {
		if err == nil {
			err = r.Decode(&ev.Event)
		}
		if err != nil {
			damage = append(damage, err)
			continue
		}
		ev.Source.Offset = r.Offset
		if err := fn(s, ev); err != nil {
			return damage, err
		}
	}
	return damage, nil
}
