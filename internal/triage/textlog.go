package triage

import (
	"context"
	"fmt"
	"os"

	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/textlog"
	"github.com/wuguard/wuguard/internal/update"
)

// readTextLog returns the observations of a WindowsUpdate.log or CBS.log and
// how many of its entries gave them.
func readTextLog(ctx context.Context, f input.File, damage func(input.Damage)) ([]update.Observation, int, int, error) {
	file, err := os.Open(f.Path)
	if err != nil {
		damage(input.Damage{File: f.Path, Chunk: -1, Offset: -1, Reason: fmt.Sprintf("failed to open log: %v", err)})
		return nil, 0, 0, nil
	}
	defer file.Close()
	var obs []update.Observation
	used := 0
	fn := func(e *textlog.Entry) error {
		n := len(obs)
		obs = update.AppendFromText(obs, e)
		if len(obs) > n {
			used++
		}
		return nil
	}
	read := textlog.ReadWindowsUpdateLog
	if f.Kind == input.KindCBSLog {
		read = textlog.ReadCBSLog
	}
	err = read(ctx, file, f.Path, fn, damage)
	return obs, 0, used, err
}
