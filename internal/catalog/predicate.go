package catalog

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wuguard/wuguard/internal/errcode"
	"github.com/wuguard/wuguard/internal/update"
)

// Predicate is one piece of evidence a case needs. Predicates are evaluated
// against one update on one host; most look at the update's "anchor
// failure": its latest failed attempt that reported one of the entry's error
// codes (any failure when the entry lists none).
type Predicate interface {
	// Eval reports whether the predicate holds and the facts it found, which
	// the report shows as the evidence behind a verdict.
	Eval(c *Context) (bool, []Claim)
	// String returns the predicate as written in YAML.
	String() string
}

// Claim is one fact found in the logs, with the records that show it.
type Claim struct {
	Text     Text
	Evidence []update.Evidence
}

// Context is what predicates are evaluated against.
type Context struct {
	Host   *update.Host
	Update *update.Update
	Entry  *Entry
	anchor *update.Attempt
}

// NewContext prepares the evaluation of e's predicates for u on h.
func NewContext(h *update.Host, u *update.Update, e *Entry) *Context {
	c := &Context{Host: h, Update: u, Entry: e}
	for i := len(u.Attempts) - 1; i >= 0; i-- {
		if a := u.Attempts[i]; a.Failed() && c.relevant(a) {
			c.anchor = a
			break
		}
	}
	return c
}

// relevant reports whether a failed attempt reported one of the entry's
// codes (every failure is relevant to an entry without codes).
func (c *Context) relevant(a *update.Attempt) bool {
	if len(c.Entry.ErrorCodes) == 0 {
		return true
	}
	for _, code := range c.Entry.ErrorCodes {
		if a.HasCode(code) {
			return true
		}
	}
	return false
}

func (c *Context) failures() []*update.Attempt {
	var out []*update.Attempt
	for _, a := range c.Update.Attempts {
		if a.Failed() && c.relevant(a) {
			out = append(out, a)
		}
	}
	return out
}

// sessions returns the boot sessions of the relevant failures, or of the
// latest attempt when there is none: where WinRE and CBS evidence is looked for.
func (c *Context) sessions() []int {
	var s []int
	add := func(n int) {
		if !slices.Contains(s, n) {
			s = append(s, n)
		}
	}
	for _, a := range c.failures() {
		add(c.Host.Session(a.ResultAt))
	}
	if len(s) == 0 && len(c.Update.Attempts) > 0 {
		a := c.Update.Attempts[len(c.Update.Attempts)-1]
		add(c.Host.Session(a.Start))
		add(c.Host.Session(a.End))
	}
	slices.Sort(s)
	return s
}

type argKind int

const (
	argBool argKind = iota + 1
	argCount
	argPhase
	argCode
	argText
	argList
	argPredicate
)

type arg struct {
	b    bool
	n    int
	code uint32
	text string
}

type predicateSpec struct {
	arg   argKind
	build func(arg) Predicate
	list  func([]Predicate) Predicate
	// Doc is the one-line description docs/catalog.md and tests use.
	doc string
}

// fact finds one fact; a boolean predicate written with false holds when the
// fact is absent.
type fact func(c *Context, a arg) (bool, Claim)

func leafSpec(kind argKind, name, doc string, f fact) predicateSpec {
	return predicateSpec{arg: kind, doc: doc, build: func(a arg) Predicate {
		return &leaf{name: name, kind: kind, a: a, fact: f}
	}}
}

var predicateSpecs = map[string]predicateSpec{
	"latest_attempt_failed": leafSpec(argBool, "latest_attempt_failed",
		"the update's latest result is a failure with one of the entry's error codes", latestAttemptFailed),
	"another_update_pending_restart_at_failure": leafSpec(argBool, "another_update_pending_restart_at_failure",
		"when the anchor failure happened, a different update was waiting for a restart", pendingRestartAtFailure),
	"boot_after_failure": leafSpec(argBool, "boot_after_failure",
		"Windows started again after the anchor failure", bootAfterFailure),
	"same_update_succeeded_after_failure": leafSpec(argBool, "same_update_succeeded_after_failure",
		"a later attempt of the same update succeeded", succeededAfterFailure),
	"same_update_succeeded_after_next_boot": leafSpec(argBool, "same_update_succeeded_after_next_boot",
		"the same update succeeded after the first boot that followed the anchor failure", succeededAfterNextBoot),
	"no_failure_after_next_boot": leafSpec(argBool, "no_failure_after_next_boot",
		"after the first boot that followed the anchor failure, Windows Update ran again and the update did not fail again", noFailureAfterNextBoot),
	"failure_repeats_across_boots": leafSpec(argCount, "failure_repeats_across_boots",
		"the update failed with one of the entry's codes in at least N different boot sessions", failureRepeatsAcrossBoots),
	"failed_attempts": leafSpec(argCount, "failed_attempts",
		"the update failed with one of the entry's codes at least N times", failedAttempts),
	"installed_attempts": leafSpec(argCount, "installed_attempts",
		"the update installed at least N times (separate attempts that each ended installed)", installedAttempts),
	"winreagent_4502_error_phase": leafSpec(argPhase, "winreagent_4502_error_phase",
		"WinREAgent logged 4502 (WinRE servicing failed) with this ErrorPhase in a boot session where the update failed", winRE4502Phase),
	"winreagent_4501_after_failure": leafSpec(argBool, "winreagent_4501_after_failure",
		"WinREAgent logged 4501 (WinRE servicing succeeded) after the anchor failure", winRE4501AfterFailure),
	"cbs_error_code": leafSpec(argCode, "cbs_error_code",
		"CBS (Setup log Servicing events or CBS.log) reported this code in a boot session where the update failed", cbsErrorCode),
	"cbs_log_contains": leafSpec(argText, "cbs_log_contains",
		"a CBS.log line in a boot session where the update failed contains this text (case-insensitive)", cbsLogContains),
	"any": {arg: argList, doc: "at least one of the listed predicates holds", list: func(p []Predicate) Predicate { return &anyOf{p} }},
	"all": {arg: argList, doc: "every listed predicate holds", list: func(p []Predicate) Predicate { return &allOf{p} }},
	"not": {arg: argPredicate, doc: "the given predicate does not hold", list: func(p []Predicate) Predicate { return &notOf{p[0]} }},
}

// PredicateDocs returns the vocabulary: each predicate name with its
// one-line meaning.
func PredicateDocs() map[string]string {
	out := map[string]string{}
	for name, s := range predicateSpecs {
		out[name] = s.doc
	}
	return out
}

type leaf struct {
	name string
	kind argKind
	a    arg
	fact fact
}

func (l *leaf) Eval(c *Context) (bool, []Claim) {
	ok, claim := l.fact(c, l.a)
	if l.kind == argBool && !l.a.b {
		ok = !ok
	}
	if claim.Text.EN == "" {
		return ok, nil
	}
	return ok, []Claim{claim}
}

func (l *leaf) String() string {
	switch l.kind {
	case argBool:
		return l.name + ": " + strconv.FormatBool(l.a.b)
	case argCount, argPhase:
		return l.name + ": " + strconv.Itoa(l.a.n)
	case argCode:
		return l.name + ": " + errcode.Hex(l.a.code)
	}
	return l.name + ": " + strconv.Quote(l.a.text)
}

type allOf struct{ subs []Predicate }

func (p *allOf) Eval(c *Context) (bool, []Claim) { return evalAll(p.subs, c) }
func (p *allOf) String() string                  { return "all: " + joinPredicates(p.subs) }

type anyOf struct{ subs []Predicate }

// Eval evaluates every alternative, so that the report shows all the
// evidence that holds, not only the first piece found.
func (p *anyOf) Eval(c *Context) (bool, []Claim) {
	var held, seen []Claim
	ok := false
	for _, s := range p.subs {
		sok, claims := s.Eval(c)
		if sok {
			ok = true
			held = append(held, claims...)
		}
		seen = append(seen, claims...)
	}
	if ok {
		return true, held
	}
	return false, seen
}
func (p *anyOf) String() string { return "any: " + joinPredicates(p.subs) }

type notOf struct{ sub Predicate }

func (p *notOf) Eval(c *Context) (bool, []Claim) {
	ok, claims := p.sub.Eval(c)
	return !ok, claims
}
func (p *notOf) String() string { return "not: {" + p.sub.String() + "}" }

// evalAll evaluates predicates in order, stopping at the first that fails.
func evalAll(preds []Predicate, c *Context) (bool, []Claim) {
	var claims []Claim
	for _, p := range preds {
		ok, cl := p.Eval(c)
		claims = append(claims, cl...)
		if !ok {
			return false, claims
		}
	}
	return true, claims
}

func joinPredicates(ps []Predicate) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = "{" + p.String() + "}"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// when formats a time for claims; logs keep UTC, and so do the claims.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func claimf(ev []update.Evidence, en, ja string, args ...any) Claim {
	return Claim{Text: Text{EN: fmt.Sprintf(en, args...), JA: fmt.Sprintf(ja, args...)}, Evidence: ev}
}

// resultEvidence returns the records behind an attempt's result.
func resultEvidence(a *update.Attempt) []update.Evidence {
	var ev []update.Evidence
	for _, o := range a.Observations {
		switch o.Kind {
		case update.KindInstalled, update.KindInstallFailed, update.KindDownloadFailed,
			update.KindWinRESucceeded, update.KindWinREFailed, update.KindWinRECancelled,
			update.KindWinRERolledBack, update.KindUninstalled, update.KindRestartRequired:
			ev = append(ev, o.Evidence)
		}
	}
	return ev
}

func codeOf(a *update.Attempt) string {
	if !a.HasError {
		return "no error code"
	}
	return errcode.Hex(a.ErrorCode)
}

var noAnchor = claimf(nil, "no failure of this update matches the entry", "この項目に当てはまる失敗は記録されていません")

func latestAttemptFailed(c *Context, _ arg) (bool, Claim) {
	a := c.Update.LatestResult()
	if a == nil {
		return false, claimf(nil, "no install result is logged for this update", "この更新プログラムのインストール結果は記録されていません")
	}
	if a.Failed() && c.relevant(a) {
		return true, claimf(resultEvidence(a), "the latest attempt failed with %s on %s", "最新の試行は %s で失敗しました (%s)", codeOf(a), when(a.ResultAt))
	}
	if a.Failed() {
		return false, claimf(resultEvidence(a), "the latest attempt failed with %s on %s, a code this entry is not about", "最新の試行は %s で失敗しました (%s)。この項目の対象外のコードです", codeOf(a), when(a.ResultAt))
	}
	at := a.ResultAt
	if at.IsZero() {
		at = a.RestartRequiredAt
	}
	return false, claimf(resultEvidence(a), "the latest attempt did not fail (%s on %s)", "最新の試行は失敗していません (%s、%s)", a.Result, when(at))
}

func pendingRestartAtFailure(c *Context, _ arg) (bool, Claim) {
	a := c.anchor
	if a == nil {
		return false, noAnchor
	}
	for i := range c.Host.PendingRestarts {
		p := &c.Host.PendingRestarts[i]
		if p.Key == c.Update.Key || !p.Pending(a.ResultAt) {
			continue
		}
		// A wait that names no update counts only if it began before this
		// update's attempt, so that it cannot be this update's own.
		if p.Key == "" && !p.Since.Before(a.Start) {
			continue
		}
		name := p.Title
		if name == "" {
			name = "an update the log does not name"
			if p.Key != "" {
				name = p.Key
			}
		}
		return true, claimf(p.Evidence, "%s was waiting for a restart (since %s) when this update failed on %s",
			"%s が再起動待ち (%s から) の間に、この更新プログラムが失敗しました (%s)", name, when(p.Since), when(a.ResultAt))
	}
	return false, claimf(resultEvidence(a), "no other update was waiting for a restart when this update failed on %s",
		"この更新プログラムが失敗した時点 (%s) で、再起動待ちの更新プログラムはありませんでした", when(a.ResultAt))
}

func bootAfterFailure(c *Context, _ arg) (bool, Claim) {
	a := c.anchor
	if a == nil {
		return false, noAnchor
	}
	if b, ok := c.Host.NextBoot(a.ResultAt); ok {
		return true, claimf(bootEvidence(b), "Windows restarted on %s, after the failure on %s", "失敗 (%[2]s) の後、%[1]s に Windows が再起動しました", when(b.Time), when(a.ResultAt))
	}
	return false, claimf(resultEvidence(a), "no restart is logged after the failure on %s (the logs end on %s)",
		"失敗 (%s) の後の再起動は記録されていません (ログの終わり: %s)", when(a.ResultAt), when(c.Host.Last))
}

// bootEvidence returns the first record of a boot (Kernel-General 12 where
// the log has it); the other markers of the same boot add nothing to a claim.
func bootEvidence(b update.Boot) []update.Evidence {
	if len(b.Evidence) == 0 {
		return nil
	}
	return b.Evidence[:1]
}

func laterSuccess(c *Context, after time.Time) *update.Attempt {
	for _, a := range c.Update.Attempts {
		if a.Succeeded() && a.ResultAt.After(after) {
			return a
		}
	}
	return nil
}

func succeededAfterFailure(c *Context, _ arg) (bool, Claim) {
	a := c.anchor
	if a == nil {
		return false, noAnchor
	}
	if s := laterSuccess(c, a.ResultAt); s != nil {
		return true, claimf(resultEvidence(s), "a later attempt installed the update on %s", "後の試行で %s にインストールされました", when(s.ResultAt))
	}
	return false, claimf(nil, "no later attempt installed the update", "後の試行でインストールされた記録はありません")
}

func succeededAfterNextBoot(c *Context, _ arg) (bool, Claim) {
	a := c.anchor
	if a == nil {
		return false, noAnchor
	}
	b, ok := c.Host.NextBoot(a.ResultAt)
	if !ok {
		return false, claimf(nil, "no restart is logged after the failure on %s", "失敗 (%s) の後の再起動は記録されていません", when(a.ResultAt))
	}
	if s := laterSuccess(c, b.Time); s != nil {
		return true, claimf(resultEvidence(s), "after the restart on %s the update installed on %s", "%s の再起動の後、%s にインストールされました", when(b.Time), when(s.ResultAt))
	}
	return false, claimf(bootEvidence(b), "the update did not install after the restart on %s", "%s の再起動の後、インストールされた記録はありません", when(b.Time))
}

func noFailureAfterNextBoot(c *Context, _ arg) (bool, Claim) {
	a := c.anchor
	if a == nil {
		return false, noAnchor
	}
	b, ok := c.Host.NextBoot(a.ResultAt)
	if !ok {
		return false, claimf(nil, "no restart is logged after the failure on %s", "失敗 (%s) の後の再起動は記録されていません", when(a.ResultAt))
	}
	for _, f := range c.Update.Attempts {
		if f.Failed() && f.ResultAt.After(b.Time) {
			return false, claimf(resultEvidence(f), "the update failed again on %s, after the restart on %s", "%[2]s の再起動の後、%[1]s に再び失敗しました", when(f.ResultAt), when(b.Time))
		}
	}
	if o := c.Host.WindowsUpdateRanAfter(b.Time); o != nil {
		return true, claimf([]update.Evidence{o.Evidence},
			"after the restart on %s Windows Update ran again (%s) and the update did not fail again",
			"%s の再起動の後、Windows Update が再び動作し (%s)、この更新プログラムは再び失敗していません", when(b.Time), when(o.Time))
	}
	return false, claimf(bootEvidence(b), "Windows Update has not run since the restart on %s, so a repeat cannot be ruled out yet",
		"%s の再起動以降 Windows Update が動作していないため、再発しないとはまだ言えません", when(b.Time))
}

func failureRepeatsAcrossBoots(c *Context, a arg) (bool, Claim) {
	sessions := map[int]bool{}
	var ev []update.Evidence
	for _, f := range c.failures() {
		sessions[c.Host.Session(f.ResultAt)] = true
		ev = append(ev, resultEvidence(f)...)
	}
	n := len(sessions)
	return n >= a.n, claimf(ev, "the update failed in %d separate boot session(s)", "この更新プログラムは %d 回の起動セッションで失敗しました", n)
}

func failedAttempts(c *Context, a arg) (bool, Claim) {
	fs := c.failures()
	var ev []update.Evidence
	for _, f := range fs {
		ev = append(ev, resultEvidence(f)...)
	}
	return len(fs) >= a.n, claimf(ev, "the update failed %d time(s)", "この更新プログラムは %d 回失敗しました", len(fs))
}

func installedAttempts(c *Context, a arg) (bool, Claim) {
	var ev []update.Evidence
	n := 0
	for _, at := range c.Update.Attempts {
		if at.Succeeded() {
			n++
			ev = append(ev, resultEvidence(at)...)
		}
	}
	return n >= a.n, claimf(ev, "the update installed %d time(s)", "この更新プログラムは %d 回インストールされました", n)
}

func winRE4502Phase(c *Context, a arg) (bool, Claim) {
	for _, s := range c.sessions() {
		records := c.Host.WinREBySession[s]
		for i := range records {
			o := &records[i]
			if o.Kind != update.KindWinREFailed || !o.HasErrorPhase || o.ErrorPhase != a.n {
				continue
			}
			code := "no code"
			if o.HasError {
				code = errcode.Hex(o.ErrorCode)
			}
			return true, claimf([]update.Evidence{o.Evidence}, "WinREAgent 4502: WinRE servicing failed with ErrorPhase %d (%s) on %s",
				"WinREAgent 4502: WinRE の更新が ErrorPhase %d (%s) で失敗しました (%s)", a.n, code, when(o.Time))
		}
	}
	return false, claimf(nil, "no WinREAgent 4502 with ErrorPhase %d in the boot sessions of the failures",
		"失敗した起動セッションに ErrorPhase %d の WinREAgent 4502 はありません", a.n)
}

func winRE4501AfterFailure(c *Context, _ arg) (bool, Claim) {
	a := c.anchor
	if a == nil {
		return false, noAnchor
	}
	for s := c.Host.Session(a.ResultAt); s <= len(c.Host.Boots); s++ {
		records := c.Host.WinREBySession[s]
		for i := range records {
			o := &records[i]
			if o.Kind != update.KindWinRESucceeded || !o.Time.After(a.ResultAt) {
				continue
			}
			v := o.WinREVersion
			if v == "" {
				v = "not logged"
			}
			return true, claimf([]update.Evidence{o.Evidence}, "WinREAgent 4501: WinRE servicing succeeded on %s (WinRE version %s)",
				"WinREAgent 4501: WinRE の更新が成功しました (%s、WinRE バージョン %s)", when(o.Time), v)
		}
	}
	return false, claimf(nil, "no WinREAgent 4501 (WinRE servicing succeeded) after the failure on %s",
		"失敗 (%s) の後に WinREAgent 4501 (WinRE の更新成功) はありません", when(a.ResultAt))
}

func cbsErrorCode(c *Context, a arg) (bool, Claim) {
	for _, s := range c.sessions() {
		records := c.Host.CBSBySession[s]
		for i := range records {
			o := &records[i]
			if o.HasError && o.ErrorCode == a.code {
				return true, claimf([]update.Evidence{o.Evidence}, "CBS reported %s on %s", "CBS が %s を報告しました (%s)", errcode.Hex(a.code), when(o.Time))
			}
		}
	}
	return false, claimf(nil, "CBS did not report %s in the boot sessions of the failures", "失敗した起動セッションで CBS は %s を報告していません", errcode.Hex(a.code))
}

func cbsLogContains(c *Context, a arg) (bool, Claim) {
	needle := strings.ToLower(a.text)
	for _, s := range c.sessions() {
		records := c.Host.CBSBySession[s]
		for i := range records {
			o := &records[i]
			if o.Evidence.Provider == update.LogCBS && o.Contains(needle) {
				return true, claimf([]update.Evidence{o.Evidence}, "CBS.log says %q on %s", "CBS.log に %q とあります (%s)", a.text, when(o.Time))
			}
		}
	}
	return false, claimf(nil, "no CBS.log line with %q in the boot sessions of the failures", "失敗した起動セッションの CBS.log に %q を含む行はありません", a.text)
}
