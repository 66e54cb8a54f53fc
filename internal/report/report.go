// Package report renders a triage result as text for a terminal, as JSON for
// scripts (docs/triage-json.md) or as one self-contained HTML file a help
// desk can read and forward.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/wuguard/wuguard/internal/triage"
	"github.com/wuguard/wuguard/internal/update"
)

// Renderer writes a triage result in one format.
type Renderer interface {
	Render(w io.Writer, r *triage.Result) error
}

// Options tune the human-readable renderers.
type Options struct {
	// Lang is "en" or "ja"; labels and headlines follow it (guidance and
	// evidence were already written in it by the triage).
	Lang string
	// Color adds ANSI colours to text output; set it only for terminals.
	Color bool
}

// Formats lists the formats New accepts.
var Formats = []string{"text", "json", "html"}

// New returns the renderer for format.
func New(format string, opts Options) (Renderer, error) {
	if opts.Lang != "ja" {
		opts.Lang = "en"
	}
	switch format {
	case "text", "":
		return &textRenderer{opts: opts}, nil
	case "json":
		return &jsonRenderer{}, nil
	case "html":
		return &htmlRenderer{opts: opts}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

var (
	_ Renderer = (*textRenderer)(nil)
	_ Renderer = (*jsonRenderer)(nil)
	_ Renderer = (*htmlRenderer)(nil)
)

// labels holds the words of the reports in one language.
type labels struct {
	assessment map[string]string
	status     map[string]string
	kind       map[string]string
	headline   func(s triage.Summary, hosts int) string
	hostLine   func(s triage.Summary) string
	words      map[string]string
}

var english = labels{
	assessment: map[string]string{"needs-action": "NEEDS ACTION", "investigate": "INVESTIGATE", "false-alarm": "FALSE ALARM", "ok": "OK"},
	status:     map[string]string{"installed": "installed", "pending-restart": "waiting for restart", "failed": "failed", "unknown": "unknown"},
	kind: map[string]string{
		"download-started": "Download started", "downloaded": "Downloaded", "download-failed": "Download failed",
		"install-started": "Install started", "installed": "Installed", "install-failed": "Install failed",
		"restart-required": "Restart required", "uninstalled": "Uninstalled", "uninstall-failed": "Uninstall failed",
		"winre-servicing-started": "WinRE servicing started", "winre-servicing-succeeded": "WinRE servicing succeeded",
		"winre-servicing-failed": "WinRE servicing failed", "winre-servicing-cancelled": "WinRE servicing cancelled",
		"winre-servicing-rolled-back": "WinRE servicing rolled back",
		"boot":                        "Windows started", "boot-dirty": "Windows started after an unexpected shutdown",
	},
	headline: func(s triage.Summary, hosts int) string {
		return fmt.Sprintf("%s (%s, %s)", problems(s, true), plural(hosts, "host", "hosts"), plural(s.Updates, "update", "updates"))
	},
	hostLine: func(s triage.Summary) string {
		parts := []string{}
		if s.NeedsAction > 0 {
			parts = append(parts, plural(s.NeedsAction, "needs action", "need action"))
		}
		if s.FalseAlarm > 0 {
			parts = append(parts, plural(s.FalseAlarm, "false alarm", "false alarms"))
		}
		if n := s.Investigate - s.NoResult; n > 0 {
			parts = append(parts, fmt.Sprintf("%d to investigate", n))
		}
		if s.NoResult > 0 {
			parts = append(parts, fmt.Sprintf("%d without a result", s.NoResult))
		}
		if s.OK > 0 {
			parts = append(parts, fmt.Sprintf("%d ok", s.OK))
		}
		if len(parts) == 0 {
			return "no update activity"
		}
		line := strings.Join(parts, ", ")
		if s.PendingRestart > 0 {
			line += "; restart pending"
		}
		return line
	},
	words: map[string]string{
		"title":           "wuguard triage report",
		"generated":       "Generated",
		"build":           "Windows build",
		"unknownBuild":    "build unknown",
		"logs":            "logs",
		"to":              "to",
		"boots":           "boots",
		"boot":            "boot",
		"waiting":         "Waiting for a restart",
		"since":           "since",
		"errors":          "Errors",
		"knownIssue":      "Known issue",
		"whatToDo":        "What to do",
		"evidence":        "Evidence",
		"timeline":        "Timeline",
		"attempt":         "Attempt",
		"time":            "Time",
		"step":            "Step",
		"code":            "Code",
		"source":          "Source",
		"record":          "record",
		"event":           "event",
		"line":            "line",
		"sources":         "Sources",
		"noUpdates":       "No Windows update activity found in these logs.",
		"scriptsHeadline": "%d PowerShell script(s) in these logs judged dangerous: see below.",
		"scripts":         "PowerShell in these logs judged dangerous (a pasted \"fix\" shows here; 'wuguard hunt' gives the details):",
		"okUpdates":       "Installed or waiting for a restart, nothing to do",
		"noResult":        "No result in these logs (only downloads or starts; check Update history if they matter)",
		"noKB":            "(no KB)",
		"host":            "Host",
		"updates":         "Updates",
		"inputs":          "Files read: %d; update events used: %d; log lines used: %d; damaged parts skipped: %d.",
		"scamBait":        "Fake support sites use this code to push \"fix\" scripts: never paste commands from a web page.",
	},
}

var japanese = labels{
	assessment: map[string]string{"needs-action": "要対応", "investigate": "要調査", "false-alarm": "誤表示", "ok": "問題なし"},
	status:     map[string]string{"installed": "インストール済み", "pending-restart": "再起動待ち", "failed": "失敗", "unknown": "不明"},
	kind: map[string]string{
		"download-started": "ダウンロード開始", "downloaded": "ダウンロード完了", "download-failed": "ダウンロード失敗",
		"install-started": "インストール開始", "installed": "インストール成功", "install-failed": "インストール失敗",
		"restart-required": "再起動が必要", "uninstalled": "アンインストール", "uninstall-failed": "アンインストール失敗",
		"winre-servicing-started": "WinRE の更新開始", "winre-servicing-succeeded": "WinRE の更新成功",
		"winre-servicing-failed": "WinRE の更新失敗", "winre-servicing-cancelled": "WinRE の更新取り消し",
		"winre-servicing-rolled-back": "WinRE の更新ロールバック",
		"boot":                        "Windows 起動", "boot-dirty": "Windows 起動 (前回は異常終了)",
	},
	headline: func(s triage.Summary, hosts int) string {
		return fmt.Sprintf("%s (ホスト %d 台、更新 %d 件)", problems(s, false), hosts, s.Updates)
	},
	hostLine: func(s triage.Summary) string {
		parts := []string{}
		if s.NeedsAction > 0 {
			parts = append(parts, fmt.Sprintf("要対応 %d 件", s.NeedsAction))
		}
		if s.FalseAlarm > 0 {
			parts = append(parts, fmt.Sprintf("誤表示 %d 件", s.FalseAlarm))
		}
		if n := s.Investigate - s.NoResult; n > 0 {
			parts = append(parts, fmt.Sprintf("要調査 %d 件", n))
		}
		if s.NoResult > 0 {
			parts = append(parts, fmt.Sprintf("結果の記録なし %d 件", s.NoResult))
		}
		if s.OK > 0 {
			parts = append(parts, fmt.Sprintf("問題なし %d 件", s.OK))
		}
		if len(parts) == 0 {
			return "更新の記録なし"
		}
		line := strings.Join(parts, "、")
		if s.PendingRestart > 0 {
			line += " (再起動待ちあり)"
		}
		return line
	},
	words: map[string]string{
		"title":           "wuguard 更新プログラム診断レポート",
		"generated":       "作成日時",
		"build":           "Windows ビルド",
		"unknownBuild":    "ビルド不明",
		"logs":            "ログ",
		"to":              "～",
		"boots":           "回の起動",
		"boot":            "回の起動",
		"waiting":         "再起動待ち",
		"since":           "開始",
		"errors":          "エラー",
		"knownIssue":      "既知の問題",
		"whatToDo":        "対処",
		"evidence":        "根拠",
		"timeline":        "経過",
		"attempt":         "試行",
		"time":            "時刻",
		"step":            "段階",
		"code":            "コード",
		"source":          "記録",
		"record":          "レコード",
		"event":           "イベント",
		"line":            "行",
		"sources":         "情報源",
		"noUpdates":       "このログに Windows Update の記録は見つかりませんでした。",
		"scriptsHeadline": "危険と判定された PowerShell が %d 件あります。下を見てください。",
		"scripts":         "危険と判定された PowerShell（貼り付けさせられた「修正」はここに出ます。詳細は 'wuguard hunt'）:",
		"okUpdates":       "インストール済みまたは再起動待ち (作業不要)",
		"noResult":        "このログに結果の記録なし (ダウンロードや開始のみ。必要なら更新の履歴を確認)",
		"noKB":            "(KB なし)",
		"host":            "ホスト",
		"updates":         "更新",
		"inputs":          "%d 個のファイルを読み込み、更新イベント %d 件とログ %d 行を使用、破損部分 %d 箇所をスキップしました。",
		"scamBait":        "偽のサポート サイトはこのコードで「修正」スクリプトを勧めます。Web ページのコマンドを貼り付けないでください。",
	},
}

func labelsFor(lang string) *labels {
	if lang == "ja" {
		return &japanese
	}
	return &english
}

// problems is the short answer: what needs a person, in one phrase.
func problems(s triage.Summary, en bool) string {
	var parts []string
	if en {
		if s.NeedsAction > 0 {
			parts = append(parts, plural(s.NeedsAction, "update needs action", "updates need action"))
		}
		if s.FalseAlarm > 0 {
			parts = append(parts, plural(s.FalseAlarm, "false alarm", "false alarms"))
		}
		if n := s.Investigate - s.NoResult; n > 0 {
			parts = append(parts, fmt.Sprintf("%d to investigate", n))
		}
		if len(parts) == 0 {
			return "No update problems found"
		}
		return strings.Join(parts, ", ")
	}
	if s.NeedsAction > 0 {
		parts = append(parts, fmt.Sprintf("要対応の更新 %d 件", s.NeedsAction))
	}
	if s.FalseAlarm > 0 {
		parts = append(parts, fmt.Sprintf("誤表示 %d 件", s.FalseAlarm))
	}
	if n := s.Investigate - s.NoResult; n > 0 {
		parts = append(parts, fmt.Sprintf("要調査 %d 件", n))
	}
	if len(parts) == 0 {
		return "更新プログラムの問題は見つかりませんでした"
	}
	return strings.Join(parts, "、")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func shortStamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// where says where a piece of evidence is: file and record or line.
func (l *labels) where(e update.Evidence) string {
	w := l.words
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s, %s %d", e.File, w["line"], e.Line)
	case e.RecordID > 0:
		return fmt.Sprintf("%s, %s %d (%s %d)", e.File, w["record"], e.RecordID, w["event"], e.EventID)
	}
	return e.File
}

// boots says how many boots the logs show.
func (l *labels) Boots(n int) string {
	if n == 1 {
		return "1 " + l.words["boot"]
	}
	return fmt.Sprintf("%d %s", n, l.words["boots"])
}

// textClock says how text-log times were read.
func (l *labels) textClock(c *triage.TextLogClock) string {
	en := l == &english
	switch c.Source {
	case "estimated":
		if en {
			return fmt.Sprintf("Text-log times read as UTC%s (estimated from %d lines matching events)", c.UTCOffset, c.Pairs)
		}
		return fmt.Sprintf("テキスト ログの時刻は UTC%s として読みました (イベントと一致する %d 行から推定)", c.UTCOffset, c.Pairs)
	case "given":
		if en {
			return fmt.Sprintf("Text-log times read as UTC%s (--text-log-offset)", c.UTCOffset)
		}
		return fmt.Sprintf("テキスト ログの時刻は UTC%s として読みました (--text-log-offset)", c.UTCOffset)
	}
	if en {
		return "Text-log times taken as UTC: no event matched a line to tell the zone (use --text-log-offset)"
	}
	return "テキスト ログの時刻は UTC とみなしました。タイム ゾーンを判断できるイベントがありません (--text-log-offset を指定できます)"
}

// TextClock is textClock for the HTML template.
func (l *labels) TextClock(c *triage.TextLogClock) string { return l.textClock(c) }

// TimelineRow is one line of an update's timeline in the HTML report.
type TimelineRow struct {
	Time    time.Time
	Attempt int // 1-based; 0 for a boot
	What    string
	Code    string
	Where   string
	Boot    bool
}

// Timeline merges an update's events with the boots of its host during its
// history and the first boot after it, so that a reader sees what a restart
// changed.
func (l *labels) Timeline(h triage.Host, u triage.Update) []TimelineRow {
	var rows []TimelineRow
	var first, last time.Time
	for i, a := range u.Attempts {
		for _, e := range a.Events {
			what := l.kind[e.Kind]
			if what == "" {
				what = e.Kind
			}
			rows = append(rows, TimelineRow{Time: e.Time, Attempt: i + 1, What: what, Code: e.ErrorCode, Where: l.where(e.Evidence)})
			if first.IsZero() || e.Time.Before(first) {
				first = e.Time
			}
			if e.Time.After(last) {
				last = e.Time
			}
		}
	}
	after := false
	for _, b := range h.Boots {
		if !b.Time.After(first) {
			continue
		}
		if b.Time.After(last) {
			if after {
				break
			}
			after = true
		}
		what := l.kind["boot"]
		if b.AfterUnexpectedShutdown {
			what = l.kind["boot-dirty"]
		}
		where := ""
		if len(b.Evidence) > 0 {
			where = l.where(b.Evidence[0])
		}
		rows = append(rows, TimelineRow{Time: b.Time, What: what, Where: where, Boot: true})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Time.Before(rows[j].Time) })
	return rows
}

// ScamBait reports whether any reported error is a code fake support sites use.
func ScamBait(u triage.Update) bool {
	for _, e := range u.ReportedErrors {
		if e.ScamBait {
			return true
		}
	}
	return false
}

// updateName is how a report names an update next to its title: its KB,
// "WinRE" for the WinRE agent, else a mark that it has no KB.
func (l *labels) updateName(u *triage.Update) string {
	if u.KB != "" {
		return u.KB
	}
	if u.Key == update.WinREKey {
		return "WinRE"
	}
	return l.words["noKB"]
}
