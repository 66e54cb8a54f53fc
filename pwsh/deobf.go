package pwsh

import (
	"context"
	"hash/fnv"
	"sort"
	"strings"
	"time"
)

// Layer is one form of the script: the input, or text an earlier layer
// decoded and ran (an encoded command, a string given to Invoke-Expression,
// the command after cmd /c ...), or the readable form of an obfuscated
// layer.
type Layer struct {
	Index  int `json:"index"`
	Parent int `json:"parent"` // index of the layer this one came from; -1 for the input
	// Language is how the text is read: "powershell", "command-line" (one
	// program call as the Run dialog or CreateProcess gets it), "cmd" (text
	// cmd.exe runs: & | ^ and %VAR% have their cmd meaning) or
	// "script-host" (VBScript or JScript).
	Language string `json:"language"`
	// Via names how the parent ran or produced this text, such as
	// "powershell -EncodedCommand", "Invoke-Expression", "cmd /c",
	// "readable form"; "input" for layer 0.
	Via string `json:"via"`
	// Techniques lists the obfuscation undone to get this text: base64,
	// utf-16, deflate, gzip, char-codes, format-operator, concatenation,
	// replace, reverse, split, join, xor, tick-marks, random-case,
	// hidden-iex, wildcard-names, securestring, hex, number-base ...
	Techniques []string `json:"techniques"`
	// Start and End are the byte offsets in the parent's text of the
	// expression that produced this layer.
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
	Depth int    `json:"depth"`
}

// Options bound the work of [Analyze]. A nil *Options or zero fields mean
// the defaults, which suit untrusted input.
type Options struct {
	MaxDepth  int           // layers nested in layers; default 16
	MaxLayers int           // layers in total; default 64
	MaxOutput int           // bytes of decoded text in total, and of any single value; default 16 MiB
	MaxSteps  int           // evaluation steps per layer; default 2,000,000
	Timeout   time.Duration // for the whole analysis, on top of the context; default 10s
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.MaxDepth <= 0 {
		r.MaxDepth = 16
	}
	if r.MaxLayers <= 0 {
		r.MaxLayers = 64
	}
	if r.MaxOutput <= 0 {
		r.MaxOutput = 16 << 20
	}
	if r.MaxSteps <= 0 {
		r.MaxSteps = 2_000_000
	}
	if r.Timeout <= 0 {
		r.Timeout = 10 * time.Second
	}
	return r
}

// layerState is a layer with what the evaluator learnt from it.
type layerState struct {
	Layer
	tech  tech
	facts []fact
	folds []fold
	toks  []Token
	obf   obfuscation
	// readable marks the layer that only shows its parent deobfuscated;
	// findings already seen in the parent are not repeated for it.
	readable bool
	aborted  bool
}

type deobfuscation struct {
	layers []*layerState
	notes  []string
}

// deobfuscate peels the layers of src.
func deobfuscate(ctx context.Context, src string, o Options, deadline time.Time) *deobfuscation {
	d := &deobfuscation{}
	seen := map[uint64]bool{hashText(src): true}
	lang := detectLanguage(src)
	d.layers = append(d.layers, &layerState{Layer: Layer{Index: 0, Parent: -1, Language: lang, Via: "input", Text: src, Techniques: []string{}}})
	downloads := map[string]bool{}
	total := len(src)
	noted := map[string]bool{}
	note := func(s string) {
		if !noted[s] {
			noted[s] = true
			d.notes = append(d.notes, s)
		}
	}
	for i := 0; i < len(d.layers); i++ {
		l := d.layers[i]
		if ctx.Err() != nil || time.Now().After(deadline) {
			note("time limit reached: later layers were not analysed")
			break
		}
		if l.Language == "powershell" || l.readable {
			l.toks, _ = Tokenize(l.Text)
			l.obf = measureObfuscation(l.toks)
		}
		if l.readable {
			continue
		}
		ev := newEvaluator(ctx, l.Text, evalLimits{maxSteps: o.MaxSteps, maxBytes: o.MaxOutput, maxCallDepth: 24, deadline: deadline})
		ev.downloads = downloads
		switch l.Language {
		case "powershell":
			ev.run()
		case "cmd":
			ev.runCmdLine()
		case "command-line":
			ev.launchLine(strings.TrimSpace(l.Text), "input", 0, len(strings.TrimRight(l.Text, " \t\r\n")), nil)
		case "script-host":
			ev.runHostScript()
		}
		l.facts, l.folds, l.aborted = ev.facts, ev.folds, ev.aborted
		if ev.aborted {
			note("evaluation limit reached in layer " + itoa(i) + ": it was analysed as text only past that point")
		}
		children := preferRun(ev.sinks)
		for _, s := range children {
			text := strings.TrimSpace(s.text)
			if text == "" {
				continue
			}
			h := hashText(text)
			if seen[h] {
				continue
			}
			if l.Depth+1 > o.MaxDepth {
				note("layer depth limit reached")
				continue
			}
			if len(d.layers) >= o.MaxLayers {
				note("layer count limit reached")
				break
			}
			if total+len(text) > o.MaxOutput {
				note("output size limit reached")
				break
			}
			seen[h] = true
			total += len(text)
			child := &layerState{Layer: Layer{
				Index: len(d.layers), Parent: i, Via: s.via, Text: text,
				Techniques: nonNil(s.tech.names()), Start: s.pos, End: s.end, Depth: l.Depth + 1,
			}, tech: s.tech}
			switch s.kind {
			case sinkCmdLine:
				child.Language = "cmd"
			case sinkHostScript:
				child.Language = "script-host"
			case sinkDecoded:
				child.Language = sniffLanguage(text)
			default:
				child.Language = "powershell"
			}
			d.layers = append(d.layers, child)
		}
		if l.Language == "powershell" && len(d.layers) < o.MaxLayers {
			if text, t, ok := readableForm(l.Text, l.toks, l.folds, l.obf); ok && !seen[hashText(text)] && total+len(text) <= o.MaxOutput {
				seen[hashText(text)] = true
				total += len(text)
				d.layers = append(d.layers, &layerState{Layer: Layer{
					Index: len(d.layers), Parent: i, Language: "powershell", Via: "readable form",
					Techniques: nonNil(t.names()), Start: 0, End: len(l.Text), Text: text, Depth: l.Depth + 1,
				}, tech: t, readable: true})
			}
		}
	}
	return d
}

// preferRun orders sinks by position and drops "decoded data" sinks whose
// text also ran: the layer is better named after how it ran.
func preferRun(sinks []sink) []sink {
	ran := map[string]bool{}
	for _, s := range sinks {
		if s.kind != sinkDecoded {
			ran[strings.TrimSpace(s.text)] = true
		}
	}
	out := make([]sink, 0, len(sinks))
	for _, s := range sinks {
		if s.kind == sinkDecoded && ran[strings.TrimSpace(s.text)] {
			continue
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].pos < out[b].pos })
	return out
}

// sniffLanguage guesses how decoded text is meant to be read.
func sniffLanguage(s string) string {
	if detectLanguage(s) == "command-line" {
		return "command-line"
	}
	low := strings.ToLower(s)
	if strings.Contains(low, "createobject(") || strings.Contains(low, "wscript.") && !strings.Contains(low, "new-object") {
		return "script-host"
	}
	return "powershell"
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func hashText(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

// cmdLinePrograms start a Windows command line: text starting with one of
// them on a single line is read with cmd.exe rules, as the Run dialog and
// process-creation logs present it.
var cmdLinePrograms = map[string]bool{
	"cmd": true, "powershell": true, "pwsh": true, "conhost": true, "mshta": true, "start": true,
	"rundll32": true, "regsvr32": true, "msiexec": true, "wscript": true, "cscript": true,
	"certutil": true, "bitsadmin": true, "finger": true, "explorer": true, "forfiles": true,
	"powershell_ise": true,
}

// detectLanguage tells a one-line Windows command line from a PowerShell
// script.
func detectLanguage(src string) string {
	s := strings.TrimSpace(src)
	if strings.ContainsAny(s, "\r\n") {
		return "powershell"
	}
	args := splitArgs(s)
	if len(args) == 0 {
		return "powershell"
	}
	if cmdLinePrograms[programName(args[0].text)] {
		return "command-line"
	}
	return "powershell"
}
