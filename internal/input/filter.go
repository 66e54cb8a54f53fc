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
// (triage keeps Windows Update, servicing and boot events of a System log):
// events that want rejects never reach fn. For EVTX files it decodes each
// record's System block first and the payload only for wanted records, which
// costs noticeably less than decoding every payload.
func ReadFiltered(ctx context.Context, f File, want Filter, fn Handler, damage func(Damage)) error {
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
	ev := event.Event{Source: event.Source{File: f.Path, Format: event.FormatEVTX}}
	for c, err := range ef.Chunks() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err != nil {
			damage(EVTXDamage(f.Path, err))
			continue
		}
		for r, err := range c.Records() {
			if err == nil {
				err = r.DecodeSystem(&ev.Event)
			}
			if err == nil && want(ev.Provider, ev.EventID) {
				err = r.Decode(&ev.Event)
			} else if err == nil {
				continue
			}
			if err != nil {
				damage(EVTXDamage(f.Path, err))
				continue
			}
			ev.Source.Offset = r.Offset
			if err := fn(&ev); err != nil {
				return err
			}
		}
	}
	return nil
}
