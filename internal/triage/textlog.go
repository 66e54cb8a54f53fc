package triage

import (
	"context"

	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/update"
)

func readTextLog(ctx context.Context, f input.File, obs []update.Observation, in *Inputs, damage func(input.Damage)) ([]update.Observation, error) {
	return obs, nil
}
