package evtx

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// FieldType says how [Writer.WriteTyped] stores a payload value. A value is
// always given as the text the event XML shows; the writer parses it into the
// binary form of its type, so that readers render it the way Windows would.
type FieldType uint8

const (
	FieldString   FieldType = iota // UTF-16 text (the default)
	FieldInt8                      // decimal, -128..127
	FieldUint8                     // decimal, 0..255
	FieldInt16                     // decimal
	FieldUint16                    // decimal
	FieldInt32                     // decimal
	FieldUint32                    // decimal
	FieldInt64                     // decimal
	FieldUint64                    // decimal
	FieldHexInt32                  // "0x80070643", or a decimal that fits 32 bits, signed or not
	FieldHexInt64                  // "0x8000000000000018", or a decimal that fits 64 bits
	FieldBool                      // "true" or "false" (also "1" or "0")
	FieldGUID                      // "{945A8954-C147-4ACD-923F-40C45405A658}", braces optional
	FieldSID                       // "S-1-5-18"
	FieldFileTime                  // RFC 3339 time in 1601-9999, stored to 100 ns
	// FieldBinary is hex text. A payload field named "Binary" with this type
	// is written as the <Binary> element of <EventData>, as classic
	// providers do; other names give <Data> elements.
	FieldBinary
	wrFieldTypeCount
)

var wrFieldTypeNames = [...]string{
	FieldString: "string", FieldInt8: "int8", FieldUint8: "uint8", FieldInt16: "int16",
	FieldUint16: "uint16", FieldInt32: "int32", FieldUint32: "uint32", FieldInt64: "int64",
	FieldUint64: "uint64", FieldHexInt32: "hexint32", FieldHexInt64: "hexint64",
	FieldBool: "bool", FieldGUID: "guid", FieldSID: "sid", FieldFileTime: "filetime",
	FieldBinary: "binary",
}

func (t FieldType) String() string {
	if t < wrFieldTypeCount {
		return wrFieldTypeNames[t]
	}
	return "FieldType(" + strconv.Itoa(int(t)) + ")"
}

// BinXML value types (MS-EVEN6 2.2.18, libyal's "Value types").
const (
	wvNull     = 0x00
	wvString   = 0x01
	wvInt8     = 0x03
	wvUint8    = 0x04
	wvInt16    = 0x05
	wvUint16   = 0x06
	wvInt32    = 0x07
	wvUint32   = 0x08
	wvInt64    = 0x09
	wvUint64   = 0x0a
	wvBool     = 0x0d
	wvBinary   = 0x0e
	wvGUID     = 0x0f
	wvFileTime = 0x11
	wvSID      = 0x13
	wvHexInt32 = 0x14
	wvHexInt64 = 0x15
)

var wrFieldTypeCodes = [...]byte{
	FieldString: wvString, FieldInt8: wvInt8, FieldUint8: wvUint8, FieldInt16: wvInt16,
	FieldUint16: wvUint16, FieldInt32: wvInt32, FieldUint32: wvUint32, FieldInt64: wvInt64,
	FieldUint64: wvUint64, FieldHexInt32: wvHexInt32, FieldHexInt64: wvHexInt64,
	FieldBool: wvBool, FieldGUID: wvGUID, FieldSID: wvSID, FieldFileTime: wvFileTime,
	FieldBinary: wvBinary,
}

// wrMaxValueBytes is the largest value a template instance can describe: its
// size is a 16-bit field.
const wrMaxValueBytes = 0xffff

// writerValue is one substitution value of a template instance.
type writerValue struct {
	typ  byte
	data []byte
}

// wrAppendValue parses text as a value of type t and appends its binary form.
func wrAppendValue(dst []byte, t FieldType, text string) ([]byte, error) {
	switch t {
	case FieldString:
		return wrAppendUTF16(dst, text)
	case FieldInt8, FieldInt16, FieldInt32, FieldInt64:
		bits := wrIntBits(t)
		n, err := strconv.ParseInt(text, 10, bits)
		if err != nil {
			return dst, fmt.Errorf("not a %d-bit integer: %q", bits, text)
		}
		return wrAppendUint(dst, uint64(n), bits/8), nil
	case FieldUint8, FieldUint16, FieldUint32, FieldUint64:
		bits := wrIntBits(t)
		n, err := strconv.ParseUint(text, 10, bits)
		if err != nil {
			return dst, fmt.Errorf("not an unsigned %d-bit integer: %q", bits, text)
		}
		return wrAppendUint(dst, n, bits/8), nil
	case FieldHexInt32:
		n, err := wrParseHexInt(text, 32)
		if err != nil {
			return dst, err
		}
		return binary.LittleEndian.AppendUint32(dst, uint32(n)), nil
	case FieldHexInt64:
		n, err := wrParseHexInt(text, 64)
		if err != nil {
			return dst, err
		}
		return binary.LittleEndian.AppendUint64(dst, n), nil
	case FieldBool:
		switch text {
		case "true", "1":
			return binary.LittleEndian.AppendUint32(dst, 1), nil
		case "false", "0":
			return binary.LittleEndian.AppendUint32(dst, 0), nil
		}
		return dst, fmt.Errorf("not a boolean: %q", text)
	case FieldGUID:
		return wrAppendGUID(dst, text)
	case FieldSID:
		return wrAppendSID(dst, text)
	case FieldFileTime:
		tm, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			return dst, fmt.Errorf("not an RFC 3339 time: %q", text)
		}
		return wrAppendFileTime(dst, tm)
	case FieldBinary:
		b, err := hex.DecodeString(text)
		if err != nil {
			return dst, fmt.Errorf("not hex: %q", text)
		}
		return append(dst, b...), nil
	}
	return dst, fmt.Errorf("unknown field type %v", t)
}

func wrIntBits(t FieldType) int {
	switch t {
	case FieldInt8, FieldUint8:
		return 8
	case FieldInt16, FieldUint16:
		return 16
	case FieldInt32, FieldUint32:
		return 32
	}
	return 64
}

func wrAppendUint(dst []byte, n uint64, size int) []byte {
	for i := 0; i < size; i++ {
		dst = append(dst, byte(n>>(8*i)))
	}
	return dst
}

// wrParseHexInt accepts "0x…" hex, and the decimal forms some collectors print
// for hex-typed values (errorCode as -2147024891 or 2147944003).
func wrParseHexInt(text string, bits int) (uint64, error) {
	if h, ok := strings.CutPrefix(text, "0x"); ok {
		if n, err := strconv.ParseUint(h, 16, bits); err == nil {
			return n, nil
		}
	} else if h, ok := strings.CutPrefix(text, "0X"); ok {
		if n, err := strconv.ParseUint(h, 16, bits); err == nil {
			return n, nil
		}
	} else if n, err := strconv.ParseUint(text, 10, bits); err == nil {
		return n, nil
	} else if n, err := strconv.ParseInt(text, 10, bits); err == nil {
		return uint64(n) & (1<<bits - 1), nil
	}
	return 0, fmt.Errorf("not a %d-bit hex integer: %q", bits, text)
}

var errWriterNUL = errors.New("text contains a NUL character, which EVTX strings cannot hold")

// wrAppendUTF16 appends s as UTF-16LE without a terminator. Invalid UTF-8 and
// NUL are refused: neither survives a trip through an EVTX reader and back.
func wrAppendUTF16(dst []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return dst, fmt.Errorf("text is not valid UTF-8 at byte %d", i)
		}
		if r == 0 {
			return dst, errWriterNUL
		}
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			dst = binary.LittleEndian.AppendUint16(dst, uint16(r1))
			dst = binary.LittleEndian.AppendUint16(dst, uint16(r2))
		} else {
			dst = binary.LittleEndian.AppendUint16(dst, uint16(r))
		}
		i += size
	}
	return dst, nil
}

// wrAppendGUID parses "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" (braces
// optional, any case) into the mixed-endian form Windows stores.
func wrAppendGUID(dst []byte, text string) ([]byte, error) {
	s := text
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		s = s[1 : len(s)-1]
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return dst, fmt.Errorf("not a GUID: %q", text)
	}
	raw, err := hex.DecodeString(s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36])
	if err != nil {
		return dst, fmt.Errorf("not a GUID: %q", text)
	}
	dst = append(dst, raw[3], raw[2], raw[1], raw[0], raw[5], raw[4], raw[7], raw[6])
	return append(dst, raw[8:16]...), nil
}

// wrAppendSID parses "S-1-<authority>-<sub>…" into the binary SID layout:
// revision, sub-authority count, 48-bit big-endian authority, then
// little-endian 32-bit sub-authorities.
func wrAppendSID(dst []byte, text string) ([]byte, error) {
	parts := strings.Split(text, "-")
	if len(parts) < 3 || (parts[0] != "S" && parts[0] != "s") || len(parts)-3 > 15 {
		return dst, fmt.Errorf("not a SID: %q", text)
	}
	rev, err := strconv.ParseUint(parts[1], 10, 8)
	if err != nil {
		return dst, fmt.Errorf("not a SID: %q", text)
	}
	var auth uint64
	if h, ok := strings.CutPrefix(parts[2], "0x"); ok {
		auth, err = strconv.ParseUint(h, 16, 48)
	} else {
		auth, err = strconv.ParseUint(parts[2], 10, 48)
	}
	if err != nil {
		return dst, fmt.Errorf("not a SID: %q", text)
	}
	dst = append(dst, byte(rev), byte(len(parts)-3))
	for i := 5; i >= 0; i-- {
		dst = append(dst, byte(auth>>(8*i)))
	}
	for _, p := range parts[3:] {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return dst, fmt.Errorf("not a SID: %q", text)
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	}
	return dst, nil
}

// wrFileTimeEpoch is 1601-01-01, the origin of Windows FILETIME values.
var wrFileTimeEpoch = time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)

// wrFileTime converts t to 100-nanosecond intervals since 1601, dropping any
// finer precision. Times after year 9999 fit a FILETIME but not the event
// XML's RFC 3339 SystemTime, so they are refused like times before 1601.
func wrFileTime(t time.Time) (uint64, error) {
	if t.Before(wrFileTimeEpoch) || t.UTC().Year() > 9999 {
		return 0, fmt.Errorf("time %s is outside 1601-9999, the years the event XML can show", t.UTC().Format(time.RFC3339))
	}
	// Whole seconds and a remainder: time.Duration cannot hold the 400+
	// years between 1601 and now.
	secs := t.Unix() - wrFileTimeEpoch.Unix()
	return uint64(secs)*10_000_000 + uint64(t.Nanosecond())/100, nil
}

func wrAppendFileTime(dst []byte, t time.Time) ([]byte, error) {
	ft, err := wrFileTime(t)
	if err != nil {
		return dst, err
	}
	return binary.LittleEndian.AppendUint64(dst, ft), nil
}
