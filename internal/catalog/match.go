package catalog

import (
	"github.com/wuguard/wuguard/internal/update"
)

// Match is the entry and case that decided an update's verdict.
type Match struct {
	Entry  *Entry
	Case   *Case
	Claims []Claim
}

// Match returns the first entry, in [Catalog.Entries] order, that applies to
// u on h and has a case whose predicates hold; nil when none does.
func (c *Catalog) Match(h *update.Host, u *update.Update) *Match {
	build, knownBuild := ParseBuild(h.Build)
	for _, e := range c.Entries() {
		if !e.appliesTo(u, build, knownBuild) {
			continue
		}
		ctx := NewContext(h, u, e)
		for i := range e.Cases {
			cs := &e.Cases[i]
			if ok, claims := evalAll(cs.When, ctx); ok {
				return &Match{Entry: e, Case: cs, Claims: claims}
			}
		}
	}
	return nil
}

// appliesTo checks the entry's keys: subject, KB, error codes and builds. An
// unknown host build does not exclude an entry; the logs may lack boot events.
func (e *Entry) appliesTo(u *update.Update, build Build, knownBuild bool) bool {
	if (e.Subject == SubjectWinRE) != u.WinRE {
		return false
	}
	if len(e.KBs) > 0 && !e.HasKB(u.KB) {
		return false
	}
	if len(e.ErrorCodes) > 0 && !reported(u, e.ErrorCodes) {
		return false
	}
	if knownBuild && len(e.Builds) > 0 {
		in := false
		for _, r := range e.Builds {
			in = in || r.Contains(build)
		}
		if !in {
			return false
		}
	}
	return true
}

func reported(u *update.Update, codes []uint32) bool {
	for _, a := range u.Attempts {
		for _, code := range codes {
			if a.HasCode(code) {
				return true
			}
		}
	}
	return false
}
