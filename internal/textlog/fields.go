package textlog

import (
	"bytes"
	"strings"
	"time"
)

// digits parses b as an unsigned decimal number; ok is false unless every
// byte is a digit.
func digits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// wallClock builds a time from log fields, rejecting impossible values
// (time.Date would normalise 2024-13-45 into a later date).
func wallClock(y, mo, d, h, mi, s, nsec int) (time.Time, bool) {
	if y < 1980 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, nsec, time.UTC)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// parseDate reads "YYYY?MM?DD" where ? is sep.
func parseDate(b []byte, sep byte) (y, m, d int, ok bool) {
	if len(b) < 10 || b[4] != sep || b[7] != sep {
		return 0, 0, 0, false
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	return y, m, d, ok1 && ok2 && ok3
}

// parseClock reads "HH:MM:SS".
func parseClock(b []byte) (h, m, s int, ok bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return 0, 0, 0, false
	}
	h, ok1 := digits(b[0:2])
	m, ok2 := digits(b[3:5])
	s, ok3 := digits(b[6:8])
	return h, m, s, ok1 && ok2 && ok3
}

// fraction reads up to nine digits of a fractional second as nanoseconds.
func fraction(b []byte) (nsec int, n int) {
	scale := 100000000
	for n < len(b) && n < 9 && b[n] >= '0' && b[n] <= '9' {
		nsec += int(b[n]-'0') * scale
		scale /= 10
		n++
	}
	return nsec, n
}

// looksDated reports whether a line starts like a dated log line
// ("2024-01-09" or "2024/01/09"): a line that does and still fails to parse
// is damaged, not a continuation of the line before.
func looksDated(b []byte) bool {
	if len(b) < 5 {
		return false
	}
	for i := 0; i < 4; i++ {
		if b[i] < '0' || b[i] > '9' {
			return false
		}
	}
	return b[4] == '-' || b[4] == '/'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// skipSpace returns b without leading blanks.
func skipSpace(b []byte) []byte {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return b[i:]
}

// token splits b at the first blank after its leading blanks.
func token(b []byte) (tok, rest []byte) {
	b = skipSpace(b)
	i := 0
	for i < len(b) && !isSpace(b[i]) {
		i++
	}
	return b[:i], b[i:]
}

func hexVal(c byte) (uint32, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint32(c - '0'), true
	case c >= 'a' && c <= 'f':
		return uint32(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return uint32(c-'A') + 10, true
	}
	return 0, false
}

// hexNumber reads hex digits from the start of b (at most eight), returning
// the value and how many bytes it used.
func hexNumber(b []byte) (uint32, int) {
	var v uint32
	n := 0
	for n < len(b) && n < 8 {
		d, ok := hexVal(b[n])
		if !ok {
			break
		}
		v = v<<4 | d
		n++
	}
	if n < len(b) && n == 8 {
		if _, more := hexVal(b[n]); more {
			return 0, 0
		}
	}
	return v, n
}

// codeAfter finds marker in b and reads the code after it: optional blanks
// and '=' or ':', then "0x" and hex digits, or bare hex when bareHex is set.
func codeAfter(b []byte, marker string, bareHex bool) (uint32, bool) {
	i := bytes.Index(b, []byte(marker))
	if i < 0 {
		return 0, false
	}
	return codeAt(b[i+len(marker):], bareHex)
}

func codeAt(b []byte, bareHex bool) (uint32, bool) {
	for len(b) > 0 && (isSpace(b[0]) || b[0] == '=' || b[0] == ':') {
		b = b[1:]
	}
	if len(b) >= 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		v, n := hexNumber(b[2:])
		return v, n > 0
	}
	if bareHex {
		v, n := hexNumber(b)
		return v, n > 0
	}
	return 0, false
}

// firstFailureCode finds the first "0x" hex number in b with the failure
// bit set (0x8xxxxxxx or 0xCxxxxxxx, written with all eight digits).
func firstFailureCode(b []byte) (uint32, bool) {
	for {
		i := bytes.Index(b, []byte("0x"))
		if i < 0 {
			return 0, false
		}
		v, n := hexNumber(b[i+2:])
		if n == 8 && v&0x80000000 != 0 {
			return v, true
		}
		b = b[i+2:]
	}
}

// isGUID reports whether b starts with a GUID: 8-4-4-4-12 hex digits.
func isGUID(b []byte) bool {
	if len(b) < 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if b[i] != '-' {
				return false
			}
		default:
			if _, ok := hexVal(b[i]); !ok {
				return false
			}
		}
	}
	return true
}

// nilGUID is the all-zero GUID ReportingEvents.log writes for events that
// concern no update.
const nilGUID = "00000000-0000-0000-0000-000000000000"

// lowerGUID returns the 36-byte GUID at the start of b in lower case, or ""
// for the nil GUID.
func lowerGUID(b []byte) string {
	if string(b[:36]) == nilGUID {
		return ""
	}
	var out [36]byte
	for i := 0; i < 36; i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out[:])
}

// guidAt reads a GUID, braced or not, at the start of b, and the revision
// that follows it as ".201". It returns "" when b holds no GUID there.
func guidAt(b []byte) (id string, rev int) {
	if len(b) > 0 && b[0] == '{' {
		b = b[1:]
		if !isGUID(b) || len(b) < 37 || b[36] != '}' {
			return "", 0
		}
		return lowerGUID(b), revisionAt(b[37:])
	}
	if !isGUID(b) {
		return "", 0
	}
	if len(b) > 36 {
		if _, ok := hexVal(b[36]); ok {
			return "", 0
		}
	}
	return lowerGUID(b), revisionAt(b[36:])
}

// revisionAt reads ".NNN" at the start of b.
func revisionAt(b []byte) int {
	if len(b) < 2 || b[0] != '.' {
		return 0
	}
	i := 1
	for i < len(b) && i < 10 && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	n, _ := digits(b[1:i])
	return n
}

// guidAfter finds marker in b and reads the GUID after it (blanks, '=',
// '[' and ':' skipped).
func guidAfter(b []byte, marker string) (string, int) {
	i := bytes.Index(b, []byte(marker))
	if i < 0 {
		return "", 0
	}
	b = b[i+len(marker):]
	for len(b) > 0 && (isSpace(b[0]) || b[0] == '=' || b[0] == ':' || b[0] == '[') {
		b = b[1:]
	}
	return guidAt(b)
}

// revisedGUID finds the first GUID in b followed by a revision
// ("{GUID}.201" or "GUID.201"): the form Windows Update writes update
// identities in, unlike job, class and service GUIDs.
func revisedGUID(b []byte) (string, int) {
	rest := b
	for {
		i := bytes.IndexByte(rest, '-')
		if i < 0 {
			return "", 0
		}
		if i >= 8 {
			start := i - 8
			if start > 0 && rest[start-1] == '{' {
				start--
			}
			if start == 0 || !isHexOrDash(rest[start-1]) {
				if id, rev := guidAt(rest[start:]); id != "" && rev > 0 {
					return id, rev
				}
			}
		}
		rest = rest[i+1:]
	}
}

func isHexOrDash(c byte) bool {
	_, ok := hexVal(c)
	return ok || c == '-'
}

// findKB returns the first KB number in b as "KB1234567": "KB" (or "kb",
// as in .msu file names), an optional space, six to eight digits, and no
// letter or digit right before it ("Package_for_KB5034441" and
// "(KB5057589)" both count).
func findKB(b []byte) string {
	if kb := findKBSpelled(b, "KB"); kb != "" {
		return kb
	}
	return findKBSpelled(b, "kb")
}

func findKBSpelled(b []byte, spelling string) string {
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte(spelling))
		if i < 0 {
			return ""
		}
		i += off
		off = i + 2
		if i > 0 && isAlnum(b[i-1]) {
			continue
		}
		j := i + 2
		if j < len(b) && b[j] == ' ' {
			j++
		}
		k := j
		for k < len(b) && b[k] >= '0' && b[k] <= '9' {
			k++
		}
		if n := k - j; n >= 6 && n <= 8 && (k == len(b) || !isAlnum(b[k])) {
			return "KB" + string(b[j:k])
		}
	}
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// publicKeyToken is the Microsoft public key token every Windows package
// identity carries: name~token~arch~locale~version.
const publicKeyToken = "~31bf3856ad364e35~"

// findPackage returns the first CBS package identity in b.
func findPackage(b []byte) []byte {
	i := bytes.Index(b, []byte(publicKeyToken))
	if i < 0 {
		return nil
	}
	start := i
	for start > 0 && !packageStop(b[start-1]) {
		start--
	}
	end := i + len(publicKeyToken)
	for end < len(b) && !packageStop(b[end]) {
		end++
	}
	// A sentence may end right after the version.
	for end > i+len(publicKeyToken) && b[end-1] == '.' {
		end--
	}
	if start == i {
		return nil
	}
	return b[start:end]
}

func packageStop(c byte) bool {
	switch c {
	case ' ', '\t', ',', '\'', '"', '[', ']', '(', ')', ':', ';', '\\', '/', '=':
		return true
	}
	return false
}

// packageBuild returns the OS build a Package_for_* identity targets:
// "19041.5737" from "...~~19041.5737.1.7". Other packages carry component
// versions ("10.0.14393.0"), not builds.
func packageBuild(pkg string) string {
	if len(pkg) < 12 || !strings.EqualFold(pkg[:12], "Package_for_") {
		return ""
	}
	v := pkg[strings.LastIndexByte(pkg, '~')+1:]
	major, rest, ok := strings.Cut(v, ".")
	if !ok {
		return ""
	}
	minor, _, _ := strings.Cut(rest, ".")
	m, ok1 := digits([]byte(major))
	_, ok2 := digits([]byte(minor))
	if !ok1 || !ok2 || m < 10000 {
		return ""
	}
	return major + "." + minor
}

// valueAfter returns the text after marker up to the next comma (or the end
// of b), trimmed.
func valueAfter(b []byte, marker string) []byte {
	i := bytes.Index(b, []byte(marker))
	if i < 0 {
		return nil
	}
	v := b[i+len(marker):]
	if j := bytes.IndexByte(v, ','); j >= 0 {
		v = v[:j]
	}
	return bytes.TrimSpace(v)
}

// equalFold compares ASCII text ignoring case, without converting b.
func equalFold(b []byte, p string) bool {
	if len(b) != len(p) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c, d := b[i], p[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if d >= 'A' && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether b starts with the ASCII prefix p, ignoring
// case.
func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && equalFold(b[:len(p)], p)
}

// containsFold reports whether b contains the lower-case ASCII string p,
// ignoring case.
func containsFold(b []byte, p string) bool {
	if len(p) == 0 {
		return true
	}
	first := p[0]
	upper := first - ('a' - 'A')
	for i := 0; i+len(p) <= len(b); i++ {
		c := b[i]
		if c != first && c != upper {
			continue
		}
		if equalFold(b[i:i+len(p)], p) {
			return true
		}
	}
	return false
}

// yesNo reads a CBS/WU boolean ("yes", "True", "1").
func yesNo(b []byte) (v, ok bool) {
	switch {
	case hasPrefixFold(b, "yes"), hasPrefixFold(b, "true"), len(b) > 0 && b[0] == '1':
		return true, true
	case hasPrefixFold(b, "no"), hasPrefixFold(b, "false"), len(b) > 0 && b[0] == '0':
		return false, true
	}
	return false, false
}
