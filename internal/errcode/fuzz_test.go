package errcode

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts
// round-trips: the hex rendering of the value parses back to the same value
// and Lookup describes it without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"0x80070643", "80070643", "-2147023293", "2147944003", "1603", "0x643", "0X8024200B",
		"0", "", " 0x0 ", "-", "0x", "4294967296", "-2147483649", "0xFFFFFFFF", "ffffffff",
		"12345678", "1234567", "+5", "0x-1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := Parse(s)
		if !ok {
			return
		}
		back, ok := Parse(Hex(v))
		if !ok || back != v {
			t.Fatalf("Parse(%q) = %#x, but Parse(Hex) = %#x, %v", s, v, back, ok)
		}
		info := Lookup(v)
		if info.Code != v || !strings.HasPrefix(info.Hex, "0x") {
			t.Fatalf("Lookup(%#x) = %+v", v, info)
		}
		if _, err := strconv.ParseUint(info.Hex[2:], 16, 32); err != nil {
			t.Fatalf("Lookup(%#x).Hex = %q", v, info.Hex)
		}
	})
}
