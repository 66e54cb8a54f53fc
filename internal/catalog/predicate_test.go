package catalog_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/eventgen"
)

// holds reports whether one predicate holds for the update key in scenario s,
// through an entry that has that predicate as its only case (and the code
// 0x80070643, which the scenarios below fail with).
func holds(t *testing.T, s scenario, pred string) bool {
	t.Helper()
	src := fmt.Sprintf(`id: probe
title: probe
summary: {en: probe, ja: probe}
error_codes: ["0x80070643"]
subject: %s
cases:
  - name: probe
    when:
      - %s
    assessment: investigate
    guidance: {en: probe, ja: probe}
sources: [test]
`, subjectOf(s.key), pred)
	e, err := catalog.Parse("probe.yaml", []byte(src))
	if err != nil {
		t.Fatalf("probe entry: %v", err)
	}
	h, u := s.host(t)
	ctx := catalog.NewContext(h, u, e)
	ok, claims := e.Cases[0].When[0].Eval(ctx)
	if len(claims) == 0 {
		t.Errorf("%s gave no claim to show", pred)
	}
	return ok
}

func subjectOf(key string) string {
	if key == "WinRE" {
		return "winre-servicing"
	}
	return "update"
}

func TestPredicates(t *testing.T) {
	winre := func(h *eventgen.Host) *eventgen.Update { return winreDU(h, "KB5057589") }
	pendingThenFail := func(h *eventgen.Host) {
		cuPendingRestart(h)
		failOnce(winre(h), 40, 0x80070643)
	}
	failed := func(h *eventgen.Host) { failOnce(winre(h), 40, 0x80070643) }
	failedThenBoot := func(h *eventgen.Host) {
		failOnce(winre(h), 40, 0x80070643)
		h.UpdateRestart(at(60))
	}
	failedBootScan := func(h *eventgen.Host) {
		failedThenBoot(h)
		h.Scan(at(200), 0)
	}
	failedBootFailAgain := func(h *eventgen.Host) {
		failedThenBoot(h)
		failOnce(winre(h), 200, 0x80070643)
	}
	failedBootInstalled := func(h *eventgen.Host) {
		failedThenBoot(h)
		install(winre(h), 200)
	}
	failedThenInstalledSameSession := func(h *eventgen.Host) {
		failOnce(winre(h), 40, 0x80070643)
		install(winre(h), 50)
	}
	otherCode := func(h *eventgen.Host) { failOnce(winre(h), 40, 0x80070002) }
	with4502 := func(phase int) func(h *eventgen.Host) {
		return func(h *eventgen.Host) {
			failOnce(winre(h), 40, 0x80070643)
			h.WinREFailed(at(43), phase, 0x80070070)
		}
	}
	with4501 := func(h *eventgen.Host) {
		failedThenBoot(h)
		h.WinRESucceeded(at(70), "10.0.19041.5737")
	}
	ownRestartOnly := func(h *eventgen.Host) {
		u := winre(h)
		u.InstallStarted(at(40))
		u.RestartRequired(at(41))
		u.Failed(at(42), 0x80070643, 0)
	}
	servicing3 := func(h *eventgen.Host) {
		u := h.Update("Update (KB5055518)", "1e6f2a58-1c8b-4d3e-9a57-3b2f1c0d9e11", 1, "KB5055518")
		u.InstallStarted(at(38))
		u.Failed(at(40), 0x80070643, 0x800f0922)
	}
	sc := func(events func(*eventgen.Host)) scenario {
		return scenario{build: 19045, key: "KB5057589", events: events}
	}
	cases := []struct {
		pred string
		s    scenario
		want bool
	}{
		{"latest_attempt_failed: true", sc(failed), true},
		{"latest_attempt_failed: true", sc(failedThenInstalledSameSession), false},
		{"latest_attempt_failed: true", sc(otherCode), false},
		{"latest_attempt_failed: false", sc(failedThenInstalledSameSession), true},

		{"another_update_pending_restart_at_failure: true", sc(pendingThenFail), true},
		{"another_update_pending_restart_at_failure: true", sc(failed), false},
		{"another_update_pending_restart_at_failure: true", sc(ownRestartOnly), false},

		{"boot_after_failure: true", sc(failedThenBoot), true},
		{"boot_after_failure: true", sc(failed), false},
		{"boot_after_failure: false", sc(failed), true},

		{"same_update_succeeded_after_failure: true", sc(failedThenInstalledSameSession), true},
		{"same_update_succeeded_after_failure: true", sc(failedThenBoot), false},

		{"same_update_succeeded_after_next_boot: true", sc(failedBootInstalled), true},
		{"same_update_succeeded_after_next_boot: true", sc(failedThenInstalledSameSession), false},

		{"no_failure_after_next_boot: true", sc(failedBootScan), true},
		{"no_failure_after_next_boot: true", sc(failedThenBoot), false},
		{"no_failure_after_next_boot: true", sc(failedBootFailAgain), false},
		{"no_failure_after_next_boot: true", sc(failed), false},

		{"failure_repeats_across_boots: 2", sc(failedBootFailAgain), true},
		{"failure_repeats_across_boots: 2", sc(failedThenBoot), false},
		{"failure_repeats_across_boots: 1", sc(failed), true},

		{"installed_attempts: 1", sc(failedBootInstalled), true},
		{"installed_attempts: 2", sc(failedBootInstalled), false},
		{"failed_attempts: 2", sc(failedBootFailAgain), true},
		{"failed_attempts: 2", sc(failed), false},

		{"winreagent_4502_error_phase: 2", sc(with4502(2)), true},
		{"winreagent_4502_error_phase: 2", sc(with4502(3)), false},
		{"winreagent_4502_error_phase: 3", sc(with4502(3)), true},

		{"winreagent_4501_after_failure: true", sc(with4501), true},
		{"winreagent_4501_after_failure: true", sc(failedThenBoot), false},

		{"cbs_error_code: 0x800f0922", scenario{build: 19045, key: "KB5055518", events: servicing3}, true},
		{"cbs_error_code: 0x800f081f", scenario{build: 19045, key: "KB5055518", events: servicing3}, false},

		{`cbs_log_contains: "insufficient FREE space"`, scenario{build: 19045, key: "KB5057589", events: failed,
			cbsLines: []cbsLine{{41, "Error CBS Insufficient free space"}}}, true},
		{`cbs_log_contains: "insufficient free space"`, sc(failed), false},

		{"any: [{boot_after_failure: true}, {latest_attempt_failed: true}]", sc(failed), true},
		{"any: [{boot_after_failure: true}, {failed_attempts: 5}]", sc(failed), false},
		{"all: [{boot_after_failure: false}, {latest_attempt_failed: true}]", sc(failed), true},
		{"all: [{boot_after_failure: true}, {latest_attempt_failed: true}]", sc(failed), false},
		{"not: {boot_after_failure: true}", sc(failed), true},
		{"not: {latest_attempt_failed: true}", sc(failed), false},
	}
	tested := map[string]bool{}
	for _, c := range cases {
		name := strings.SplitN(c.pred, ":", 2)[0]
		tested[name] = true
		t.Run(fmt.Sprintf("%s=%v", c.pred, c.want), func(t *testing.T) {
			if got := holds(t, c.s, c.pred); got != c.want {
				t.Fatalf("%s = %v, want %v", c.pred, got, c.want)
			}
		})
	}
	for name := range catalog.PredicateDocs() {
		if !tested[name] {
			t.Errorf("predicate %s has no test", name)
		}
	}
}

func TestWinREPredicatesOnPseudoUpdate(t *testing.T) {
	s := scenario{build: 22621, key: "WinRE", events: func(h *eventgen.Host) {
		h.WinREStarted(at(20))
		h.WinREFailed(at(21), 2, 0x80070643)
		h.Restart(at(30), `C:\Windows\system32\shutdown.exe`, "Other (Planned)", "0x80000000")
		h.WinREStarted(at(40))
		h.WinREFailed(at(41), 2, 0x80070643)
	}}
	if !holds(t, s, "winreagent_4502_error_phase: 2") || !holds(t, s, "failure_repeats_across_boots: 2") {
		t.Fatal("WinRE pseudo-update predicates")
	}
}
