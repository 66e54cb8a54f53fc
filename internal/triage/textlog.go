package triage

import (
	"context"

	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/update"
)

func readTextLog(ctx context.Context, f input.File, damage func(input.Damage)) ([]update.Observation, int, int, error) {
	return nil, 0, 0, nil
}
