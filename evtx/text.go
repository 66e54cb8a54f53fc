package evtx

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"unicode/utf8"
)

// escMode says how text is escaped while it is converted to UTF-8.
type escMode uint8

const (
	escNone    escMode = iota // plain text, for the typed model
	escXMLText                // & < > escaped
	escXMLAttr                // & < > " escaped
	escJSON                   // JSON string contents
)

// special marks, per mode, the ASCII bytes that need escaping. NUL is marked
// in every mode because it ends a Windows string.
var special = func() (t [4][128]bool) {
	for m := range t {
		t[m][0] = true
	}
	t[escXMLText]['&'], t[escXMLText]['<'], t[escXMLText]['>'] = true, true, true
	t[escXMLAttr]['&'], t[escXMLAttr]['<'], t[escXMLAttr]['>'], t[escXMLAttr]['"'] = true, true, true, true
	for c := 1; c < 0x20; c++ {
		t[escJSON][c] = true
	}
	t[escJSON]['"'], t[escJSON]['\\'] = true, true
	return t
}()

const hexDigits = "0123456789abcdef"

// Word-at-a-time tests on eight ASCII characters packed into the bytes of a
// word. A byte below n sets its top bit in x-n; the borrow can only make the
// next byte look smaller, so the tests err on the side of the slow path,
// never of missing a character. They hold only for bytes below 0x80.
const (
	bytes1    = 0x0101010101010101
	bytesHigh = 0x8080808080808080
)

func byteBelow(x uint64, n uint64) uint64 { return (x - n*bytes1) &^ x & bytesHigh }
func byteIs(x uint64, c uint64) uint64    { return byteBelow(x^(c*bytes1), 1) }

// needsEscape reports, as a non-zero result, whether any of the eight ASCII
// characters in x might need escaping in mode, or is NUL.
func needsEscape(x uint64, mode escMode) uint64 {
	switch mode {
	case escJSON:
		return byteBelow(x, 0x20) | byteIs(x, '"') | byteIs(x, '\\')
	case escXMLText:
		return byteBelow(x, 1) | byteIs(x, '&') | byteIs(x, '<') | byteIs(x, '>')
	case escXMLAttr:
		return byteBelow(x, 1) | byteIs(x, '&') | byteIs(x, '<') | byteIs(x, '>') | byteIs(x, '"')
	}
	return byteBelow(x, 1)
}

// narrow packs the four characters of v's 16-bit lanes, ASCII, into the
// low four bytes, in order.
func narrow(v uint64) uint64 {
	x := v | v>>8
	return x&0xffff | (x>>16)&0xffff0000
}

// nonASCII has a bit set in the high byte of each 16-bit lane, and in the
// top bit of each low byte: a lane without them holds an ASCII character.
const nonASCII = 0xff80ff80ff80ff80

// appendEscapedASCII appends one special ASCII byte c (not NUL) escaped for mode.
func appendEscapedASCII(dst []byte, c byte, mode escMode) []byte {
	switch mode {
	case escXMLText, escXMLAttr:
		switch c {
		case '&':
			return append(dst, "&amp;"...)
		case '<':
			return append(dst, "&lt;"...)
		case '>':
			return append(dst, "&gt;"...)
		case '"':
			return append(dst, "&quot;"...)
		}
	case escJSON:
		switch c {
		case '"':
			return append(dst, '\\', '"')
		case '\\':
			return append(dst, '\\', '\\')
		case '\n':
			return append(dst, '\\', 'n')
		case '\r':
			return append(dst, '\\', 'r')
		case '\t':
			return append(dst, '\\', 't')
		case '\b':
			return append(dst, '\\', 'b')
		case '\f':
			return append(dst, '\\', 'f')
		}
		return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
	}
	return append(dst, c)
}

// appendUTF16 appends the UTF-16LE text b as UTF-8, escaped for mode. It
// stops at the first NUL character, as Windows does with its strings.
// Unpaired surrogates become U+FFFD, so the output is always valid UTF-8.
func appendUTF16(dst []byte, b []byte, mode escMode) []byte {
	tab := &special[mode]
	// Most event text is ASCII: room for one byte per character avoids
	// growing dst in the loop.
	dst = slices.Grow(dst, len(b)/2)
	i := 0
	for i < len(b)-1 {
		// Fast paths: eight, then four ASCII characters with nothing to escape.
		for i+16 <= len(b) {
			v, w := binary.LittleEndian.Uint64(b[i:]), binary.LittleEndian.Uint64(b[i+8:])
			if (v|w)&nonASCII != 0 {
				break
			}
			x := narrow(v) | narrow(w)<<32
			if needsEscape(x, mode) != 0 {
				break
			}
			dst = binary.LittleEndian.AppendUint64(dst, x)
			i += 16
		}
		for i+8 <= len(b) {
			// Four characters: the ones before the first that is not ASCII
			// or needs escaping are copied, and that one is left to the
			// character-by-character path. Lanes past it may hold garbage
			// in x, or be flagged by a borrow from it, but never a lane
			// before it, so the first flag is exact. The four high bytes
			// of x are zero, which reads as NUL: only the low four count.
			v := binary.LittleEndian.Uint64(b[i:])
			x := narrow(v)
			n := 4
			if na := v & nonASCII; na != 0 {
				n = bits.TrailingZeros64(na) / 16
			}
			if esc := needsEscape(x, mode) & 0x80808080; esc != 0 {
				n = min(n, bits.TrailingZeros64(esc)/8)
			}
			dst = binary.LittleEndian.AppendUint32(dst, uint32(x))[:len(dst)+n]
			i += 2 * n
			if n < 4 {
				break
			}
		}
		if i >= len(b)-1 {
			break
		}
		u := uint16(b[i]) | uint16(b[i+1])<<8
		i += 2
		switch {
		case u < 0x80:
			c := byte(u)
			if tab[c] {
				if c == 0 {
					return dst
				}
				dst = appendEscapedASCII(dst, c, mode)
			} else {
				dst = append(dst, c)
			}
		case u < 0xd800 || u >= 0xe000:
			dst = utf8.AppendRune(dst, rune(u))
		case u < 0xdc00 && i+1 < len(b):
			u2 := uint16(b[i]) | uint16(b[i+1])<<8
			if u2 >= 0xdc00 && u2 < 0xe000 {
				i += 2
				dst = utf8.AppendRune(dst, 0x10000+(rune(u)-0xd800)<<10+(rune(u2)-0xdc00))
			} else {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			}
		default:
			dst = utf8.AppendRune(dst, utf8.RuneError)
		}
	}
	return dst
}

// utf16Empty reports whether UTF-16LE text b renders as the empty string.
func utf16Empty(b []byte) bool {
	return len(b) < 2 || (b[0] == 0 && b[1] == 0)
}

// cp1252 maps the bytes 0x80-0x9f of Windows code page 1252 to Unicode; the
// other bytes map to the code point of the same value. Undefined bytes map to
// themselves, as Windows' MultiByteToWideChar does.
var cp1252 = [32]rune{
	0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d, 0x017d, 0x8f,
	0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d, 0x017e, 0x0178,
}

// appendANSI appends text in Windows code page 1252 as UTF-8, escaped for
// mode, stopping at the first NUL byte.
func appendANSI(dst []byte, b []byte, mode escMode) []byte {
	tab := &special[mode]
	for _, c := range b {
		switch {
		case c < 0x80:
			if tab[c] {
				if c == 0 {
					return dst
				}
				dst = appendEscapedASCII(dst, c, mode)
			} else {
				dst = append(dst, c)
			}
		case c < 0xa0:
			dst = utf8.AppendRune(dst, cp1252[c-0x80])
		default:
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}

// appendEscapedString appends UTF-8 text s escaped for mode (it is already
// valid UTF-8: it comes from this package's own decoding).
func appendEscapedString(dst []byte, s string, mode escMode) []byte {
	if mode == escNone {
		return append(dst, s...)
	}
	tab := &special[mode]
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && tab[c] && c != 0 {
			dst = append(dst, s[start:i]...)
			dst = appendEscapedASCII(dst, c, mode)
			start = i + 1
		}
	}
	return append(dst, s[start:]...)
}
