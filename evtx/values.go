package evtx

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
)

// Substitution value types (MS-EVEN6 3.1.4.7.3). typeArray marks an array of
// the type in the low bits.
const (
	typeNull       = 0x00
	typeString     = 0x01
	typeANSI       = 0x02
	typeInt8       = 0x03
	typeUint8      = 0x04
	typeInt16      = 0x05
	typeUint16     = 0x06
	typeInt32      = 0x07
	typeUint32     = 0x08
	typeInt64      = 0x09
	typeUint64     = 0x0a
	typeReal32     = 0x0b
	typeReal64     = 0x0c
	typeBool       = 0x0d
	typeBinary     = 0x0e
	typeGUID       = 0x0f
	typeSizeT      = 0x10
	typeFiletime   = 0x11
	typeSystemtime = 0x12
	typeSID        = 0x13
	typeHexInt32   = 0x14
	typeHexInt64   = 0x15
	typeEvtHandle  = 0x20
	typeBinXML     = 0x21
	typeEvtXML     = 0x23
	typeArray      = 0x80
)

// value is one substitution value: its type and where its bytes are in the
// chunk.
type value struct {
	off, size uint32
	typ       uint8
}

var nullValue = value{}

// fixedSize returns the size of one value of a fixed-size type, or 0.
func fixedSize(typ uint8) int {
	switch typ {
	case typeInt8, typeUint8:
		return 1
	case typeInt16, typeUint16:
		return 2
	case typeInt32, typeUint32, typeReal32, typeHexInt32, typeBool:
		return 4
	case typeInt64, typeUint64, typeReal64, typeHexInt64, typeFiletime:
		return 8
	case typeGUID, typeSystemtime:
		return 16
	}
	return 0
}

func isBinXML(typ uint8) bool { return typ == typeBinXML || typ == typeEvtXML }

// isEmpty reports whether v renders as nothing: a null value, an empty
// string, binary or array. Attributes with empty values are left out and
// elements with them are rendered empty.
func (v value) isEmpty(data []byte) bool {
	switch {
	case v.typ == typeNull || v.size == 0:
		return true
	case v.typ == typeString:
		return utf16Empty(data[v.off : v.off+v.size])
	case v.typ == typeANSI:
		return data[v.off] == 0
	}
	return false
}

// isNumber reports whether v is rendered as a bare JSON number or boolean,
// as evtx_dump does for integer and boolean types.
func (v value) isNumber() bool {
	if v.typ < typeInt8 || (v.typ > typeUint64 && v.typ != typeBool) {
		return false
	}
	return int(v.size) >= fixedSize(v.typ) || (v.typ == typeBool && v.size > 0)
}

// arrayLen returns the number of items in an array value.
func (v value) arrayLen(data []byte) int {
	elt := v.typ &^ typeArray
	if sz := fixedSize(elt); sz > 0 {
		return int(v.size) / sz
	}
	n := 0
	for pos := v.off; pos < v.off+v.size; n++ {
		_, pos = v.nextItem(data, pos)
	}
	return n
}

// nextItem returns the array item of a variable-size array that starts at
// pos, as a scalar value, and the position of the next item.
func (v value) nextItem(data []byte, pos uint32) (value, uint32) {
	end := v.off + v.size
	elt := v.typ &^ typeArray
	switch elt {
	case typeString:
		p := pos
		for p+1 < end && (data[p] != 0 || data[p+1] != 0) {
			p += 2
		}
		item := value{typ: typeString, off: pos, size: p - pos}
		if p+1 < end {
			p += 2
		} else {
			p = end
		}
		return item, p
	case typeANSI:
		p := pos
		for p < end && data[p] != 0 {
			p++
		}
		item := value{typ: typeANSI, off: pos, size: p - pos}
		if p < end {
			p++
		}
		return item, p
	case typeSID:
		n := uint32(8)
		if pos+2 <= end {
			n += 4 * uint32(data[pos+1])
		}
		if pos+n > end {
			n = end - pos
		}
		return value{typ: typeSID, off: pos, size: n}, pos + n
	case typeSizeT:
		// A size_t array has 4- or 8-byte items; 8 when the size allows it,
		// as on the 64-bit systems that write nearly all logs.
		n := uint32(8)
		if v.size%8 != 0 {
			n = 4
		}
		if pos+n > end {
			n = end - pos
		}
		return value{typ: typeSizeT, off: pos, size: n}, pos + n
	}
	// Other types have no array form; the rest of the value is one item.
	return value{typ: elt, off: pos, size: end - pos}, end
}

// appendValue appends the text of v, escaped for mode, as Windows renders it
// in event XML.
func appendValue(dst []byte, data []byte, v value, mode escMode) []byte {
	b := data[v.off : v.off+v.size]
	le := binary.LittleEndian
	if v.typ&typeArray != 0 {
		return appendArray(dst, data, v, mode)
	}
	if sz := fixedSize(v.typ); sz > 0 && len(b) < sz {
		if v.typ == typeBool && len(b) > 0 {
			return appendBool(dst, b)
		}
		// Too short for its type: show the bytes rather than invent a value.
		return appendHexBytes(dst, b)
	}
	switch v.typ {
	case typeNull:
		return dst
	case typeString:
		return appendUTF16(dst, b, mode)
	case typeANSI:
		return appendANSI(dst, b, mode)
	case typeInt8:
		return strconv.AppendInt(dst, int64(int8(b[0])), 10)
	case typeUint8:
		return strconv.AppendUint(dst, uint64(b[0]), 10)
	case typeInt16:
		return strconv.AppendInt(dst, int64(int16(le.Uint16(b))), 10)
	case typeUint16:
		return strconv.AppendUint(dst, uint64(le.Uint16(b)), 10)
	case typeInt32:
		return strconv.AppendInt(dst, int64(int32(le.Uint32(b))), 10)
	case typeUint32:
		return strconv.AppendUint(dst, uint64(le.Uint32(b)), 10)
	case typeInt64:
		return strconv.AppendInt(dst, int64(le.Uint64(b)), 10)
	case typeUint64:
		return strconv.AppendUint(dst, le.Uint64(b), 10)
	case typeReal32:
		return appendFloat(dst, float64(math.Float32frombits(le.Uint32(b))), 32)
	case typeReal64:
		return appendFloat(dst, math.Float64frombits(le.Uint64(b)), 64)
	case typeBool:
		return appendBool(dst, b)
	case typeBinary:
		return appendHexBytes(dst, b)
	case typeGUID:
		return appendGUID(dst, b)
	case typeSizeT, typeHexInt32, typeHexInt64, typeEvtHandle:
		return appendHexInt(dst, b)
	case typeFiletime:
		return appendTime(dst, filetimeToTime(le.Uint64(b)))
	case typeSystemtime:
		return appendSystemtime(dst, b)
	case typeSID:
		return appendSID(dst, b)
	case typeBinXML, typeEvtXML:
		// Binary XML is element content; a renderer that asks for its text
		// (in an attribute, say) gets none, as in Windows.
		return dst
	}
	// An unknown type: show the bytes.
	return appendHexBytes(dst, b)
}

// appendArray appends the items of an array joined by commas; renderers use
// it where an array cannot be shown by repeating its element.
func appendArray(dst []byte, data []byte, v value, mode escMode) []byte {
	elt := v.typ &^ typeArray
	if sz := fixedSize(elt); sz > 0 {
		for i := 0; i+sz <= int(v.size); i += sz {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValue(dst, data, value{typ: elt, off: v.off + uint32(i), size: uint32(sz)}, mode)
		}
		return dst
	}
	for pos := v.off; pos < v.off+v.size; {
		if pos > v.off {
			dst = append(dst, ',')
		}
		var it value
		it, pos = v.nextItem(data, pos)
		dst = appendValue(dst, data, it, mode)
	}
	return dst
}

func appendBool(dst []byte, b []byte) []byte {
	for _, c := range b {
		if c != 0 {
			return append(dst, "true"...)
		}
	}
	return append(dst, "false"...)
}

// appendFloat formats a float in the shortest form that reads back exactly.
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "INF"...)
	case math.IsInf(f, -1):
		return append(dst, "-INF"...)
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

const upperHex = "0123456789ABCDEF"

func appendHexBytes(dst []byte, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, upperHex[c>>4], upperHex[c&15])
	}
	return dst
}

// appendHexInt appends a little-endian unsigned integer of 1 to 8 bytes as
// 0x followed by lowercase hex digits without leading zeros.
func appendHexInt(dst []byte, b []byte) []byte {
	var u uint64
	if len(b) > 8 {
		b = b[:8]
	}
	for i := len(b) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	dst = append(dst, '0', 'x')
	return strconv.AppendUint(dst, u, 16)
}

// appendGUID appends a GUID as Windows shows it: {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}.
func appendGUID(dst []byte, b []byte) []byte {
	order := [16]int{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}
	dst = append(dst, '{')
	for i, k := range order {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, upperHex[b[k]>>4], upperHex[b[k]&15])
	}
	return append(dst, '}')
}

// appendSID appends a security identifier in its S-R-A-S1-…-Sn form. A SID
// cut short shows the sub-authorities that are there.
func appendSID(dst []byte, b []byte) []byte {
	if len(b) < 8 {
		return appendHexBytes(dst, b)
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	dst = append(dst, 'S', '-')
	dst = strconv.AppendUint(dst, uint64(b[0]), 10)
	dst = append(dst, '-')
	if auth >= 1<<32 {
		dst = append(dst, '0', 'x')
		dst = append(dst, strconv.FormatUint(auth, 16)...)
	} else {
		dst = strconv.AppendUint(dst, auth, 10)
	}
	subs := b[8:]
	for i := 0; i < int(b[1]) && len(subs) >= 4; i++ {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(subs)), 10)
		subs = subs[4:]
	}
	return dst
}

// systemtimeToTime converts a SYSTEMTIME: year, month, day of week, day,
// hour, minute, second, milliseconds, each 16 bits.
func systemtimeToTime(b []byte) time.Time {
	le := binary.LittleEndian
	return time.Date(int(le.Uint16(b[0:])), time.Month(le.Uint16(b[2:])), int(le.Uint16(b[6:])),
		int(le.Uint16(b[8:])), int(le.Uint16(b[10:])), int(le.Uint16(b[12:])),
		int(le.Uint16(b[14:]))*int(time.Millisecond), time.UTC)
}

// appendSystemtime appends a SYSTEMTIME as Windows and evtxexport render it,
// with its millisecond precision: 2006-01-02T15:04:05.000Z. The fields are
// written as stored, even when they do not make a valid date.
func appendSystemtime(dst []byte, b []byte) []byte {
	le := binary.LittleEndian
	dst = appendPadded(dst, le.Uint16(b[0:]), 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, le.Uint16(b[2:]), 2)
	dst = append(dst, '-')
	dst = appendPadded(dst, le.Uint16(b[6:]), 2)
	dst = append(dst, 'T')
	dst = appendPadded(dst, le.Uint16(b[8:]), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, le.Uint16(b[10:]), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, le.Uint16(b[12:]), 2)
	dst = append(dst, '.')
	dst = appendPadded(dst, le.Uint16(b[14:]), 3)
	return append(dst, 'Z')
}

// appendPadded appends v in decimal with leading zeros to width digits.
func appendPadded(dst []byte, v uint16, width int) []byte {
	for w, p := width, uint16(1); w > 1; w-- {
		p *= 10
		if v < p {
			dst = append(dst, '0')
		}
	}
	return strconv.AppendUint(dst, uint64(v), 10)
}

// appendTime appends t in UTC as Windows 10 and later render event times:
// 2006-01-02T15:04:05.1234567Z, seven fractional digits (100 ns ticks).
func appendTime(dst []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	if y < 0 || y > 9999 {
		return t.AppendFormat(dst, "2006-01-02T15:04:05.0000000Z07:00")
	}
	var buf [28]byte
	put := func(i, v, n int) {
		for k := i + n - 1; k >= i; k-- {
			buf[k] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	buf[4] = '-'
	put(5, int(mo), 2)
	buf[7] = '-'
	put(8, d, 2)
	buf[10] = 'T'
	put(11, h, 2)
	buf[13] = ':'
	put(14, mi, 2)
	buf[16] = ':'
	put(17, s, 2)
	buf[19] = '.'
	put(20, t.Nanosecond()/100, 7)
	buf[27] = 'Z'
	return append(dst, buf[:]...)
}
