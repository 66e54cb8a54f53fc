// Package scripts finds the PowerShell that event logs recorded and analyses
// it with package pwsh: script blocks (4104, reassembled from their parts),
// pipeline payloads (4103), classic pipeline details (800), engine start
// command lines (400) and the command lines of processes that start
// PowerShell (Sysmon 1, Security 4688).
package scripts

import (
	"cmp"
	"context"
	"crypto/sha256"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/pwsh"
)

// Kind says which event recorded a script.
type Kind string

const (
	KindScriptBlock Kind = "scriptblock" // PowerShell/Operational 4104
	KindPipeline    Kind = "pipeline"    // PowerShell/Operational 4103 payload
	KindClassic     Kind = "classic"     // Windows PowerShell 800 command
	KindEngine      Kind = "engine"      // Windows PowerShell 400 host application
	KindProcess     Kind = "process"     // Sysmon 1 or Security 4688 command line
)

// Ref points at one event that holds (part of) a script.
type Ref struct {
	File     string
	RecordID uint64
	Offset   int64
}

// Script is one PowerShell text found in the logs.
type Script struct {
	Kind     Kind
	Text     string
	Computer string
	Channel  string
	EventID  uint16
	// Events are the events the text was read from: one, or the parts of a
	// script block in part order.
	Events []Ref
	// BlockID is the ScriptBlockId of a 4104 script block.
	BlockID string
	// Parts and Total count the parts of a script block seen and announced;
	// a block missing parts is analysed with what arrived.
	Parts, Total int
	// Time, File and RecordID are those of the last event the script came
	// from, which places it in a timeline.
	Time     time.Time
	File     string
	RecordID uint64
}

// Incomplete reports whether parts of a script block never arrived.
func (s *Script) Incomplete() bool { return s.Kind == KindScriptBlock && s.Parts < s.Total }

// Limits bound the memory a hostile log can make the collector use.
type Limits struct {
	MaxPending      int // script blocks waiting for parts at once
	MaxParts        int // parts of one block
	MaxBytes        int // text of one block
	MaxPendingBytes int // text of all waiting blocks together
}

// DefaultLimits are generous for real logs: PowerShell splits blocks into
// parts of about 16,000 characters, and even the largest tools have a few
// hundred parts.
var DefaultLimits = Limits{MaxPending: 4096, MaxParts: 1024, MaxBytes: 16 << 20, MaxPendingBytes: 256 << 20}

// rememberFinished is how many finished blocks the collector remembers, so
// that a part logged again after its block was emitted (overlapping exports
// of one log, a duplicated file) does not start a new, partial block.
const rememberFinished = 4096

// Wanted reports whether events of this provider and ID can hold a script,
// so that readers can skip decoding the others.
func Wanted(provider string, id uint16) bool {
	switch provider {
	case "Microsoft-Windows-PowerShell":
		return id == 4104 || id == 4103
	case "PowerShell":
		return id == 800 || id == 400
	case "Microsoft-Windows-Sysmon":
		return id == 1
	case "Microsoft-Windows-Security-Auditing":
		return id == 4688
	}
	return false
}

// Collector turns events into scripts. It is not safe for concurrent use:
// give each file its own.
type Collector struct {
	lim          Limits
	pending      map[blockKey]*block
	order        []blockKey // arrival order, so that Flush is deterministic
	pendingBytes int
	finished     map[blockKey]bool
	finishedRing []blockKey // the remembered finished blocks, oldest first
	scripts      []Script
}

type blockKey struct{ computer, id string }

type block struct {
	parts map[int]string
	refs  map[int]Ref
	total int // as announced, which may exceed the parts kept
	bytes int
	last  *event.Event // a copy of the System block of the latest part
}

// NewCollector returns a collector with limits lim (zero fields take the
// DefaultLimits values).
func NewCollector(lim Limits) *Collector {
	if lim.MaxPending <= 0 {
		lim.MaxPending = DefaultLimits.MaxPending
	}
	if lim.MaxParts <= 0 {
		lim.MaxParts = DefaultLimits.MaxParts
	}
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultLimits.MaxBytes
	}
	if lim.MaxPendingBytes <= 0 {
		lim.MaxPendingBytes = DefaultLimits.MaxPendingBytes
	}
	return &Collector{lim: lim, pending: map[blockKey]*block{}, finished: map[blockKey]bool{}}
}

// Add reads e and returns the scripts it completes: the event's own script,
// or a script block whose last part arrived. The returned slice is valid
// until the next call. Strings are copied: readers may reuse e's memory.
func (c *Collector) Add(e *event.Event) []Script {
	c.scripts = c.scripts[:0]
	switch e.System.Channel {
	case "Microsoft-Windows-PowerShell/Operational":
		switch e.System.EventID {
		case 4104:
			c.addPart(e)
		case 4103:
			if p, _ := e.Field("Payload"); strings.TrimSpace(p) != "" {
				c.emit(e, KindPipeline, p)
			}
		}
	case "Windows PowerShell":
		switch e.System.EventID {
		case 800:
			if cmd := positional(e, 0); strings.TrimSpace(cmd) != "" {
				c.emit(e, KindClassic, cmd)
			}
		case 400:
			if host := contextValue(positional(e, 2), "HostApplication"); startsPowerShellWithArgs(host) {
				c.emit(e, KindEngine, host)
			}
		}
	case "Microsoft-Windows-Sysmon/Operational":
		if e.System.EventID == 1 {
			image, _ := e.Field("Image")
			if cl, _ := e.Field("CommandLine"); startsPowerShell(image, cl) {
				c.emit(e, KindProcess, cl)
			}
		}
	case "Security":
		if e.System.EventID == 4688 {
			image, _ := e.Field("NewProcessName")
			if cl, _ := e.Field("CommandLine"); startsPowerShell(image, cl) {
				c.emit(e, KindProcess, cl)
			}
		}
	}
	return c.scripts
}

// IsScriptBlockPart reports whether e is one part of a 4104 script block
// split over several events, which the collector must see in file order to
// put the block together. Every other event can be added on its own.
func IsScriptBlockPart(e *event.Event) bool {
	if e.System.EventID != 4104 || e.System.Channel != "Microsoft-Windows-PowerShell/Operational" {
		return false
	}
	id, _ := e.Field("ScriptBlockId")
	return id != "" && fieldInt(e, "MessageTotal") > 1
}

func (c *Collector) emit(e *event.Event, k Kind, text string) {
	c.scripts = append(c.scripts, newScript(e, k, text, []Ref{refOf(e)}))
}

func newScript(e *event.Event, k Kind, text string, refs []Ref) Script {
	return Script{Kind: k, Text: strings.Clone(text), Computer: strings.Clone(e.System.Computer),
		Channel: strings.Clone(e.System.Channel), EventID: e.System.EventID, Events: refs,
		Time: e.System.TimeCreated, File: e.Source.File, RecordID: e.System.RecordID}
}

func refOf(e *event.Event) Ref {
	return Ref{File: e.Source.File, RecordID: e.System.RecordID, Offset: e.Source.Offset}
}

func (c *Collector) addPart(e *event.Event) {
	text, _ := e.Field("ScriptBlockText")
	id, _ := e.Field("ScriptBlockId")
	n := fieldInt(e, "MessageNumber")
	total := fieldInt(e, "MessageTotal")
	if total <= 1 || id == "" {
		text = text[:min(len(text), c.lim.MaxBytes)]
		if strings.TrimSpace(text) != "" {
			s := newScript(e, KindScriptBlock, text, []Ref{refOf(e)})
			s.BlockID, s.Parts, s.Total = strings.Clone(id), 1, 1
			c.scripts = append(c.scripts, s)
		}
		return
	}
	if n < 1 || n > total || n > c.lim.MaxParts {
		return
	}
	k := blockKey{e.System.Computer, id}
	if c.finished[k] {
		return
	}
	b := c.pending[k]
	if b == nil {
		if len(c.pending) >= c.lim.MaxPending {
			// The oldest block is given up on as incomplete rather than
			// letting a log of never-finished blocks grow without bound.
			c.finish(c.order[0])
		}
		k = blockKey{strings.Clone(k.computer), strings.Clone(k.id)}
		b = &block{parts: map[int]string{}, refs: map[int]Ref{}, total: total}
		c.pending[k] = b
		c.order = append(c.order, k)
	}
	if _, dup := b.parts[n]; dup || n > b.total {
		// A repeated part, or one past the total its block's first part
		// announced (a later part announcing another total is not trusted).
		return
	}
	text = text[:min(len(text), c.lim.MaxBytes-b.bytes)]
	b.parts[n], b.refs[n] = strings.Clone(text), refOf(e)
	b.bytes += len(text)
	c.pendingBytes += len(text)
	last := &event.Event{Source: e.Source}
	last.System = evtx.System{TimeCreated: e.System.TimeCreated, RecordID: e.System.RecordID, EventID: e.System.EventID,
		Channel: strings.Clone(e.System.Channel), Computer: strings.Clone(e.System.Computer)}
	b.last = last
	if len(b.parts) == b.total {
		c.finish(k)
	}
	for c.pendingBytes > c.lim.MaxPendingBytes && len(c.order) > 0 {
		c.finish(c.order[0])
	}
}

// finish emits the block at k with the parts it has and forgets it.
func (c *Collector) finish(k blockKey) {
	b := c.pending[k]
	delete(c.pending, k)
	c.order = slices.DeleteFunc(c.order, func(o blockKey) bool { return o == k })
	c.pendingBytes -= b.bytes
	c.remember(k)
	nums := make([]int, 0, len(b.parts))
	for n := range b.parts {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	var text strings.Builder
	text.Grow(b.bytes)
	refs := make([]Ref, 0, len(nums))
	for _, n := range nums {
		text.WriteString(b.parts[n])
		refs = append(refs, b.refs[n])
	}
	s := newScript(b.last, KindScriptBlock, text.String(), refs)
	s.BlockID, s.Parts, s.Total = k.id, len(nums), b.total
	c.scripts = append(c.scripts, s)
}

func (c *Collector) remember(k blockKey) {
	if len(c.finishedRing) == rememberFinished {
		delete(c.finished, c.finishedRing[0])
		c.finishedRing = c.finishedRing[1:]
	}
	c.finished[k] = true
	c.finishedRing = append(c.finishedRing, k)
}

// Flush returns the script blocks still missing parts at the end of the
// input, in the order their first part arrived.
func (c *Collector) Flush() []Script {
	c.scripts = c.scripts[:0]
	for len(c.order) > 0 {
		c.finish(c.order[0])
	}
	return c.scripts
}

// positional returns the i-th payload field (classic events have unnamed
// Data elements).
func positional(e *event.Event, i int) string {
	if i < len(e.Fields) {
		return e.Fields[i].Value
	}
	return ""
}

// contextValue returns the value of "name=value" in the key=value lines
// that classic PowerShell events carry.
func contextValue(text, name string) string {
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, name+"="); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func fieldInt(e *event.Event, name string) int {
	v, _ := e.Field(name)
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0
	}
	return n
}

var powershellImages = []string{"powershell.exe", "pwsh.exe", "powershell_ise.exe", "powershell", "pwsh"}

// startsPowerShell reports whether a process with this image and command
// line is PowerShell, or a cmd.exe that starts it.
func startsPowerShell(image, cmdline string) bool {
	if strings.TrimSpace(cmdline) == "" {
		return false
	}
	base := strings.ToLower(path.Base(strings.ReplaceAll(image, `\`, "/")))
	if slices.Contains(powershellImages, base) {
		return true
	}
	if base == "cmd.exe" {
		low := strings.ToLower(cmdline)
		return strings.Contains(low, "powershell") || strings.Contains(low, "pwsh")
	}
	return false
}

// startsPowerShellWithArgs reports whether a host application line runs
// PowerShell with something to analyse, not just the bare console.
func startsPowerShellWithArgs(host string) bool {
	fields := strings.Fields(host)
	if len(fields) < 2 {
		return false
	}
	return startsPowerShell(strings.Trim(fields[0], `"`), host)
}

// Analyzer analyses scripts once per distinct text: logs repeat the same
// block thousands of times. It is safe for concurrent use.
type Analyzer struct {
	opts  *pwsh.Options
	mu    sync.Mutex
	cache map[[32]byte]*entry
}

type entry struct {
	once sync.Once
	res  *pwsh.Result
}

// NewAnalyzer returns an analyzer using opts (nil: pwsh's defaults).
func NewAnalyzer(opts *pwsh.Options) *Analyzer {
	return &Analyzer{opts: opts, cache: map[[32]byte]*entry{}}
}

// Analyze returns the analysis of text.
func (a *Analyzer) Analyze(ctx context.Context, text string) *pwsh.Result {
	k := sha256.Sum256([]byte(text))
	a.mu.Lock()
	en := a.cache[k]
	if en == nil {
		en = &entry{}
		a.cache[k] = en
	}
	a.mu.Unlock()
	en.once.Do(func() { en.res = pwsh.Analyze(ctx, text, a.opts) })
	return en.res
}

// Flagged reports whether an analysis found something bad.
func Flagged(r *pwsh.Result) bool { return r != nil && r.Verdict != pwsh.NoKnownBad }

// ByTime orders scripts by the time of their last event, then file and
// record, for stable reports.
func ByTime(a, b *Script) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	if c := cmp.Compare(a.File, b.File); c != 0 {
		return c
	}
	return cmp.Compare(a.RecordID, b.RecordID)
}
