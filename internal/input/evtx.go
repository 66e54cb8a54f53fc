package input

import (
	"context"
	"errors"
)

// TODO(scaffold): replaced by the real reader in this session.
func readEVTX(ctx context.Context, f File, fn Handler, damage func(Damage)) error {
	return errors.New("input: evtx reader not built yet")
}
