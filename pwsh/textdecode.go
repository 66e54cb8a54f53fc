package pwsh

import (
	bin "encoding/binary"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding names returned by [DecodeText].
const (
	EncodingUTF8        = "utf-8"
	EncodingUTF8BOM     = "utf-8-bom"
	EncodingUTF16LE     = "utf-16le"
	EncodingUTF16BE     = "utf-16be"
	EncodingWindows1252 = "windows-1252"
)

// DecodeText turns the bytes of a script file or a pasted command into text:
// a byte-order mark decides (UTF-8, UTF-16LE, UTF-16BE); without one, text
// that is valid UTF-8 is UTF-8, text that looks like UTF-16 (every other byte
// zero) is UTF-16, and anything else is read as Windows-1252, the code page
// Windows PowerShell 5.1 assumes for files without a BOM. The mark itself is
// not part of the result.
func DecodeText(b []byte) (text, encoding string) {
	switch {
	case len(b) >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf:
		return toValidUTF8(b[3:]), EncodingUTF8BOM
	case len(b) >= 2 && b[0] == 0xff && b[1] == 0xfe:
		return decodeUTF16(b[2:], bin.LittleEndian), EncodingUTF16LE
	case len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff:
		return decodeUTF16(b[2:], bin.BigEndian), EncodingUTF16BE
	}
	if le, be := looksUTF16(b); le {
		return decodeUTF16(b, bin.LittleEndian), EncodingUTF16LE
	} else if be {
		return decodeUTF16(b, bin.BigEndian), EncodingUTF16BE
	}
	if utf8.Valid(b) {
		return string(b), EncodingUTF8
	}
	return decodeWindows1252(b), EncodingWindows1252
}

func toValidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return decodeWindows1252(b)
}

// looksUTF16 reports BOM-less UTF-16 text: mostly ASCII with a zero in every
// other byte, as PowerShell's Out-File and redirection wrote it before 7.
func looksUTF16(b []byte) (le, be bool) {
	n := len(b)
	if n < 4 || n%2 != 0 {
		return false, false
	}
	if n > 512 {
		n = 512
	}
	zeroOdd, zeroEven := 0, 0
	for i := 0; i+1 < n; i += 2 {
		if b[i] == 0 {
			zeroEven++
		}
		if b[i+1] == 0 {
			zeroOdd++
		}
	}
	pairs := n / 2
	return zeroOdd*10 >= pairs*9 && zeroEven == 0, zeroEven*10 >= pairs*9 && zeroOdd == 0
}

func decodeUTF16(b []byte, order bin.ByteOrder) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = order.Uint16(b[2*i:])
	}
	s := string(utf16.Decode(u))
	if len(b)%2 == 1 {
		s += "\ufffd"
	}
	return s
}

// windows1252High maps 0x80..0x9F; the other bytes are Latin-1.
var windows1252High = [32]rune{
	'€', '\ufffd', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\ufffd', 'Ž', '\ufffd',
	'\ufffd', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\ufffd', 'ž', 'Ÿ',
}

func decodeWindows1252(b []byte) string {
	var s strings.Builder
	s.Grow(len(b) + len(b)/8)
	for _, c := range b {
		switch {
		case c < 0x80:
			s.WriteByte(c)
		case c < 0xa0:
			s.WriteRune(windows1252High[c-0x80])
		default:
			s.WriteRune(rune(c))
		}
	}
	return s.String()
}
