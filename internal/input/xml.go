package input

import (
	"context"
	"errors"
)

// TODO(scaffold): replaced by the real reader in this session.
func readXML(ctx context.Context, f File, fn Handler, damage func(Damage)) error {
	return errors.New("input: xml reader not built yet")
}
