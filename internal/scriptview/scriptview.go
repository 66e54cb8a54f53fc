// Package scriptview renders the analysis of a PowerShell script or command
// line for people (text) and for programs (JSON lines), as `wuguard script`
// prints it.
package scriptview

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/wuguard/wuguard/pwsh"
)

// Item is one analysed input.
type Item struct {
	File     string       `json:"file"`     // path, or "-" for standard input
	Encoding string       `json:"encoding"` // how the bytes were decoded
	Result   *pwsh.Result `json:"-"`
}

// TextOptions choose the language and whether to colour the text.
type TextOptions struct {
	Lang  string // "en" or "ja"
	Color bool
}

// maxLayerText caps how much of each layer the text view prints; the JSON
// view keeps layers whole.
const maxLayerText = 2000

const (
	colorRed    = "\x1b[1;31m"
	colorYellow = "\x1b[1;33m"
	colorGreen  = "\x1b[1;32m"
	colorReset  = "\x1b[0m"
)

// Text writes the verdict first, then what the script does in plain words,
// then each finding with its reason and the layers that were peeled off.
func Text(w io.Writer, it Item, o TextOptions) error {
	r := it.Result
	ja := o.Lang == "ja"
	var b strings.Builder
	if it.File != "" && it.File != "-" {
		fmt.Fprintf(&b, "== %s\n", sanitize(it.File))
	}
	b.WriteString(paint(verdictLine(r.Verdict, r.Score, ja), verdictColor(r.Verdict), o.Color))
	b.WriteString("\n\n")
	summary := r.Summary.EN
	if ja {
		summary = r.Summary.JA
	}
	if len(summary) > 0 {
		b.WriteString(pick(ja, "What it does:", "何をするか:") + "\n")
		for _, s := range summary {
			fmt.Fprintf(&b, "  %s\n", sanitize(s))
		}
		b.WriteString("\n")
	}
	if len(r.Findings) > 0 {
		b.WriteString(pick(ja, "Why:", "理由:") + "\n")
		for _, f := range r.Findings {
			reason := f.Explain.EN
			if ja {
				reason = f.Explain.JA
			}
			fmt.Fprintf(&b, "  [%s] %s (%s, layer %d)\n      %s\n      %q\n",
				f.Severity, sanitize(f.Title), f.Attack, f.Layer, sanitize(reason), defangText(f.Snippet))
		}
		b.WriteString("\n")
	}
	if len(r.IOCs) > 0 {
		b.WriteString(pick(ja, "Indicators (defanged):", "痕跡 (無害化表示):") + "\n")
		for _, ioc := range r.IOCs {
			v := ioc.Value
			if ioc.Type != "path" {
				v = pwsh.Defang(v)
			}
			fmt.Fprintf(&b, "  %-6s %s\n", ioc.Type, sanitize(v))
		}
		b.WriteString("\n")
	}
	if len(r.Layers) > 1 {
		b.WriteString(pick(ja, "Layers:", "レイヤー:") + "\n")
		for _, l := range r.Layers {
			tech := ""
			if len(l.Techniques) > 0 {
				tech = " [" + strings.Join(l.Techniques, ", ") + "]"
			}
			fmt.Fprintf(&b, "  #%d via %s (%s)%s\n", l.Index, l.Via, l.Language, tech)
			text := l.Text
			if len(text) > maxLayerText {
				text = text[:maxLayerText] + " …"
			}
			for _, line := range strings.Split(defangText(text), "\n") {
				fmt.Fprintf(&b, "      %s\n", line)
			}
		}
		b.WriteString("\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "%s %s\n", pick(ja, "note:", "注:"), sanitize(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonItem is the documented JSON shape (docs/script.md): the analysis
// result's fields with the input's file and encoding beside them.
type jsonItem struct {
	File     string `json:"file"`
	Encoding string `json:"encoding"`
	*pwsh.Result
}

// JSON writes one JSON object on one line.
func JSON(w io.Writer, it Item) error {
	b, err := json.Marshal(jsonItem{File: it.File, Encoding: it.Encoding, Result: it.Result})
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func verdictLine(v pwsh.Verdict, score int, ja bool) string {
	switch v {
	case pwsh.Malicious:
		return fmt.Sprintf(pick(ja, "MALICIOUS (score %d/100): this is an attack, not a fix.", "悪意あり (スコア %d/100): これは修正ではなく攻撃です。"), score)
	case pwsh.Suspicious:
		return fmt.Sprintf(pick(ja, "SUSPICIOUS (score %d/100): this does things a fix would not need.", "疑わしい (スコア %d/100): 修正に必要のない動作をします。"), score)
	}
	return fmt.Sprintf(pick(ja, "NO KNOWN BAD (score %d/100): nothing harmful recognised, which is not a promise it is safe.", "既知の悪性なし (スコア %d/100): 有害な動作は見つかりませんでしたが、安全の保証ではありません。"), score)
}

func verdictColor(v pwsh.Verdict) string {
	switch v {
	case pwsh.Malicious:
		return colorRed
	case pwsh.Suspicious:
		return colorYellow
	}
	return colorGreen
}

func paint(s, color string, on bool) string {
	if !on {
		return s
	}
	return color + s + colorReset
}

func pick(ja bool, en, jp string) string {
	if ja {
		return jp
	}
	return en
}

// defangText defangs every URL in free text so that a copied report cannot
// be clicked into the attacker's server, and strips terminal controls.
func defangText(s string) string {
	s = sanitize(s)
	for _, scheme := range []string{"https://", "http://", "ftp://"} {
		s = replaceFold(s, scheme, pwsh.Defang(scheme))
	}
	return s
}

func replaceFold(s, old, repl string) string {
	var b strings.Builder
	low := strings.ToLower(s)
	for {
		i := strings.Index(low, old)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, low = s[i+len(old):], low[i+len(old):]
	}
}

// sanitize removes control characters (escape sequences above all) that a
// hostile script could use to rewrite the analyst's terminal.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '\uFFFD'
		}
		return r
	}, s)
}
