// Package errcode decodes the error codes that Windows Update, CBS and
// installers report: HRESULTs and Win32 codes, however a log spelled them.
package errcode

import (
	"strconv"
	"strings"
)

// Parse reads an error code as logs write it: hex with or without 0x
// ("0x80070643", "80070643", "0X643"), signed decimal as some collectors
// render HRESULTs ("-2147023293"), or unsigned decimal ("2147944003",
// "1603"). It returns the 32-bit value. Hex is assumed for strings of exactly
// eight hex digits without a prefix, the form WindowsUpdate.log and CBS.log use.
func Parse(s string) (uint32, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		v, err := strconv.ParseUint(h, 16, 32)
		return uint32(v), err == nil
	}
	// Eight digits are never a decimal code in practice: Win32 codes have at
	// most five, HRESULTs in decimal have ten.
	if len(s) == 8 && strings.IndexFunc(s, func(r rune) bool { return !isHex(r) }) < 0 {
		v, err := strconv.ParseUint(s, 16, 32)
		return uint32(v), err == nil
	}
	if strings.HasPrefix(s, "-") {
		v, err := strconv.ParseInt(s, 10, 32)
		return uint32(int32(v)), err == nil
	}
	v, err := strconv.ParseUint(s, 10, 32)
	return uint32(v), err == nil
}

func isHex(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F'
}

// Hex formats a code the way Windows shows it: 0x80070643.
func Hex(code uint32) string {
	return "0x" + strings.ToUpper(strconv.FormatUint(uint64(code), 16))
}
