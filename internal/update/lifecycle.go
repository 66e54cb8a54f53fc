// Package update rebuilds the install lifecycle of every Windows update from
// the machine's own logs: each attempt's download, start, result and error
// code, the boots and restarts in between, and which update waited for a
// restart when.
//
// Input is a list of [Observation] values, made from events by
// [AppendFromEvent] and from text-log lines by [FromTextEntry]; [Build] sorts
// them per host and returns one [Host] each. Nothing here judges whether a
// failure is real: that is the catalog's and the triage's job.
package update

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wuguard/wuguard/internal/event"
)

// Status is where an update stands according to its latest result.
type Status string

// The statuses an update can have.
const (
	StatusInstalled      Status = "installed"
	StatusPendingRestart Status = "pending-restart"
	StatusFailed         Status = "failed"
	StatusUnknown        Status = "unknown"
)

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusInstalled, StatusPendingRestart, StatusFailed, StatusUnknown:
		return true
	}
	return false
}

// Result is the outcome of one install attempt.
type Result string

// Attempt results. An attempt without a result is still running, or its end
// is missing from the logs.
const (
	ResultNone            Result = "none"
	ResultInstalled       Result = "installed"
	ResultFailed          Result = "failed"
	ResultUninstalled     Result = "uninstalled"
	ResultUninstallFailed Result = "uninstall-failed"
)

// WinREKey is the key of the pseudo-update that collects the WinRE servicing
// agent's own events (WinREAgent 4500-4504), which name no update.
const WinREKey = "WinRE"

// bootMergeWindow is how close boot markers must be to belong to one boot:
// Kernel-General 12 is written when the kernel starts, EventLog 6005 when the
// event log service starts, minutes later on slow machines.
const bootMergeWindow = 10 * time.Minute

// resultJoinWindow is how close two results of the same outcome must be to
// count as one attempt reported by two logs (Servicing 2 and WindowsUpdateClient
// 19 for the same install).
const resultJoinWindow = time.Hour

// Boot is one start of the operating system.
type Boot struct {
	Time time.Time
	// AfterUnexpectedShutdown is set when the boot logged EventLog 6008 or
	// Kernel-Power 41: the previous session did not end cleanly.
	AfterUnexpectedShutdown bool
	Build                   string
	Evidence                []Evidence
}

// Attempt is one try to install (or remove) an update.
type Attempt struct {
	Start, End time.Time
	Revision   int
	Result     Result
	ResultAt   time.Time
	// Codes holds the distinct error codes the attempt reported, in order.
	Codes []uint32
	// ErrorCode is the code Windows Update showed the user: the one from the
	// Windows Update client when it logged one, else the first code.
	ErrorCode uint32
	HasError  bool
	// RestartRequired is set when a log said the attempt waits for a restart.
	RestartRequired   bool
	RestartRequiredAt time.Time
	// ErrorPhase is WinREAgent 4502's phase (2: not enough space in the
	// recovery partition).
	ErrorPhase    int
	HasErrorPhase bool
	WinREVersion  string
	Observations  []Observation
	errorFromWU   bool
	// starts lists the distinct steps (kind and provider) that started this
	// attempt, to tell a second start from the same step seen in two logs.
	starts []startStep
}

type startStep struct {
	kind     Kind
	provider string
	at       time.Time
}

// restartStepWindow is how far apart two starts of the same step in the same
// log must be to count as two attempts.
const restartStepWindow = 30 * time.Minute

// Failed reports whether the attempt ended in an install failure.
func (a *Attempt) Failed() bool { return a.Result == ResultFailed }

// Succeeded reports whether the attempt installed the update.
func (a *Attempt) Succeeded() bool { return a.Result == ResultInstalled }

// HasCode reports whether the attempt reported code.
func (a *Attempt) HasCode(code uint32) bool {
	for _, c := range a.Codes {
		if c == code {
			return true
		}
	}
	return false
}

// Update is one update's history on one host.
type Update struct {
	// Key identifies the update within its host: the KB number where there is
	// one, else "guid:<update GUID>", "package:<CBS package>" or "title:<title>".
	Key      string
	KB       string
	UpdateID string // the most recent update GUID seen for it
	Title    string
	Packages []string
	// WinRE is set for the pseudo-update made of WinREAgent events.
	WinRE    bool
	Attempts []*Attempt
	Status   Status
	// StatusAt is the time of the observation the status rests on.
	StatusAt time.Time
}

// LatestResult returns the last attempt that has an install result, or nil.
func (u *Update) LatestResult() *Attempt {
	for i := len(u.Attempts) - 1; i >= 0; i-- {
		switch u.Attempts[i].Result {
		case ResultInstalled, ResultFailed, ResultUninstalled:
			return u.Attempts[i]
		}
		if u.Attempts[i].RestartRequired {
			return u.Attempts[i]
		}
	}
	return nil
}

// PendingRestart is a span during which an update waited for a restart.
type PendingRestart struct {
	// Key is the waiting update's key, or "" when the log did not name it.
	Key   string
	Title string
	Since time.Time
	// Until is the next boot, which clears the wait; zero while still pending
	// at the end of the logs.
	Until    time.Time
	Evidence []Evidence
	// ClearedBy is the boot that ended the wait, when there was one.
	ClearedBy []Evidence
}

// Pending reports whether the span covers t.
func (p *PendingRestart) Pending(t time.Time) bool {
	return !p.Since.After(t) && (p.Until.IsZero() || p.Until.After(t))
}

// Host is the lifecycle of every update on one computer.
type Host struct {
	Computer string
	// Build is the OS build of the latest boot that reported one.
	Build           string
	Boots           []Boot
	Updates         []*Update
	PendingRestarts []PendingRestart
	// Timeline holds every observation of the host in time order.
	Timeline []Observation
	// WinREBySession and CBSBySession index the timeline by boot session (see Session) for the
	// observations the catalog looks for around a failure: WinREAgent events
	// and CBS results and errors (Servicing events, CBS.log lines).
	WinREBySession map[int][]Observation
	CBSBySession   map[int][]ServicingRecord
	// wuRuns indexes the Timeline entries from the Windows Update client
	// (its events and WindowsUpdate.log lines): when the client was at work.
	wuRuns      []int
	First, Last time.Time
	// TextOffset is what was added to the times of the host's text-log lines
	// to make them UTC; TextOffsetSource says how it was found: "estimated"
	// (from TextOffsetPairs lines matched with events), "given" or "none"
	// (no way to tell: the lines were taken as UTC). Empty without text logs.
	TextOffset       time.Duration
	TextOffsetSource string
	TextOffsetPairs  int
}

// Session returns the number of boots at or before t: observations with the
// same number happened without a restart between them.
func (h *Host) Session(t time.Time) int {
	return sort.Search(len(h.Boots), func(i int) bool { return h.Boots[i].Time.After(t) })
}

// NextBoot returns the first boot after t.
func (h *Host) NextBoot(t time.Time) (Boot, bool) {
	i := h.Session(t)
	if i < len(h.Boots) {
		return h.Boots[i], true
	}
	return Boot{}, false
}

// Update returns the update with the given key, or nil.
func (h *Host) Update(key string) *Update {
	for _, u := range h.Updates {
		if u.Key == key {
			return u
		}
	}
	return nil
}

// Options tune [Build].
type Options struct {
	// TextHost names the host that text-log observations (which carry no
	// computer name) belong to when the events name more than one host or
	// none. Empty means "unknown (text logs)".
	TextHost string
	// TextOffset, when set, is added to text-log times (local time without a
	// zone) to make them UTC; when nil it is estimated per host.
	TextOffset *time.Duration
}

// UnknownTextHost is the host name text logs get when no host can be told.
const UnknownTextHost = "unknown (text logs)"

// Build groups observations by computer and rebuilds each host's lifecycle.
// Hosts come out sorted by name. obs is reordered.
func Build(obs []Observation, opts Options) []*Host {
	byHost := map[string][]Observation{}
	names := map[string]string{}
	var text []Observation
	for _, o := range obs {
		if o.Computer == "" {
			text = append(text, o)
			continue
		}
		k := strings.ToLower(o.Computer)
		if _, ok := names[k]; !ok {
			names[k] = o.Computer
		}
		byHost[k] = append(byHost[k], o)
	}
	if len(text) > 0 {
		k := textHostKey(names, opts.TextHost)
		if _, ok := names[k]; !ok {
			names[k] = opts.TextHost
			if opts.TextHost == "" {
				names[k] = UnknownTextHost
			}
		}
		byHost[k] = append(byHost[k], text...)
	}
	keys := make([]string, 0, len(byHost))
	for k := range byHost {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	hosts := make([]*Host, 0, len(keys))
	for _, k := range keys {
		hosts = append(hosts, buildHost(names[k], byHost[k], opts))
	}
	return hosts
}

// textHostKey picks the host for text logs: the one the user named, else the
// only host the events name, else the "unknown" host.
func textHostKey(names map[string]string, named string) string {
	if named != "" {
		return strings.ToLower(named)
	}
	if len(names) == 1 {
		for k := range names {
			return k
		}
	}
	return strings.ToLower(UnknownTextHost)
}

func buildHost(name string, obs []Observation, opts Options) *Host {
	h := &Host{Computer: name, Timeline: obs}
	alignText(h, obs, opts)
	sort.SliceStable(obs, func(i, j int) bool { return obs[i].Time.Before(obs[j].Time) })
	if len(obs) > 0 {
		h.First, h.Last = obs[0].Time, obs[len(obs)-1].Time
	}
	h.Boots = findBoots(obs)
	for i := len(h.Boots) - 1; i >= 0; i-- {
		if h.Boots[i].Build != "" {
			h.Build = h.Boots[i].Build
			break
		}
	}
	keys := assignKeys(obs)
	groups := map[string][]Observation{}
	var order []string
	for i, o := range obs {
		k := keys[i]
		if k == "" {
			continue
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], o)
	}
	for _, k := range order {
		u := buildUpdate(k, groups[k])
		u.Status, u.StatusAt = status(h, u)
		h.Updates = append(h.Updates, u)
	}
	h.PendingRestarts = pendingRestarts(h, obs, keys)
	h.index()
	return h
}

// index fills the per-session indexes of the timeline.
func (h *Host) index() {
	h.WinREBySession = map[int][]Observation{}
	h.CBSBySession = map[int][]ServicingRecord{}
	for i, o := range h.Timeline {
		switch {
		case o.Kind.aboutWinRE():
			s := h.Session(o.Time)
			h.WinREBySession[s] = append(h.WinREBySession[s], o)
		case strings.EqualFold(o.Evidence.Provider, "Microsoft-Windows-Servicing") || o.Evidence.Provider == LogCBS:
			s := h.Session(o.Time)
			h.CBSBySession[s] = append(h.CBSBySession[s], ServicingRecord{Observation: o, lower: strings.ToLower(o.Text)})
		}
		if fromWindowsUpdate(&o.Evidence) {
			h.wuRuns = append(h.wuRuns, i)
		}
	}
}

// ServicingRecord is a CBS result or error (a Servicing event or a CBS.log
// line) with its text lowered once for searching.
type ServicingRecord struct {
	Observation
	lower string
}

// Contains reports whether the record's text contains needle, which must be
// lower case.
func (r *ServicingRecord) Contains(needle string) bool {
	return strings.Contains(r.lower, needle)
}

// WindowsUpdateRanAfter returns the first thing the Windows Update client
// logged after t, or nil.
func (h *Host) WindowsUpdateRanAfter(t time.Time) *Observation {
	i := sort.Search(len(h.wuRuns), func(i int) bool { return h.Timeline[h.wuRuns[i]].Time.After(t) })
	if i < len(h.wuRuns) {
		return &h.Timeline[h.wuRuns[i]]
	}
	return nil
}

// alignText puts the host's text-log lines on the events' UTC clock.
func alignText(h *Host, obs []Observation, opts Options) {
	hasText := false
	for i := range obs {
		hasText = hasText || obs[i].Evidence.Format == string(event.FormatText)
	}
	if !hasText {
		return
	}
	switch {
	case opts.TextOffset != nil:
		h.TextOffset, h.TextOffsetSource = *opts.TextOffset, "given"
	default:
		off, pairs, ok := EstimateTextOffset(obs)
		h.TextOffsetSource = "none"
		if ok {
			h.TextOffset, h.TextOffsetPairs, h.TextOffsetSource = off, pairs, "estimated"
		}
	}
	ShiftText(obs, h.TextOffset)
}

// findBoots merges boot markers into boots: markers less than
// bootMergeWindow apart with no shutdown between them are one boot.
func findBoots(obs []Observation) []Boot {
	var boots []Boot
	var lastShutdown time.Time
	for _, o := range obs {
		switch o.Kind {
		case KindShutdown:
			lastShutdown = o.Time
			continue
		case KindBoot, KindUnexpectedShutdown:
		default:
			continue
		}
		if n := len(boots); n > 0 {
			b := &boots[n-1]
			if o.Time.Sub(b.Time) <= bootMergeWindow && !lastShutdown.After(b.Time) {
				b.Evidence = append(b.Evidence, o.Evidence)
				b.AfterUnexpectedShutdown = b.AfterUnexpectedShutdown || o.Kind == KindUnexpectedShutdown
				if o.Build != "" && (b.Build == "" || len(o.Build) > len(b.Build)) {
					b.Build = o.Build
				}
				continue
			}
		}
		boots = append(boots, Boot{
			Time:                    o.Time,
			AfterUnexpectedShutdown: o.Kind == KindUnexpectedShutdown,
			Build:                   o.Build,
			Evidence:                []Evidence{o.Evidence},
		})
	}
	return boots
}

// assignKeys gives every update observation its update key. A GUID or a title
// seen together with a KB anywhere on the host maps to that KB, so that log
// lines naming only the GUID join the KB's history.
func assignKeys(obs []Observation) []string {
	kbByGUID := map[string]string{}
	kbByTitle := map[string]string{}
	for _, o := range obs {
		if o.KB == "" {
			continue
		}
		if o.UpdateID != "" {
			kbByGUID[o.UpdateID] = o.KB
		}
		if o.Title != "" {
			kbByTitle[strings.ToLower(o.Title)] = o.KB
		}
	}
	keys := make([]string, len(obs))
	for i, o := range obs {
		switch {
		case o.Kind.aboutWinRE():
			keys[i] = WinREKey
		case !o.Kind.aboutUpdate():
		case o.KB != "":
			keys[i] = o.KB
		case o.UpdateID != "" && kbByGUID[o.UpdateID] != "":
			keys[i] = kbByGUID[o.UpdateID]
		case o.UpdateID != "":
			keys[i] = "guid:" + o.UpdateID
		case o.Title != "" && kbByTitle[strings.ToLower(o.Title)] != "":
			keys[i] = kbByTitle[strings.ToLower(o.Title)]
		case o.Package != "":
			keys[i] = "package:" + o.Package
		case o.Title != "":
			keys[i] = "title:" + o.Title
		}
	}
	joinRollupFix(obs, keys)
	return keys
}

// rollupJoinWindow is how close a cumulative update's install start and its
// RollupFix package's first CBS line must be to be taken as one install.
const rollupJoinWindow = time.Hour

// joinRollupFix gives the CBS package of a cumulative update its KB. CBS
// names a monthly cumulative update's package
// "Package_for_RollupFix~…~19041.5737.1.7", with no KB in it, so its lines
// would form an update of their own. When exactly one cumulative update
// (by title) started installing within an hour of the package's first line,
// the package is that update.
func joinRollupFix(obs []Observation, keys []string) {
	first := map[string]time.Time{}
	for i, o := range obs {
		if strings.HasPrefix(keys[i], "package:Package_for_RollupFix") {
			if t, ok := first[keys[i]]; !ok || o.Time.Before(t) {
				first[keys[i]] = o.Time
			}
		}
	}
	if len(first) == 0 {
		return
	}
	join := map[string]string{}
	for pkg, t := range first {
		candidate := ""
		for i, o := range obs {
			if o.Kind != KindInstallStarted || !strings.HasPrefix(keys[i], "KB") ||
				!strings.Contains(strings.ToLower(o.Title), "cumulative update") || (o.Time.Sub(t)).Abs() > rollupJoinWindow {
				continue
			}
			if candidate != "" && candidate != keys[i] {
				candidate = ""
				break
			}
			candidate = keys[i]
		}
		if candidate != "" {
			join[pkg] = candidate
		}
	}
	for i := range keys {
		if kb, ok := join[keys[i]]; ok {
			keys[i] = kb
		}
	}
}

// role is what an observation does to an attempt.
type role int

const (
	roleOther role = iota
	roleStart
	roleProgress
	roleResult
	roleRestart
)

func roleOf(k Kind) (role, Result) {
	switch k {
	case KindDownloadStarted, KindInstallStarted, KindWinREStarted:
		return roleStart, ResultNone
	case KindDownloaded:
		return roleProgress, ResultNone
	case KindInstalled, KindWinRESucceeded:
		return roleResult, ResultInstalled
	case KindInstallFailed, KindDownloadFailed, KindWinREFailed, KindWinRECancelled, KindWinRERolledBack:
		return roleResult, ResultFailed
	case KindUninstalled:
		return roleResult, ResultUninstalled
	case KindUninstallFailed:
		return roleResult, ResultUninstallFailed
	case KindRestartRequired:
		return roleRestart, ResultNone
	}
	return roleOther, ResultNone
}

func buildUpdate(key string, obs []Observation) *Update {
	u := &Update{Key: key, WinRE: key == WinREKey}
	if u.WinRE {
		u.Title = "Windows Recovery Environment servicing (WinREAgent)"
	}
	if strings.HasPrefix(key, "KB") {
		u.KB = key
	}
	var cur *Attempt
	for _, o := range obs {
		if o.UpdateID != "" {
			u.UpdateID = o.UpdateID
		}
		if o.Title != "" && !u.WinRE {
			u.Title = o.Title
		}
		if o.Package != "" && !slices.Contains(u.Packages, o.Package) {
			u.Packages = append(u.Packages, o.Package)
		}
		if cur == nil || !belongs(cur, o) {
			cur = &Attempt{Result: ResultNone, Start: o.Time}
			u.Attempts = append(u.Attempts, cur)
		}
		addToAttempt(cur, o)
	}
	if u.Title == "" && len(u.Packages) > 0 {
		u.Title = u.Packages[0]
	}
	return u
}

// belongs reports whether o continues attempt a rather than starting a new one.
func belongs(a *Attempt, o Observation) bool {
	r, outcome := roleOf(o.Kind)
	if a.Result == ResultNone {
		if r != roleStart {
			return true
		}
		// The same step reported by two logs (WindowsUpdateClient 43 and
		// Servicing 1), or twice by one log within minutes (WindowsUpdate.log's
		// Agent and Handler lines), is one start. The same step again later
		// means the first attempt's end is missing from the logs.
		for _, st := range a.starts {
			sameStep := st.kind == o.Kind && strings.EqualFold(st.provider, o.Evidence.Provider) && o.Time.Sub(st.at) > restartStepWindow
			if sameStep || (o.Kind == KindDownloadStarted && st.kind == KindInstallStarted) {
				return false
			}
		}
		return true
	}
	switch r {
	case roleResult:
		return outcome == a.Result && o.Time.Sub(a.ResultAt) <= resultJoinWindow
	case roleRestart:
		return a.Result == ResultInstalled && o.Time.Sub(a.ResultAt) <= resultJoinWindow
	}
	return false
}

func addToAttempt(a *Attempt, o Observation) {
	a.Observations = append(a.Observations, o)
	if o.Time.Before(a.Start) {
		a.Start = o.Time
	}
	if o.Time.After(a.End) {
		a.End = o.Time
	}
	if o.Revision != 0 {
		a.Revision = o.Revision
	}
	r, outcome := roleOf(o.Kind)
	switch r {
	case roleStart:
		known := false
		for _, st := range a.starts {
			known = known || st.kind == o.Kind && st.provider == o.Evidence.Provider
		}
		if !known {
			a.starts = append(a.starts, startStep{o.Kind, o.Evidence.Provider, o.Time})
		}
	case roleResult:
		if a.Result == ResultNone {
			a.Result, a.ResultAt = outcome, o.Time
		}
	case roleRestart:
		if !a.RestartRequired {
			a.RestartRequired, a.RestartRequiredAt = true, o.Time
		}
	}
	if o.HasError && o.ErrorCode != 0 {
		if !a.HasCode(o.ErrorCode) {
			a.Codes = append(a.Codes, o.ErrorCode)
		}
		fromWU := fromWindowsUpdate(&o.Evidence)
		if !a.HasError || (fromWU && !a.errorFromWU) {
			a.ErrorCode, a.HasError, a.errorFromWU = o.ErrorCode, true, fromWU
		}
	}
	if o.HasErrorPhase && !a.HasErrorPhase {
		a.ErrorPhase, a.HasErrorPhase = o.ErrorPhase, true
	}
	if o.WinREVersion != "" {
		a.WinREVersion = o.WinREVersion
	}
}

// status derives an update's status from its latest result: a restart wait
// that no boot has ended yet is pending-restart; one that a boot ended with
// no result logged after it is unknown.
func status(h *Host, u *Update) (Status, time.Time) {
	a := u.LatestResult()
	if a == nil {
		return StatusUnknown, time.Time{}
	}
	switch a.Result {
	case ResultFailed:
		return StatusFailed, a.ResultAt
	case ResultUninstalled:
		return StatusUnknown, a.ResultAt
	case ResultInstalled:
		if a.RestartRequired && !a.RestartRequiredAt.Before(a.ResultAt) {
			if _, booted := h.NextBoot(a.RestartRequiredAt); !booted {
				return StatusPendingRestart, a.RestartRequiredAt
			}
		}
		return StatusInstalled, a.ResultAt
	}
	if _, booted := h.NextBoot(a.RestartRequiredAt); !booted {
		return StatusPendingRestart, a.RestartRequiredAt
	}
	return StatusUnknown, a.RestartRequiredAt
}

// pendingRestarts lists the spans during which updates waited for a restart.
// Several indicators for the same update before the same boot make one span.
func pendingRestarts(h *Host, obs []Observation, keys []string) []PendingRestart {
	type spanKey struct {
		key   string
		until time.Time
	}
	byKey := map[string]*Update{}
	for _, u := range h.Updates {
		byKey[u.Key] = u
	}
	index := map[spanKey]int{}
	var spans []PendingRestart
	for i, o := range obs {
		if o.Kind != KindRestartRequired {
			continue
		}
		until := time.Time{}
		var cleared []Evidence
		if b, ok := h.NextBoot(o.Time); ok {
			until, cleared = b.Time, b.Evidence
		}
		k := spanKey{keys[i], until}
		if j, ok := index[k]; ok {
			spans[j].Evidence = append(spans[j].Evidence, o.Evidence)
			continue
		}
		title := o.Title
		if u := byKey[keys[i]]; u != nil && u.Title != "" {
			title = u.Title
		}
		if title == "" {
			title = o.Package
		}
		index[k] = len(spans)
		spans = append(spans, PendingRestart{
			Key: keys[i], Title: title, Since: o.Time, Until: until,
			Evidence: []Evidence{o.Evidence}, ClearedBy: cleared,
		})
	}
	return spans
}
