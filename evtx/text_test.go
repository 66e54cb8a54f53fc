package evtx

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
)

// referenceUTF16 is the slow, obvious version of appendUTF16.
func referenceUTF16(b []byte, mode escMode) string {
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	for i, u := range units {
		if u == 0 {
			units = units[:i]
			break
		}
	}
	s := string(utf16.Decode(units))
	switch mode {
	case escXMLText:
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
	case escXMLAttr:
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
	case escJSON:
		q, _ := json.Marshal(s)
		out := string(q[1 : len(q)-1])
		// encoding/json escapes <, > and & for HTML; evtx_dump does not.
		return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&", `\u2028`, "\u2028", `\u2029`, "\u2029").Replace(out)
	}
	return s
}

// TestAppendUTF16 checks the word-at-a-time conversion against the
// reference on random text rich in characters that need escaping,
// surrogates (paired and not) and NULs.
func TestAppendUTF16(t *testing.T) {
	alphabet := []uint16{'a', 'Z', '0', ' ', '"', '\\', '&', '<', '>', '\'', '\n', '\r', '\t', 0x01, 0x1f, 0x7f, 0xe9, 0x20ac, 0xd83d, 0xde00, 0xdc00, 0xd800, 0x80, 0x7ff, 0x800}
	rng := rand.New(rand.NewPCG(1, 2))
	plain := alphabet[:4]
	for i := 0; i < 40000; i++ {
		// Half the strings are long runs of plain ASCII with a rare special
		// character, which is what the eight- and four-character fast paths
		// see in real logs.
		n, pick := rng.IntN(40), alphabet
		if i%2 == 1 {
			n, pick = rng.IntN(120), plain
		}
		b := make([]byte, 0, 2*n+1)
		for j := 0; j < n; j++ {
			u := pick[rng.IntN(len(pick))]
			if rng.IntN(30) == 0 {
				u = alphabet[rng.IntN(len(alphabet))]
			}
			if rng.IntN(50) == 0 {
				u = 0
			}
			b = binary.LittleEndian.AppendUint16(b, u)
		}
		if rng.IntN(10) == 0 {
			b = append(b, 'x') // odd length: the last byte is ignored
		}
		for _, mode := range []escMode{escNone, escXMLText, escXMLAttr, escJSON} {
			got := string(appendUTF16(nil, b, mode))
			if want := referenceUTF16(b[:len(b)&^1], mode); got != want {
				t.Fatalf("mode %d, input % x:\n got  %q\n want %q", mode, b, got, want)
			}
		}
	}
}

// FuzzAppendUTF16 holds the word-at-a-time conversion to the reference on
// any input, in every escaping mode.
func FuzzAppendUTF16(f *testing.F) {
	f.Add([]byte("a\x00b\x00c\x00d\x00e\x00f\x00g\x00h\x00\"\x00\\\x00"))
	f.Add([]byte("\x3d\xd8\x00\xde<\x00&\x00\x08\x00\x0c\x00\x7f\x00\xe9\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, mode := range []escMode{escNone, escXMLText, escXMLAttr, escJSON} {
			got := string(appendUTF16(nil, b, mode))
			if want := referenceUTF16(b[:len(b)&^1], mode); got != want {
				t.Fatalf("mode %d, input % x:\n got  %q\n want %q", mode, b, got, want)
			}
		}
	})
}
