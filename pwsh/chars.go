package pwsh

import (
	"unicode"
	"unicode/utf8"
)

// Character classes as the PowerShell tokenizer defines them. PowerShell
// accepts typographic quotes and dashes wherever it accepts the ASCII ones,
// which is what makes text pasted from a web page or a word processor run,
// and what lures copied from such pages rely on.

func isDash(r rune) bool {
	return r == '-' || r == '\u2013' || r == '\u2014' || r == '\u2015'
}

func isSingleQuote(r rune) bool {
	return r == '\'' || r == '\u2018' || r == '\u2019' || r == '\u201a' || r == '\u201b'
}

func isDoubleQuote(r rune) bool {
	return r == '"' || r == '\u201c' || r == '\u201d' || r == '\u201e'
}

func isQuote(r rune) bool { return isSingleQuote(r) || isDoubleQuote(r) }

// isSpace reports PowerShell whitespace: the ASCII blanks plus every Unicode
// space separator (U+00A0, U+2000..U+200A, ...), so the padding that ClickFix
// lures use to push a command out of sight is whitespace to PowerShell too.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\f', '\v', '\u0085':
		return true
	}
	return r > 0x7f && (unicode.Is(unicode.Zs, r) || r == '\u2028' || r == '\u2029')
}

func isNewline(r rune) bool { return r == '\n' || r == '\r' }

func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	return unicode.IsLetter(r)
}

func isDigit(r rune) bool { return '0' <= r && r <= '9' }

func isHexDigit(r rune) bool {
	return isDigit(r) || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F'
}

// isVarChar reports characters allowed in an unbraced variable name. '?' is
// one of them, which is why PowerShell 7 needs ${a}?.b for null-conditional
// member access.
func isVarChar(r rune) bool {
	if r < utf8.RuneSelf {
		return isLetter(r) || isDigit(r) || r == '_' || r == '?'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}

// isNameChar reports characters of a member or type name.
func isNameChar(r rune) bool {
	if r < utf8.RuneSelf {
		return isLetter(r) || isDigit(r) || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// endsGeneric reports characters that end a bareword (command name or
// argument) in command mode.
func endsGeneric(r rune) bool {
	switch r {
	case '{', '}', '(', ')', ';', ',', '|', '&', '\n', '\r', '>', '<':
		return true
	}
	return isSpace(r)
}

// ASCII-only lower casing; PowerShell names of interest are ASCII and this
// avoids allocating for the common case.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// decodeRune is utf8.DecodeRuneInString with 0, 0 for an empty string.
func decodeRune(s string) (rune, int) {
	if s == "" {
		return 0, 0
	}
	if s[0] < utf8.RuneSelf {
		return rune(s[0]), 1
	}
	return utf8.DecodeRuneInString(s)
}

func lastRune(s string) (rune, int) {
	if s == "" {
		return 0, 0
	}
	return utf8.DecodeLastRuneInString(s)
}
