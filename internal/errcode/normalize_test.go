package errcode

import "testing"

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint32
		ok   bool
	}{
		{"0x80070643", 0x80070643, true},
		{"0X80070643", 0x80070643, true},
		{"80070643", 0x80070643, true},
		{"8024200B", 0x8024200B, true},
		{"-2147023293", 0x80070643, true},
		{"2147944003", 0x80070643, true},
		{"1603", 1603, true},
		{"0x0", 0, true},
		{"0", 0, true},
		{"", 0, false},
		{"0xZZ", 0, false},
		{"-99999999999", 0, false},
		{"banana", 0, false},
	} {
		got, ok := Parse(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("Parse(%q) = %#x, %v; want %#x, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestHex(t *testing.T) {
	if got := Hex(0x8024200b); got != "0x8024200B" {
		t.Fatalf("Hex = %q", got)
	}
}
