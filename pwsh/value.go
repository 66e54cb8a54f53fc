package pwsh

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The evaluator works on a small set of value kinds. Anything it cannot
// compute is vUnknown, which every operation propagates: the evaluator never
// guesses.
type vkind uint8

const (
	vUnknown vkind = iota
	vNull
	vBool
	vInt
	vFloat
	vString
	vChar
	vArray
	vBytes
	vType
	vScript
	vObject
	vHash
)

// tech is a set of obfuscation techniques a value went through on its way;
// a decoded layer is named after them.
type tech uint32

const (
	techBase64 tech = 1 << iota
	techUTF16
	techDeflate
	techGzip
	techCharCodes
	techFormat
	techConcat
	techReplace
	techReverse
	techSplit
	techJoin
	techBxor
	techTicks
	techCase
	techEnvHiding
	techWildcard
	techSecureString
	techHex
	techNumberBase
	techDecode // some other decoding (ToChar, encoding conversions)
	techScriptBlock
	techNetwork // content downloaded at run time: unknown by nature
	// techEnvSource marks values read from automatic or environment
	// variables; indexing into one is how obfuscators hide "iex".
	techEnvSource
)

var techNames = []struct {
	t    tech
	name string
}{
	{techBase64, "base64"},
	{techUTF16, "utf-16"},
	{techDeflate, "deflate"},
	{techGzip, "gzip"},
	{techCharCodes, "char-codes"},
	{techHex, "hex"},
	{techNumberBase, "number-base"},
	{techBxor, "xor"},
	{techSecureString, "securestring"},
	{techFormat, "format-operator"},
	{techConcat, "concatenation"},
	{techReplace, "replace"},
	{techReverse, "reverse"},
	{techSplit, "split"},
	{techJoin, "join"},
	{techTicks, "tick-marks"},
	{techCase, "random-case"},
	{techEnvHiding, "hidden-iex"},
	{techWildcard, "wildcard-names"},
	{techDecode, "decoding"},
	{techScriptBlock, "scriptblock"},
}

// names lists the techniques in a fixed order.
func (t tech) names() []string {
	var out []string
	for _, n := range techNames {
		if t&n.t != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

type value struct {
	k    vkind
	s    string  // vString, vType (name), vScript (text)
	n    int64   // vInt, vChar (code point), vBool (0/1)
	f    float64 // vFloat
	arr  []value // vArray
	b    []byte  // vBytes
	obj  *object // vObject
	h    *hashtable
	tech tech
}

type hashtable struct {
	keys []string
	vals map[string]value
}

// object is a .NET object the evaluator models: streams, encodings, web
// clients (whose downloads stay unknown), bound methods, command infos ...
type object struct {
	class  string // lower-case short class name, such as "memorystream"
	data   []byte // stream content
	enc    string // encoding name for "encoding" and "streamreader"
	name   string // command or method name, variable name, file name
	target *value // receiver of a bound method; variable value
	props  map[string]value
	block  *scriptBlock // the parsed literal of a scriptblock value
	inner  *object      // the stream a decompressing stream or reader wraps
	mode   string       // compression stream mode: "decompress" or "compress"
	// dataTech is how the bytes of a memory stream were obtained
	dataTech tech
}

var (
	unknown = value{k: vUnknown}
	null    = value{k: vNull}
)

func str(s string) value        { return value{k: vString, s: s} }
func num(n int64) value         { return value{k: vInt, n: n} }
func boolean(b bool) value      { return value{k: vBool, n: b2i(b)} }
func char(r rune) value         { return value{k: vChar, n: int64(r)} }
func array(vs []value) value    { return value{k: vArray, arr: vs} }
func bytesVal(b []byte) value   { return value{k: vBytes, b: b} }
func typeVal(name string) value { return value{k: vType, s: name} }
func objVal(o *object) value    { return value{k: vObject, obj: o} }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (v value) known() bool { return v.k != vUnknown }

// with returns v with the techniques t added.
func (v value) with(t tech) value {
	v.tech |= t
	return v
}

// length is the number of elements v enumerates to in a pipeline.
func (v value) length() int {
	switch v.k {
	case vArray:
		return len(v.arr)
	case vBytes:
		return len(v.b)
	case vNull:
		return 0
	}
	return 1
}

// elem returns element i of an enumerable value.
func (v value) elem(i int) value {
	switch v.k {
	case vArray:
		return v.arr[i]
	case vBytes:
		return num(int64(v.b[i]))
	}
	return v
}

// elems expands v into the values a pipeline would carry.
func (v value) elems() []value {
	switch v.k {
	case vArray:
		return v.arr
	case vBytes:
		out := make([]value, len(v.b))
		for i, c := range v.b {
			out[i] = num(int64(c))
		}
		return out
	case vNull:
		return nil
	}
	return []value{v}
}

// typeName is the .NET type name PowerShell shows for v.
func (v value) typeName() string {
	switch v.k {
	case vNull:
		return ""
	case vBool:
		return "System.Boolean"
	case vInt:
		return "System.Int32"
	case vFloat:
		return "System.Double"
	case vString:
		return "System.String"
	case vChar:
		return "System.Char"
	case vArray:
		return "System.Object[]"
	case vBytes:
		return "System.Byte[]"
	case vType:
		return "System.RuntimeType"
	case vScript:
		return "System.Management.Automation.ScriptBlock"
	case vHash:
		return "System.Collections.Hashtable"
	case vObject:
		return v.obj.class
	}
	return ""
}

// toString converts like PowerShell's string conversion: arrays are joined
// with spaces ($OFS), $null is empty. ok is false for unknown values.
func toString(v value) (string, bool) {
	switch v.k {
	case vUnknown:
		return "", false
	case vNull:
		return "", true
	case vBool:
		if v.n != 0 {
			return "True", true
		}
		return "False", true
	case vInt:
		return strconv.FormatInt(v.n, 10), true
	case vFloat:
		return formatFloat(v.f), true
	case vString:
		return v.s, true
	case vChar:
		return string(rune(v.n)), true
	case vArray:
		var b strings.Builder
		for i, e := range v.arr {
			if i > 0 {
				b.WriteByte(' ')
			}
			s, ok := toString(e)
			if !ok {
				return "", false
			}
			b.WriteString(s)
		}
		return b.String(), true
	case vBytes:
		var b strings.Builder
		for i, c := range v.b {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.Itoa(int(c)))
		}
		return b.String(), true
	case vType:
		return v.s, true
	case vScript:
		return v.s, true
	case vObject:
		switch v.obj.class {
		case "commandinfo", "variable", "fileinfo", "match", "aliasinfo":
			return v.obj.name, true
		case "enum":
			return v.obj.name, true
		}
		return "System." + v.obj.class, true
	case vHash:
		return "System.Collections.Hashtable", true
	}
	return "", false
}

func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'G', 15, 64)
	return strings.Replace(s, "E+", "E+", 1)
}

// toInt converts to an integer the way a PowerShell [int]/[long] cast does.
func toInt(v value) (int64, bool) {
	switch v.k {
	case vNull:
		return 0, true
	case vBool, vInt, vChar:
		return v.n, true
	case vFloat:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) || math.Abs(v.f) > 9e18 {
			return 0, false
		}
		return int64(math.RoundToEven(v.f)), true
	case vString:
		return parseIntString(v.s)
	case vArray:
		if len(v.arr) == 1 {
			return toInt(v.arr[0])
		}
	}
	return 0, false
}

// parseIntString parses the forms PowerShell accepts when converting a
// string to a number: decimal, 0x hex, surrounding blanks.
func parseIntString(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n int64
	var err error
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		var u uint64
		u, err = strconv.ParseUint(s[2:], 16, 64)
		n = int64(u)
	} else {
		n, err = strconv.ParseInt(s, 10, 64)
		if err != nil {
			if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && math.Abs(f) < 9e18 {
				n, err = int64(math.RoundToEven(f)), nil
			}
		}
	}
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func toFloat(v value) (float64, bool) {
	switch v.k {
	case vFloat:
		return v.f, true
	case vString:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
		if err != nil {
			n, ok := parseIntString(v.s)
			return float64(n), ok
		}
		return f, true
	}
	n, ok := toInt(v)
	return float64(n), ok
}

// toChar converts to a [char]: a number is a code point, a one-character
// string is that character.
func toChar(v value) (rune, bool) {
	switch v.k {
	case vChar:
		return rune(v.n), true
	case vInt, vFloat:
		n, ok := toInt(v)
		if !ok || n < 0 || n > 0xffff {
			return 0, false
		}
		return rune(n), true
	case vString:
		if r, w := utf8.DecodeRuneInString(v.s); w > 0 && w == len(v.s) {
			return r, true
		}
		if n, ok := parseIntString(v.s); ok && v.s != "" && n >= 0 && n <= 0xffff {
			// [char]"105" fails in PowerShell, but [char][int]"105" is the
			// common spelling and this is what it means
			return 0, false
		}
	case vArray:
		if len(v.arr) == 1 {
			return toChar(v.arr[0])
		}
	}
	return 0, false
}

// truthy reports PowerShell's boolean conversion; ok is false when unknown.
func truthy(v value) (bool, bool) {
	switch v.k {
	case vUnknown:
		return false, false
	case vNull:
		return false, true
	case vBool, vInt, vChar:
		return v.n != 0, true
	case vFloat:
		return v.f != 0, true
	case vString:
		return v.s != "", true
	case vArray:
		switch len(v.arr) {
		case 0:
			return false, true
		case 1:
			return truthy(v.arr[0])
		}
		return true, true
	case vBytes:
		return len(v.b) > 0, true
	}
	return true, true
}

// flatten joins pipeline output into one value: nothing is $null, one item
// is itself, more are an array.
func flatten(out []value) value {
	switch len(out) {
	case 0:
		return null
	case 1:
		return out[0]
	}
	var t tech
	for _, v := range out {
		t |= v.tech
	}
	return value{k: vArray, arr: out, tech: t}
}

// valueBytes is the byte content of a byte array or an array of numbers.
func valueBytes(v value) ([]byte, bool) {
	switch v.k {
	case vBytes:
		return v.b, true
	case vArray:
		out := make([]byte, len(v.arr))
		for i, e := range v.arr {
			n, ok := toInt(e)
			if !ok || n < 0 || n > 255 {
				return nil, false
			}
			out[i] = byte(n)
		}
		return out, true
	case vObject:
		if v.obj.class == "memorystream" {
			return v.obj.data, true
		}
	}
	return nil, false
}

// sizeOf estimates the memory a value holds, for the output budget.
func sizeOf(v value) int {
	switch v.k {
	case vString, vScript:
		return len(v.s)
	case vBytes:
		return len(v.b)
	case vArray:
		return len(v.arr) * 16
	}
	return 8
}
