package input

import (
	"context"
	"errors"
	"strconv"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
)

// readEVTX streams the records of an .evtx file. Every damaged chunk or
// record is reported with its chunk index and offset, and reading goes on.
func readEVTX(ctx context.Context, f File, fn Handler, damage func(Damage)) error {
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
				err = r.Decode(&ev.Event)
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

// EVTXDamage turns an error from package evtx into a damage report.
func EVTXDamage(path string, err error) Damage {
	var fe *evtx.FormatError
	if !errors.As(err, &fe) {
		return Damage{File: path, Chunk: -1, Offset: -1, Reason: describe(err)}
	}
	reason := fe.Reason()
	if fe.Record != 0 {
		reason = "record " + strconv.FormatUint(fe.Record, 10) + ": " + reason
	}
	return Damage{File: path, Chunk: fe.Chunk, Offset: fe.Off, Reason: reason}
}
