package triage

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/errcode"
	"github.com/wuguard/wuguard/internal/update"
)

// Analyze judges every update of every host against the catalog. lang picks
// the language of guidance and evidence texts ("en" or "ja").
func Analyze(hosts []*update.Host, cat *catalog.Catalog, lang string) []Host {
	out := make([]Host, 0, len(hosts))
	for _, h := range hosts {
		out = append(out, analyzeHost(h, cat, lang))
	}
	return out
}

func analyzeHost(h *update.Host, cat *catalog.Catalog, lang string) Host {
	host := Host{
		Computer:        h.Computer,
		Build:           h.Build,
		FirstEvent:      h.First,
		LastEvent:       h.Last,
		PendingRestarts: []PendingRestart{},
		Boots:           []Boot{},
		Updates:         []Update{},
		ScriptFindings:  []ScriptFinding{},
	}
	if h.TextOffsetSource != "" {
		host.TextLogs = &TextLogClock{UTCOffset: FormatUTCOffset(-h.TextOffset), Source: h.TextOffsetSource, Pairs: h.TextOffsetPairs}
	}
	for _, p := range h.PendingRestarts {
		pr := PendingRestart{Key: p.Key, Title: p.Title, Since: p.Since, Evidence: p.Evidence, ClearedBy: p.ClearedBy}
		if pr.ClearedBy == nil {
			pr.ClearedBy = []update.Evidence{}
		}
		if !p.Until.IsZero() {
			until := p.Until
			pr.Until = &until
		}
		host.PendingRestarts = append(host.PendingRestarts, pr)
	}
	for _, b := range h.Boots {
		host.Boots = append(host.Boots, Boot{Time: b.Time, AfterUnexpectedShutdown: b.AfterUnexpectedShutdown, Evidence: b.Evidence})
	}
	for _, u := range h.Updates {
		v := judge(h, u, cat, lang)
		host.Summary.add(&v)
		host.Updates = append(host.Updates, v)
	}
	sort.SliceStable(host.Updates, func(i, j int) bool {
		a, b := &host.Updates[i], &host.Updates[j]
		if ra, rb := assessmentRank(a.Assessment), assessmentRank(b.Assessment); ra != rb {
			return ra < rb
		}
		if !a.LastActivity.Equal(b.LastActivity) {
			return a.LastActivity.After(b.LastActivity)
		}
		return a.Key < b.Key
	})
	return host
}

// assessmentRank orders updates in reports: what needs a person first.
func assessmentRank(a string) int {
	switch a {
	case string(catalog.AssessmentNeedsAction):
		return 0
	case string(catalog.AssessmentInvestigate):
		return 1
	case string(catalog.AssessmentFalseAlarm):
		return 2
	}
	return 3
}

// judge gives one update its verdict: the first matching catalog case, or
// the default rules when no entry applies.
func judge(h *update.Host, u *update.Update, cat *catalog.Catalog, lang string) Update {
	v := Update{
		Key:            u.Key,
		KB:             u.KB,
		UpdateID:       u.UpdateID,
		Title:          u.Title,
		Status:         string(u.Status),
		StatusAt:       u.StatusAt,
		ReportedErrors: reportedErrors(u),
		Attempts:       attempts(u),
		Evidence:       []Claim{},
	}
	if n := len(u.Attempts); n > 0 {
		v.LastActivity = u.Attempts[n-1].End
	}
	if m := cat.Match(h, u); m != nil {
		if m.Case.Status != "" {
			v.Status = string(m.Case.Status)
		}
		v.Assessment = string(m.Case.Assessment)
		v.Guidance = m.Case.Guidance.In(lang)
		v.KnownIssue = &KnownIssue{
			ID: m.Entry.ID, Title: m.Entry.Title, Case: m.Case.Name,
			Summary: m.Entry.Summary.In(lang), Sources: m.Entry.Sources, Builtin: m.Entry.Builtin,
		}
		for _, c := range m.Claims {
			v.Evidence = append(v.Evidence, Claim{Text: c.Text.In(lang), Evidence: c.Evidence})
		}
		return v
	}
	assessment, guidance, claims := defaultVerdict(h, u)
	v.Assessment = string(assessment)
	v.Guidance = guidance.In(lang)
	for _, c := range claims {
		v.Evidence = append(v.Evidence, Claim{Text: c.Text.In(lang), Evidence: c.Evidence})
	}
	return v
}

// FormatUTCOffset writes an offset as "+09:00" or "-05:30".
func FormatUTCOffset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s%02d:%02d", sign, int(d.Hours()), int(d.Minutes())%60)
}

// ParseUTCOffset reads "+09:00", "-5:30", "+9" or "Z".
func ParseUTCOffset(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "Z" || s == "0" {
		return 0, nil
	}
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return 0, fmt.Errorf("offset %q must start with + or -, like +09:00", s)
	}
	hh, mm, _ := strings.Cut(s[1:], ":")
	h, err := strconv.Atoi(hh)
	if err != nil || h > 14 {
		return 0, fmt.Errorf("offset %q: hours must be 0 to 14", s)
	}
	m := 0
	if mm != "" {
		if m, err = strconv.Atoi(mm); err != nil || m >= 60 || len(mm) != 2 {
			return 0, fmt.Errorf("offset %q: minutes must be 00 to 59", s)
		}
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	if s[0] == '-' {
		d = -d
	}
	return d, nil
}

func text(en, ja string, args ...any) catalog.Text {
	return catalog.Text{EN: fmt.Sprintf(en, args...), JA: fmt.Sprintf(ja, args...)}
}

func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

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
	if len(ev) == 0 && len(a.Observations) > 0 {
		ev = append(ev, a.Observations[len(a.Observations)-1].Evidence)
	}
	return ev
}

// defaultVerdict judges an update no catalog entry speaks for, from its
// lifecycle alone: a result repeated across attempts is real, a single
// failure is worth a retry, a missing result is unknown.
func defaultVerdict(h *update.Host, u *update.Update) (catalog.Assessment, catalog.Text, []catalog.Claim) {
	latest := u.LatestResult()
	var claims []catalog.Claim
	claim := func(a *update.Attempt, t catalog.Text) {
		claims = append(claims, catalog.Claim{Text: t, Evidence: resultEvidence(a)})
	}
	switch u.Status {
	case update.StatusInstalled:
		claim(latest, text("installed on %s", "%s にインストールされました", when(latest.ResultAt)))
		if f := lastFailureBefore(u, latest); f != nil {
			claim(f, text("an earlier attempt failed with %s on %s", "以前の試行は %s で失敗しました (%s)", codeText(f), when(f.ResultAt)))
			return catalog.AssessmentOK, text(
				"Installed. An earlier attempt failed with %s, but a later attempt succeeded on %s, so the error in Update history is resolved. Nothing to do.",
				"インストール済みです。以前の試行は %s で失敗しましたが、%s の試行で成功したため、更新の履歴のエラーは解決済みです。作業は不要です。",
				codeText(f), when(latest.ResultAt)), claims
		}
		return catalog.AssessmentOK, text("Installed on %s. Nothing to do.", "%s にインストールされました。作業は不要です。", when(latest.ResultAt)), claims
	case update.StatusPendingRestart:
		claim(latest, text("waiting for a restart since %s", "%s から再起動を待っています", when(latest.RestartRequiredAt)))
		return catalog.AssessmentOK, text(
			"Installed and waiting for a restart since %s. Restart the computer to finish; nothing else to do.",
			"インストールされ、%s から再起動を待っています。再起動すれば完了します。ほかに作業は不要です。",
			when(latest.RestartRequiredAt)), claims
	case update.StatusFailed:
		fails := failuresSinceSuccess(u)
		for _, f := range fails {
			claim(f, text("failed with %s on %s", "%s で失敗しました (%s)", codeText(f), when(f.ResultAt)))
		}
		name := codeName(latest)
		if len(fails) >= 2 {
			return catalog.AssessmentNeedsAction, text(
				"Real failure: the update failed %d times (latest %s%s on %s) and will not install by itself. Look up the code and the KB's known issues on support.microsoft.com, and check CBS.log (C:\\Windows\\Logs\\CBS\\CBS.log) at the time of the failure. Never run \"fix\" scripts from web pages.",
				"本当の失敗です。この更新プログラムは %d 回失敗しており (最新: %s%s、%s)、自然にはインストールされません。support.microsoft.com でコードと KB の既知の問題を調べ、失敗時刻の CBS.log (C:\\Windows\\Logs\\CBS\\CBS.log) を確認してください。Web ページの「修正」スクリプトは実行しないでください。",
				len(fails), codeText(latest), name, when(latest.ResultAt)), claims
		}
		return catalog.AssessmentInvestigate, text(
			"Failed once with %s%s on %s. Restart and let Windows Update retry; if it fails again, look up the code and the KB's known issues.",
			"%[1]s%[2]s で 1 回失敗しました (%[3]s)。再起動して Windows Update に再試行させ、再び失敗する場合はコードと KB の既知の問題を調べてください。",
			codeText(latest), name, when(latest.ResultAt)), claims
	}
	if latest != nil && latest.Result == update.ResultUninstalled {
		claim(latest, text("uninstalled on %s", "%s にアンインストールされました", when(latest.ResultAt)))
		return catalog.AssessmentOK, text("Uninstalled on %s. Nothing to do unless it should be installed.",
			"%s にアンインストールされました。インストールされているべき更新でなければ作業は不要です。", when(latest.ResultAt)), claims
	}
	if latest != nil && latest.RestartRequired {
		if b, ok := h.NextBoot(latest.RestartRequiredAt); ok {
			claim(latest, text("waited for a restart since %s", "%s から再起動を待っていました", when(latest.RestartRequiredAt)))
			claims = append(claims, catalog.Claim{Text: text("Windows restarted on %s", "%s に Windows が再起動しました", when(b.Time)), Evidence: b.Evidence})
			return catalog.AssessmentInvestigate, text(
				"The update waited for a restart, and Windows restarted on %s, but no result is logged after the restart. Check Settings > Windows Update > Update history, or give wuguard the Setup log too.",
				"この更新プログラムは再起動を待ち、%s に Windows が再起動しましたが、再起動後の結果が記録されていません。設定 > Windows Update > 更新の履歴を確認するか、Setup ログも wuguard に渡してください。",
				when(b.Time)), claims
		}
	}
	if n := len(u.Attempts); n > 0 {
		last := u.Attempts[n-1]
		o := last.Observations[len(last.Observations)-1]
		claims = append(claims, catalog.Claim{Text: text("last logged step: %s on %s", "最後に記録された段階: %s (%s)", o.Kind, when(o.Time)), Evidence: []update.Evidence{o.Evidence}})
	}
	return catalog.AssessmentInvestigate, text(
		"No install result is logged for this update. If Windows Update still lists it, check Update history, or give wuguard the System, Setup and WindowsUpdateClient Operational logs of the same period.",
		"この更新プログラムのインストール結果は記録されていません。Windows Update にまだ表示される場合は更新の履歴を確認するか、同じ期間の System、Setup、WindowsUpdateClient Operational のログを wuguard に渡してください。"), claims
}

// lastFailureBefore returns the latest failed attempt before a.
func lastFailureBefore(u *update.Update, a *update.Attempt) *update.Attempt {
	var f *update.Attempt
	for _, x := range u.Attempts {
		if x == a {
			break
		}
		if x.Failed() {
			f = x
		}
	}
	return f
}

// failuresSinceSuccess returns the failed attempts after the last success.
func failuresSinceSuccess(u *update.Update) []*update.Attempt {
	var out []*update.Attempt
	for _, a := range u.Attempts {
		switch {
		case a.Succeeded():
			out = out[:0]
		case a.Failed():
			out = append(out, a)
		}
	}
	return out
}

func codeText(a *update.Attempt) string {
	if !a.HasError {
		return "an unlogged code"
	}
	return errcode.Hex(a.ErrorCode)
}

// codeName returns " (NAME)" for a known code, or "".
func codeName(a *update.Attempt) string {
	if !a.HasError {
		return ""
	}
	if info := describeCode(a.ErrorCode); info.Name != "" {
		return " (" + info.Name + ")"
	}
	return ""
}

func reportedErrors(u *update.Update) []ReportedError {
	out := []ReportedError{}
	index := map[uint32]int{}
	for _, a := range u.Attempts {
		if !a.Failed() {
			continue
		}
		for _, code := range a.Codes {
			i, ok := index[code]
			if !ok {
				info := describeCode(code)
				index[code] = len(out)
				out = append(out, ReportedError{Code: errcode.Hex(code), Name: info.Name, Meaning: info.Meaning,
					ScamBait: info.ScamBait, First: a.ResultAt})
				i = len(out) - 1
			}
			out[i].Count++
			out[i].Last = a.ResultAt
		}
	}
	return out
}

func attempts(u *update.Update) []Attempt {
	out := make([]Attempt, 0, len(u.Attempts))
	for _, a := range u.Attempts {
		at := Attempt{
			Started: a.Start, Finished: a.End, Result: string(a.Result), Revision: a.Revision,
			RestartRequired: a.RestartRequired, WinREVersion: a.WinREVersion, Codes: []string{},
		}
		if a.HasError {
			at.ErrorCode = errcode.Hex(a.ErrorCode)
		}
		for _, c := range a.Codes {
			at.Codes = append(at.Codes, errcode.Hex(c))
		}
		if a.HasErrorPhase {
			phase := a.ErrorPhase
			at.ErrorPhase = &phase
		}
		for _, o := range a.Observations {
			ev := Event{Time: o.Time, Kind: o.Kind.String(), Evidence: o.Evidence}
			if o.HasError {
				ev.ErrorCode = errcode.Hex(o.ErrorCode)
			}
			at.Events = append(at.Events, ev)
		}
		out = append(out, at)
	}
	return out
}
