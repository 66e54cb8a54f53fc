package textlog

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/wuguard/wuguard/internal/input"
)

// ReadWindowsUpdateLog streams the entries of a WindowsUpdate.log to fn in
// file order. It reads the Windows 10+ Get-WindowsUpdateLog output
// ("2019/06/05 11:07:50.0950566 21136 9740 Agent ..."), the log Windows 7
// and 8 wrote directly ("2015-04-15 03:00:43:571 992 1e0c Agent ..."), with
// its REPORT EVENT lines, and ReportingEvents.log lines. Damaged lines are
// passed to damage and skipped; a file without one recognised line is a
// single damage report. ReadWindowsUpdateLog returns an error only when fn
// fails or ctx ends; fn may be called with a reused *Entry.
func ReadWindowsUpdateLog(ctx context.Context, r io.Reader, file string, fn func(*Entry) error, damage func(input.Damage)) error {
	p := &wuParser{
		threads: map[threadKey]*wuThread{},
		titles:  map[string]titleInfo{},
	}
	return readLog(ctx, r, file, "WindowsUpdate.log", p, fn, damage)
}

// Bounds on the state kept across lines, so hostile input cannot grow it.
const (
	maxThreads = 256
	maxTitles  = 8192
)

// threadKey identifies a writer of the log: PID and TID columns read as hex
// (decimal columns map just as uniquely).
type threadKey struct{ pid, tid uint64 }

// wuThread is what one thread's earlier lines say about its later ones:
// Windows Update lists an install's updates as "Updates to install = 1",
// "Title = ...", "UpdateId = {...}.201" on consecutive lines of one thread,
// and reports a handler result on the line after the one naming the update.
type wuThread struct {
	mode   Kind   // KindInstallStarted or KindDownloadStarted inside an update list
	title  string // a "Title = " waiting for its "UpdateId = "
	update string // the update the thread is working on
	rev    int
	client string
	// bundle is set after "Bundles N updates:": the next lines list the
	// updates inside the one just named, which later lines (downloads,
	// handler results) name instead of it.
	bundle      bool
	bundleTitle string
}

type titleInfo struct{ title, kb string }

type wuParser struct {
	threads     map[threadKey]*wuThread
	titles      map[string]titleInfo
	undecodable int
	firstUndec  int64
}

func (p *wuParser) starts(line []byte) bool {
	return looksDated(line) || len(line) > 37 && line[0] == '{' && isGUID(line[1:])
}

func (p *wuParser) finish(d *damageLog) {
	if p.undecodable > 0 && d.fn != nil {
		d.fn(input.Damage{File: d.file, Chunk: -1, Offset: p.firstUndec, Reason: fmt.Sprintf(
			"%d lines have no text: Get-WindowsUpdateLog decoded the .etl files without their format information (\"No Format Information found\")", p.undecodable)})
	}
}

func (p *wuParser) parse(e *Entry, text []byte) (bool, string) {
	if text[0] == '{' {
		return p.parseReporting(e, text)
	}
	e.Log = LogWindowsUpdate
	y, mo, d, ok := parseDate(text, text[4])
	if !ok {
		return false, "not a WindowsUpdate.log date"
	}
	rest := skipSpace(text[10:])
	h, mi, s, ok := parseClock(rest)
	if !ok || len(rest) < 9 || (rest[8] != '.' && rest[8] != ':') {
		return false, "not a WindowsUpdate.log time (want HH:MM:SS.fffffff or HH:MM:SS:mmm)"
	}
	nsec, n := fraction(rest[9:])
	if n == 0 {
		return false, "not a WindowsUpdate.log time (want HH:MM:SS.fffffff or HH:MM:SS:mmm)"
	}
	t, ok := wallClock(y, mo, d, h, mi, s, nsec)
	if !ok {
		return false, "impossible date or time in the timestamp"
	}
	e.Time = t
	pid, rest := token(rest[9+n:])
	tid, rest := token(rest)
	comp, rest := token(rest)
	if len(pid) == 0 || len(tid) == 0 || len(comp) == 0 {
		return false, "WindowsUpdate.log line without process, thread and component columns"
	}
	// Newer Get-WindowsUpdateLog output puts the source file before the
	// component: "downloadmanager_cpp16907 [DownloadManager] ...".
	if next, after := token(rest); len(next) > 2 && next[0] == '[' && next[len(next)-1] == ']' {
		comp, rest = next[1:len(next)-1], after
	} else if comp[0] == '[' && comp[len(comp)-1] == ']' && len(comp) > 2 {
		comp = comp[1 : len(comp)-1]
	}
	if bytes.HasPrefix(comp, []byte("Unknown(")) {
		// "Unknown( 10): GUID=..." lines: the event's component is lost too.
		comp = comp[:len("Unknown")]
	}
	e.Component = internWUComponent(comp)
	msg := skipSpace(rest)
	e.Text = string(msg)
	p.classify(e, threadKey{hexWord(pid), hexWord(tid)}, msg)
	return true, ""
}

var knownWUComponents = []string{"Agent", "ComApi", "COMAPI", "DownloadManager", "Handler", "Misc",
	"ProtocolTalker", "DataStore", "EEHandler", "IdleTimer", "Setup", "SLS", "Shared", "AU", "Report",
	"Service", "PT", "DnldMgr", "Deployment", "WuTask", "Reporter"}

func internWUComponent(b []byte) string {
	for _, s := range knownWUComponents {
		if string(b) == s {
			return s
		}
	}
	return string(b)
}

// hexWord reads a PID or TID column; it is an identity, not a number, so
// decimal columns are read as hex too.
func hexWord(b []byte) uint64 {
	var v uint64
	for i, c := range b {
		if i == 16 {
			break
		}
		d, ok := hexVal(c)
		if !ok {
			break
		}
		v = v<<4 | uint64(d)
	}
	return v
}

func (p *wuParser) thread(k threadKey) *wuThread {
	t := p.threads[k]
	if t == nil {
		if len(p.threads) >= maxThreads {
			clear(p.threads)
		}
		t = &wuThread{}
		p.threads[k] = t
	}
	return t
}

// bullets strips the list markers the older log puts before its details
// ("  *   Title = ...", "  # WARNING: ...", "  : Updates to install").
func bullets(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '*' || b[0] == '#' || b[0] == ':' || b[0] == '-' || b[0] == '>') {
		b = b[1:]
	}
	return b
}

// classify sets the kind and fields of a WindowsUpdate.log message. Sources
// of the patterns are listed in doc.go.
func (p *wuParser) classify(e *Entry, k threadKey, msg []byte) {
	if bytes.HasPrefix(msg, []byte("REPORT EVENT:")) {
		cols := skipSpace(msg[len("REPORT EVENT:"):])
		reportColumns(e, cols)
		p.fillTitle(e)
		return
	}
	if e.Component == "Unknown" {
		if p.undecodable == 0 {
			p.firstUndec = e.Offset
		}
		p.undecodable++
		return
	}
	body := bullets(msg)
	e.KB = findKB(msg)
	e.UpdateID, e.Revision = updateID(msg)
	if t := p.threads[k]; t != nil && t.bundle {
		if len(body) > 0 && body[0] == '{' && e.UpdateID != "" {
			p.remember(e.UpdateID, t.bundleTitle, findKB([]byte(t.bundleTitle)))
			p.fillTitle(e)
			return
		}
		t.bundle = false
	}

	switch {
	case bytes.HasPrefix(msg, []byte("*FAILED*")):
		e.Kind = KindError
		e.ErrorCode, e.HasError = codeAfter(msg, "*FAILED* [", true)
	case len(msg) > 0 && msg[0] == '*' && banner(msg, "START"):
		p.start(e, k, msg)
	case len(msg) > 0 && msg[0] == '*' && banner(msg, "END"):
		t := p.thread(k)
		t.mode, t.title = KindOther, ""
		if c, ok := codeAfter(msg, "Exit code", false); ok {
			e.Kind = KindCallComplete
			e.ErrorCode, e.HasError = c, true
		}
	case bytes.HasPrefix(body, []byte("LogHistory called")):
		e.UpdateID, e.Revision = guidAfter(msg, "idUpdate=")
		if c, ok := codeAfter(msg, "resultMapped=", true); ok {
			e.ErrorCode, e.HasError = c, true
			e.Kind = resultKind(c, false)
		}
	case bytes.HasPrefix(body, []byte("Install call complete")):
		e.Kind = KindCallComplete
	case bytes.Contains(msg, []byte("Exit code = ")):
		e.Kind = KindCallComplete
		exit, _ := codeAfter(msg, "Exit code = ", false)
		e.ErrorCode, e.HasError = exit, true
		if c, ok := codeAfter(msg, "Call error code = ", false); ok && c != 0 {
			e.ErrorCode = c
		}
	case hasPrefixFold(body, "Reboot required = "):
		if v, ok := yesNo(body[len("Reboot required = "):]); ok {
			e.RebootRequired = v
			if v {
				e.Kind = KindRebootRequired
			}
		}
	case bytes.HasPrefix(body, []byte("Starting install of CBS update ")):
		e.UpdateID, e.Revision = guidAt(body[len("Starting install of CBS update "):])
		t := p.thread(k)
		t.update, t.rev = e.UpdateID, e.Revision
		e.Kind = KindInstallStarted
	case bytes.HasPrefix(body, []byte("Completed install of CBS update")):
		t := p.thread(k)
		e.UpdateID, e.Revision = t.update, t.rev
		reboot, _ := yesNo(valueAfter(body, "requiresReboot="))
		c, ok := codeAfter(body, "hr=", false)
		if ok {
			e.ErrorCode, e.HasError = c, true
			e.Kind = resultKind(c, reboot)
		}
		e.RebootRequired = reboot
	case bytes.HasPrefix(body, []byte("Updates to install = ")):
		t := p.thread(k)
		t.mode, t.title = KindInstallStarted, ""
	case bytes.HasPrefix(body, []byte("Updates to download = ")):
		t := p.thread(k)
		t.mode, t.title = KindDownloadStarted, ""
	case bytes.HasPrefix(body, []byte("Title = ")):
		title := bytes.TrimSpace(body[len("Title = "):])
		if !bytes.Equal(title, []byte("<NULL>")) {
			e.Title = string(title)
		}
		p.thread(k).title = e.Title
	case bytes.HasPrefix(body, []byte("UpdateId = ")):
		t := p.thread(k)
		if t.mode != KindOther {
			e.Kind = t.mode
			e.Client = t.client
			if t.title != "" {
				e.Title = t.title
				e.KB = findKB([]byte(t.title))
				p.remember(e.UpdateID, e.Title, e.KB)
			}
		}
		t.bundleTitle = e.Title
		if t.bundleTitle == "" {
			t.bundleTitle = p.titles[e.UpdateID].title
		}
		t.title = ""
		t.update, t.rev = e.UpdateID, e.Revision
	case bytes.HasPrefix(body, []byte("Bundles ")) && bytes.Contains(body, []byte("updates:")):
		t := p.thread(k)
		t.bundle = t.bundleTitle != ""
	case e.UpdateID != "" && (e.Component == "DownloadManager" || bytes.HasPrefix(msg, []byte("DO job"))) &&
		bytes.Contains(msg, []byte("completed successfully")):
		e.Kind = KindDownloaded
	case e.UpdateID != "" && bytes.Contains(body, []byte("Installing update [UpdateId")):
		t := p.thread(k)
		t.update, t.rev = e.UpdateID, e.Revision
	case bytes.Contains(body, []byte("Install failed, error = ")):
		t := p.thread(k)
		if e.UpdateID == "" {
			e.UpdateID, e.Revision = t.update, t.rev
		}
		e.ErrorCode, e.HasError = codeAfter(body, "error = ", false)
		e.Kind = KindInstallFailed
	case bytes.HasPrefix(body, []byte("Installer completed.")):
		if c, ok := codeAfter(body, "result = ", false); ok {
			e.ErrorCode, e.HasError = c, true
			if c&0x80000000 != 0 {
				e.Kind = KindError
			}
		}
	case e.Component == "Misc" && bytes.Contains(msg, []byte("Logging initialized")), bytes.HasPrefix(body, []byte("WU client version")),
		bytes.HasPrefix(body, []byte("Service startup")):
		e.Kind = KindStartup
	}
	if e.Kind == KindOther && !e.HasError {
		if c, ok := firstFailureCode(msg); ok {
			e.Kind = KindError
			e.ErrorCode, e.HasError = c, true
		}
	}
	if c := callerID(msg); c != "" && e.Client == "" {
		e.Client = c
	}
	p.fillTitle(e)
}

// banner reports whether msg is a "* START *" or "** END **" banner line
// (the older log pads the word with one or two spaces).
func banner(msg []byte, word string) bool {
	i := bytes.Index(msg, []byte(word))
	if i < 2 || i+len(word)+2 > len(msg) {
		return false
	}
	before := bytes.TrimRight(msg[:i], " ")
	after := bytes.TrimLeft(msg[i+len(word):], " ")
	return len(before) > 0 && before[len(before)-1] == '*' && len(after) > 0 && after[0] == '*'
}

// start handles "* START *" banners: an install or download call, or the
// service starting.
func (p *wuParser) start(e *Entry, k threadKey, msg []byte) {
	t := p.thread(k)
	switch {
	case bytes.Contains(msg, []byte("Service startup")):
		e.Kind = KindStartup
	case containsFold(msg, "installing updates"), bytes.Contains(msg, []byte("Windows Setup Install")):
		t.mode, t.title = KindInstallStarted, ""
		t.client = callerID(msg)
	case containsFold(msg, "downloading updates"):
		t.mode, t.title = KindDownloadStarted, ""
		t.client = callerID(msg)
	}
}

// callerID returns the Windows Update caller a line names ("CallerId =
// UpdateOrchestrator", "[ClientId = WindowsUpdate]").
func callerID(msg []byte) string {
	for _, m := range []string{"CallerId = ", "ClientId = "} {
		i := bytes.Index(msg, []byte(m))
		if i < 0 {
			continue
		}
		v := msg[i+len(m):]
		end := 0
		for end < len(v) && v[end] != ' ' && v[end] != ']' && v[end] != ',' && v[end] != '\t' {
			end++
		}
		if end > 0 && !bytes.Equal(v[:end], []byte("<NULL>")) {
			return string(v[:end])
		}
	}
	return ""
}

// updateID finds the update a Windows Update line names: after "update"
// or "Update" followed by "Id", "ID" or " id" and '=' or '{' ("idUpdate=",
// "updateId = ", "UpdateId = {", "[UpdateId = {"), or else the first GUID
// written with a revision.
func updateID(msg []byte) (string, int) {
	if bytes.IndexByte(msg, '-') < 0 {
		return "", 0
	}
	for off := 0; ; {
		i := bytes.Index(msg[off:], []byte("pdate"))
		if i < 0 {
			break
		}
		rest := msg[off+i+len("pdate"):]
		off += i + len("pdate")
		switch {
		case bytes.HasPrefix(rest, []byte("Id")), bytes.HasPrefix(rest, []byte("ID")):
			rest = rest[2:]
		case bytes.HasPrefix(rest, []byte(" id ")):
			rest = rest[4:]
		}
		for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '=' || rest[0] == ':' || rest[0] == '[') {
			rest = rest[1:]
		}
		if id, rev := guidAt(rest); id != "" {
			return id, rev
		}
	}
	return revisedGUID(msg)
}

// resultKind turns an install result code into a kind.
func resultKind(code uint32, reboot bool) Kind {
	switch {
	case code&0x80000000 != 0:
		return KindInstallFailed
	case reboot || code == 0x00240005: // WU_S_REBOOT_REQUIRED
		return KindRebootRequired
	}
	return KindInstallSucceeded
}

// remember keeps an update's title for its later lines, which name it by
// GUID only.
func (p *wuParser) remember(id, title, kb string) {
	if id == "" || title == "" {
		return
	}
	if _, ok := p.titles[id]; !ok && len(p.titles) >= maxTitles {
		return
	}
	p.titles[id] = titleInfo{title, kb}
}

func (p *wuParser) fillTitle(e *Entry) {
	if e.UpdateID == "" {
		return
	}
	if e.Title != "" {
		if _, ok := p.titles[e.UpdateID]; !ok {
			p.remember(e.UpdateID, e.Title, e.KB)
		}
		return
	}
	if ti, ok := p.titles[e.UpdateID]; ok {
		e.Title = ti.title
		if e.KB == "" {
			e.KB = ti.kb
		}
	}
}

// parseReporting reads a ReportingEvents.log line: "{event GUID} <TAB>
// 2023-02-06 11:45:28:713+0900 <TAB> 1 <TAB> 182 <TAB> 101 <TAB> {update
// GUID} <TAB> 205 <TAB> 80070643 <TAB> client <TAB> Failure <TAB> Content
// Install <TAB> message".
func (p *wuParser) parseReporting(e *Entry, text []byte) (bool, string) {
	e.Log = LogReportingEvents
	cols := splitTabs(text)
	if len(cols) < 12 {
		return false, "ReportingEvents.log line with fewer than 12 tab-separated columns"
	}
	ts := bytes.TrimSpace(cols[1])
	y, mo, d, ok := parseDate(ts, '-')
	if !ok || len(ts) < 19 {
		return false, "not a ReportingEvents.log timestamp"
	}
	h, mi, s, ok := parseClock(ts[11:])
	if !ok {
		return false, "not a ReportingEvents.log timestamp"
	}
	var nsec int
	if len(ts) > 20 && ts[19] == ':' {
		nsec, _ = fraction(ts[20:])
	}
	t, ok := wallClock(y, mo, d, h, mi, s, nsec)
	if !ok {
		return false, "impossible date or time in the timestamp"
	}
	e.Time = t
	e.Component = "Report"
	e.Text = string(text)
	reportColumns(e, text)
	p.fillTitle(e)
	return true, ""
}

// splitTabs splits a REPORT EVENT or ReportingEvents.log line into at most
// 12 columns; the last keeps any further tabs.
func splitTabs(b []byte) [][]byte {
	cols := make([][]byte, 0, 12)
	for len(cols) < 11 {
		i := bytes.IndexByte(b, '\t')
		if i < 0 {
			break
		}
		cols = append(cols, b[:i])
		b = b[i+1:]
	}
	return append(cols, b)
}

// reportColumns reads the columns WindowsUpdate.log REPORT EVENT lines and
// ReportingEvents.log share: update GUID and revision (5, 6), result code
// (7), client (8), Success or Failure (9), category (10) and the message
// of the matching WindowsUpdateClient event (11). A line whose columns were
// not kept as tabs is classified by its message alone.
func reportColumns(e *Entry, b []byte) {
	cols := splitTabs(b)
	msg := b
	if len(cols) >= 12 {
		e.UpdateID, e.Revision = guidAt(bytes.TrimSpace(cols[5]))
		if rev, ok := digits(bytes.TrimSpace(cols[6])); ok && e.Revision == 0 {
			e.Revision = rev
		}
		if c, n := hexNumber(bytes.TrimSpace(cols[7])); n > 0 {
			e.ErrorCode, e.HasError = c, true
		}
		e.Client = string(bytes.TrimSpace(cols[8]))
		msg = cols[11]
		failure := bytes.Equal(bytes.TrimSpace(cols[9]), []byte("Failure"))
		if bytes.Contains(cols[10], []byte("Download")) {
			e.Kind = KindDownloaded
			if failure {
				e.Kind = KindError
			}
		} else if failure && e.ErrorCode&0x80000000 != 0 {
			e.Kind = KindError
		}
	} else {
		e.UpdateID, e.Revision = revisedGUID(b)
	}
	switch {
	case bytes.Contains(msg, []byte("Installation Failure:")):
		e.Kind = KindInstallFailed
		if c, ok := codeAfter(msg, "with error ", false); ok {
			e.ErrorCode, e.HasError = c, true
		}
	case bytes.Contains(msg, []byte("Installation Successful:")):
		e.Kind = KindInstallSucceeded
	case bytes.Contains(msg, []byte("Restart Required:")):
		e.Kind = KindRebootRequired
		e.RebootRequired = true
	case bytes.Contains(msg, []byte("Installation Started:")):
		e.Kind = KindInstallStarted
	}
	if title := reportTitle(msg); len(title) > 0 {
		e.Title = string(title)
	}
	e.KB = findKB(msg)
}

// reportTitle cuts the update title out of a WindowsUpdateClient event
// message: "... the following update with error 0x80070643: <title>",
// "... the following update: <title>", "... new updates:  <title>".
func reportTitle(msg []byte) []byte {
	rest := msg
	if i := bytes.Index(rest, []byte("following update")); i >= 0 {
		rest = rest[i:]
	} else if i := bytes.Index(rest, []byte("new updates:")); i >= 0 {
		rest = rest[i:]
	} else {
		return nil
	}
	i := bytes.Index(rest, []byte(": "))
	if i < 0 {
		return nil
	}
	title := bytes.TrimSpace(rest[i+2:])
	title = bytes.TrimSuffix(title, []byte("."))
	return title
}
