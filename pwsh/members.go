package pwsh

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// memberNameOf evaluates the name of a member access: a plain name, or a
// string, variable or expression (."Down`loadString", .$m, .('Split')).
func (e *evaluator) memberNameOf(m *memberNode) value {
	if l, ok := m.name.(*literal); ok {
		return l.v
	}
	return e.eval(m.name)
}

// member evaluates x.Name, x.Name(args), [T]::Name and [T]::Name(args).
func (e *evaluator) member(m *memberNode, argNodes []node, call bool) value {
	nameVal := e.memberNameOf(m)
	name, ok := toString(nameVal)
	if !ok {
		return unknownOf(nameVal)
	}
	args := make([]value, len(argNodes))
	var argTech tech
	for i, a := range argNodes {
		args[i] = e.eval(a)
		argTech |= args[i].tech
	}
	recv := e.eval(m.x)
	var v value
	if m.static {
		typ := ""
		switch recv.k {
		case vType:
			typ = recv.s
		case vString:
			typ = recv.s
		default:
			return unknownOf(recv)
		}
		if call && strings.EqualFold(name, "reverse") && normType(typ) == "array" && len(argNodes) == 1 {
			return e.reverseInPlace(argNodes[0], args[0])
		}
		v = e.staticMember(normType(typ), strings.ToLower(name), args, call, m)
	} else {
		v = e.instanceMember(recv, name, args, call)
	}
	if v.known() && (v.k == vString || v.k == vChar || v.k == vArray || v.k == vBytes || v.k == vScript) {
		v.tech |= recv.tech&^techEnvSource | nameVal.tech | argTech&^techEnvSource
		if recv.tech&techEnvSource != 0 && (v.k == vString || v.k == vChar) && !strings.EqualFold(name, "tostring") {
			v.tech |= techEnvSource
		}
	} else if !v.known() {
		v.tech |= recv.tech | argTech
	}
	return e.limit(v)
}

func (e *evaluator) reverseInPlace(n node, v value) value {
	if !v.known() {
		return null
	}
	elems := append([]value{}, v.elems()...)
	for i, j := 0, len(elems)-1; i < j; i, j = i+1, j-1 {
		elems[i], elems[j] = elems[j], elems[i]
	}
	r := array(elems)
	r.tech = v.tech | techReverse
	e.assignTo(n, r)
	return null
}

// encodingByName maps .NET encoding names to what the evaluator supports.
func encodingByName(n string) string {
	switch strings.ToLower(strings.ReplaceAll(n, "-", "")) {
	case "utf8", "utf8encoding", "default", "65001":
		return "utf8"
	case "unicode", "utf16", "utf16le", "unicodeencoding", "1200":
		return "unicode"
	case "bigendianunicode", "utf16be", "1201":
		return "bigendianunicode"
	case "ascii", "asciiencoding", "usascii", "20127":
		return "ascii"
	case "utf32", "utf32encoding", "12000":
		return "utf32"
	case "latin1", "iso88591", "28591", "windows1252", "1252":
		return "latin1"
	}
	return ""
}

func encodingObj(name string) value {
	return objVal(&object{class: "encoding", enc: name})
}

// decodeBytes implements Encoding.GetString.
func decodeBytes(enc string, b []byte) (string, tech, bool) {
	switch enc {
	case "utf8":
		return strings.ToValidUTF8(string(b), "\ufffd"), 0, true
	case "ascii":
		var s strings.Builder
		for _, c := range b {
			if c > 127 {
				c = '?'
			}
			s.WriteByte(c)
		}
		return s.String(), 0, true
	case "latin1":
		var s strings.Builder
		for _, c := range b {
			s.WriteRune(rune(c))
		}
		return s.String(), 0, true
	case "unicode", "bigendianunicode":
		u := make([]uint16, len(b)/2)
		for i := range u {
			if enc == "unicode" {
				u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
			} else {
				u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
			}
		}
		return string(utf16.Decode(u)), techUTF16, true
	case "utf32":
		var s strings.Builder
		for i := 0; i+3 < len(b); i += 4 {
			r := rune(uint32(b[i]) | uint32(b[i+1])<<8 | uint32(b[i+2])<<16 | uint32(b[i+3])<<24)
			s.WriteRune(r)
		}
		return s.String(), 0, true
	}
	return "", 0, false
}

func encodeString(enc, s string) ([]byte, bool) {
	switch enc {
	case "utf8":
		return []byte(s), true
	case "ascii", "latin1":
		out := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 255 || enc == "ascii" && r > 127 {
				r = '?'
			}
			out = append(out, byte(r))
		}
		return out, true
	case "unicode", "bigendianunicode":
		u := utf16.Encode([]rune(s))
		out := make([]byte, 0, 2*len(u))
		for _, c := range u {
			if enc == "unicode" {
				out = append(out, byte(c), byte(c>>8))
			} else {
				out = append(out, byte(c>>8), byte(c))
			}
		}
		return out, true
	}
	return nil, false
}

// decodeBase64 is Convert.FromBase64String: padding optional in practice
// because obfuscators trim it, whitespace ignored.
func decodeBase64(s string) ([]byte, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	if b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err == nil {
		return b, true
	}
	if b, err := base64.URLEncoding.DecodeString(s); err == nil {
		return b, true
	}
	return nil, false
}

// inflate decompresses a raw Deflate or GZip stream, reading at most max
// bytes of output: a small input can expand to gigabytes.
func inflate(data []byte, gz bool, max int) ([]byte, bool) {
	var r io.Reader
	if gz {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, false
		}
		r = zr
	} else {
		r = flate.NewReader(bytes.NewReader(data))
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if len(out) > max {
		return nil, false
	}
	if err != nil && len(out) == 0 {
		return nil, false
	}
	return out, true
}

// staticMember evaluates [T]::Name and [T]::Name(args). t is normalized.
func (e *evaluator) staticMember(t, name string, args []value, call bool, m *memberNode) value {
	if !call {
		switch t {
		case "text.encoding":
			if enc := encodingByName(name); enc != "" {
				return encodingObj(enc)
			}
		case "string":
			if name == "empty" {
				return str("")
			}
		case "io.compression.compressionmode":
			return enumVal(name)
		case "environment":
			if name == "newline" {
				return str("\r\n")
			}
		case "environment+specialfolder", "environment.specialfolder":
			return enumVal(name)
		case "int", "int32", "long", "byte", "char", "short":
			return unknown
		}
		return objVal(&object{class: "method", name: name, target: &value{k: vType, s: t}})
	}
	if t == "reflection.assembly" && name == "load" && len(args) > 0 && !args[0].known() && args[0].tech&(techNetwork|techBase64|techDeflate|techGzip|techBxor) != 0 {
		e.addFact(fact{kind: factLoad, name: "Assembly.load", pos: m.pos, end: m.end})
	}
	for _, a := range args {
		if !a.known() {
			return unknownOf(args...)
		}
	}
	argStr := func(i int) (string, bool) {
		if i >= len(args) {
			return "", false
		}
		return toString(args[i])
	}
	switch t {
	case "convert":
		switch name {
		case "frombase64string":
			s, ok := argStr(0)
			if !ok {
				return unknown
			}
			b, ok := decodeBase64(s)
			if !ok {
				return unknown
			}
			return bytesVal(b).with(techBase64)
		case "frombase64chararray":
			s, ok := argStr(0)
			if !ok {
				return unknown
			}
			b, ok := decodeBase64(s)
			if !ok {
				return unknown
			}
			return bytesVal(b).with(techBase64)
		case "tobase64string":
			if len(args) == 0 {
				return unknown
			}
			b, ok := valueBytes(args[0])
			if !ok {
				return unknown
			}
			return str(base64.StdEncoding.EncodeToString(b))
		case "fromhexstring":
			s, ok := argStr(0)
			if !ok {
				return unknown
			}
			b, err := hex.DecodeString(s)
			if err != nil {
				return unknown
			}
			return bytesVal(b).with(techHex)
		case "tochar":
			if len(args) == 0 {
				return unknown
			}
			r, ok := toChar(args[0])
			if !ok {
				return unknown
			}
			return char(r).with(techCharCodes)
		case "toint32", "toint16", "toint64", "tobyte", "touint32", "touint16", "tosbyte", "touint64":
			if len(args) == 0 {
				return unknown
			}
			if len(args) == 2 {
				s, ok1 := toString(args[0])
				base, ok2 := toInt(args[1])
				if !ok1 || !ok2 || (base != 2 && base != 8 && base != 10 && base != 16) {
					return unknown
				}
				s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
				n, err := strconv.ParseInt(s, int(base), 64)
				if err != nil {
					return unknown
				}
				return num(n).with(techNumberBase)
			}
			n, ok := toInt(args[0])
			if !ok {
				return unknown
			}
			return num(n)
		case "tostring":
			if len(args) == 2 {
				n, ok1 := toInt(args[0])
				base, ok2 := toInt(args[1])
				if !ok1 || !ok2 || (base != 2 && base != 8 && base != 10 && base != 16) {
					return unknown
				}
				return str(strconv.FormatInt(n, int(base)))
			}
			if len(args) == 1 {
				s, ok := toString(args[0])
				if !ok {
					return unknown
				}
				return str(s)
			}
		}
	case "text.encoding":
		if name == "getencoding" {
			s, ok := argStr(0)
			if !ok {
				return unknown
			}
			if enc := encodingByName(s); enc != "" {
				return encodingObj(enc)
			}
		}
	case "string":
		switch name {
		case "join":
			if len(args) < 2 {
				return unknown
			}
			sep, ok := toString(args[0])
			if !ok {
				return unknown
			}
			var items value
			if len(args) == 2 {
				items = args[1]
			} else {
				items = array(args[1:])
			}
			return e.joinWith(items, sep)
		case "concat":
			var b strings.Builder
			for _, a := range args {
				for _, x := range a.elems() {
					s, ok := toString(x)
					if !ok {
						return unknown
					}
					b.WriteString(s)
				}
			}
			return str(b.String()).with(techConcat)
		case "format":
			if len(args) == 0 {
				return unknown
			}
			rest := args[1:]
			if len(rest) == 1 && rest[0].k == vArray {
				rest = rest[0].arr
			}
			return e.format(args[0], array(rest))
		case "new":
			if len(args) == 0 {
				return unknown
			}
			return e.joinWith(args[0], "").with(techCharCodes &^ techCharCodes)
		case "isnullorempty", "isnullorwhitespace":
			s, _ := argStr(0)
			return boolean(strings.TrimSpace(s) == "")
		}
	case "char":
		switch name {
		case "convertfromutf32":
			if len(args) == 0 {
				return unknown
			}
			n, ok := toInt(args[0])
			if !ok || n < 0 || n > utf8.MaxRune {
				return unknown
			}
			return str(string(rune(n))).with(techCharCodes)
		case "tostring":
			if len(args) == 0 {
				return unknown
			}
			r, ok := toChar(args[0])
			if !ok {
				return unknown
			}
			return str(string(r))
		}
	case "regex":
		return e.regexStatic(name, args)
	case "scriptblock", "management.automation.scriptblock":
		if name == "create" {
			s, ok := argStr(0)
			if !ok {
				return unknown
			}
			return e.scriptValue(s, techScriptBlock)
		}
	case "environment":
		switch name {
		case "getenvironmentvariable":
			s, ok := argStr(0)
			if !ok {
				return unknown
			}
			if v, ok := environment[strings.ToLower(s)]; ok {
				return str(v).with(techEnvSource)
			}
			return unknown
		case "getfolderpath":
			s, ok := argStr(0)
			if !ok {
				return unknown
			}
			if p, ok := specialFolders[strings.ToLower(s)]; ok {
				return str(p)
			}
			return unknown
		case "expandenvironmentvariables":
			s, ok := argStr(0)
			if !ok {
				return unknown
			}
			return str(expandPercentVars(s, nil))
		}
	case "io.path":
		switch name {
		case "gettemppath":
			return str(environment["temp"] + `\`)
		case "combine":
			var parts []string
			for _, a := range args {
				s, ok := toString(a)
				if !ok {
					return unknown
				}
				parts = append(parts, strings.Trim(s, `\`))
			}
			return str(strings.Join(parts, `\`))
		}
	case "io.file":
		switch name {
		case "writeallbytes", "writealltext", "writealllines", "appendalltext", "copy", "move":
			p, ok := argStr(0)
			if name == "copy" || name == "move" {
				p, ok = argStr(1)
			}
			if ok {
				e.addFact(fact{kind: factWrite, name: "File." + name, path: p, pos: m.pos, end: m.end})
				if len(args) > 1 && args[1].tech&techNetwork != 0 {
					e.downloads[normPath(p)] = true
				}
			}
			return null
		}
		return unknown
	case "reflection.assembly":
		switch name {
		case "load", "loadfile", "loadfrom", "unsafeloadfrom":
			// Load(bytes) runs code from memory; Load("Name, Version=...")
			// and LoadFile(path) are how scripts use installed libraries
			if name == "load" && len(args) > 0 && (args[0].k == vBytes || args[0].k == vArray) {
				e.addFact(fact{kind: factLoad, name: "Assembly." + name, pos: m.pos, end: m.end})
			}
			return objVal(&object{class: "assembly"})
		}
		return unknown
	case "runtime.interopservices.marshal":
		switch name {
		case "securestringtobstr", "securestringtoglobalallocunicode", "securestringtocotaskmemunicode":
			if len(args) == 1 && args[0].k == vObject && args[0].obj.class == "securestring" {
				return value{k: vObject, obj: &object{class: "bstr", name: args[0].obj.name}, tech: args[0].tech}
			}
		case "ptrtostringauto", "ptrtostringbstr", "ptrtostringuni":
			if len(args) == 1 && args[0].k == vObject && args[0].obj.class == "bstr" {
				return str(args[0].obj.name).with(args[0].tech)
			}
		}
		return unknown
	case "int", "long", "short", "byte", "uint":
		if name == "parse" {
			s, ok := argStr(0)
			if !ok {
				return unknown
			}
			base := 10
			if len(args) > 1 {
				if st, ok := toString(args[1]); ok && strings.Contains(strings.ToLower(st), "hex") {
					base = 16
				}
			}
			n, err := strconv.ParseInt(strings.TrimSpace(s), base, 64)
			if err != nil {
				return unknown
			}
			if base == 16 {
				return num(n).with(techNumberBase)
			}
			return num(n)
		}
	case "bitconverter":
		if name == "tostring" && len(args) >= 1 {
			b, ok := valueBytes(args[0])
			if !ok {
				return unknown
			}
			h := strings.ToUpper(hex.EncodeToString(b))
			var out []string
			for i := 0; i+1 < len(h); i += 2 {
				out = append(out, h[i:i+2])
			}
			return str(strings.Join(out, "-"))
		}
	case "activator":
		if name == "createinstance" && len(args) >= 1 {
			tn, ok := toString(args[0])
			if !ok {
				return unknown
			}
			return e.construct(tn, args[1:], m.pos, m.end)
		}
	case "diagnostics.process":
		if name == "start" && len(args) == 1 && args[0].k == vObject && args[0].obj.class == "processstartinfo" {
			e.startInfo(args[0].obj, m.pos, m.end)
			return objVal(&object{class: "process"})
		}
		if name == "start" && len(args) >= 1 {
			p, ok := toString(args[0])
			if ok {
				if isLauncher(canonicalCommand(p)) && len(args) > 1 {
					a, _ := toString(args[1])
					e.launchLine(quoteArg(p)+" "+a, "Process.Start", m.pos, m.end, nil)
				} else {
					e.runPath(p, "Process.Start", m.pos, m.end)
				}
			}
			return objVal(&object{class: "process"})
		}
	case "net.webclient", "io.memorystream", "io.streamreader", "io.compression.deflatestream",
		"io.compression.gzipstream", "text.utf8encoding", "text.asciiencoding", "text.unicodeencoding",
		"net.http.httpclient", "io.binaryreader":
		if name == "new" {
			return e.construct(t, args, m.pos, m.end)
		}
	case "net.servicepointmanager", "console", "math", "threading.thread", "gc":
		return null
	}
	if name == "new" {
		return e.construct(t, args, m.pos, m.end)
	}
	return unknown
}

func (e *evaluator) regexStatic(name string, args []value) value {
	str0 := func(i int) (string, bool) {
		if i >= len(args) {
			return "", false
		}
		return toString(args[i])
	}
	input, ok1 := str0(0)
	pattern, ok2 := str0(1)
	if !ok1 || !ok2 {
		if name == "escape" || name == "unescape" {
			if ok1 {
				if name == "escape" {
					return str(regexpQuote(input))
				}
				return str(strings.ReplaceAll(input, `\`, ""))
			}
		}
		return unknown
	}
	opts := ""
	optArg := 2
	if name == "replace" {
		optArg = 3
	}
	if s, ok := str0(optArg); ok {
		opts = strings.ToLower(s)
	}
	if v := optArgInt(args, optArg); v >= 0 {
		// RegexOptions as a number: 64 is RightToLeft, 1 IgnoreCase
		if v&64 != 0 {
			opts += "righttoleft"
		}
		if v&1 != 0 {
			opts += "ignorecase"
		}
	}
	re, ok := compileDotNetRegex(pattern, strings.Contains(opts, "ignorecase"))
	if !ok {
		return unknown
	}
	rtl := strings.Contains(opts, "righttoleft")
	switch name {
	case "matches":
		locs := re.FindAllStringIndex(input, -1)
		if len(locs) > e.lim.maxBytes/16 {
			return unknown
		}
		out := make([]value, 0, len(locs))
		for _, l := range locs {
			out = append(out, matchVal(input[l[0]:l[1]], l[0]))
		}
		if rtl {
			for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
				out[i], out[j] = out[j], out[i]
			}
			return array(out).with(techReverse)
		}
		return array(out)
	case "match":
		l := re.FindStringIndex(input)
		if l == nil {
			return objVal(&object{class: "match", name: ""})
		}
		return matchVal(input[l[0]:l[1]], l[0])
	case "replace":
		repl, ok := str0(2)
		if !ok {
			return unknown
		}
		return str(re.ReplaceAllString(input, repl)).with(techReplace)
	case "split":
		var out []value
		for _, p := range re.Split(input, -1) {
			out = append(out, str(p))
		}
		return array(out).with(techSplit)
	case "ismatch":
		return boolean(re.MatchString(input))
	}
	return unknown
}

func optArgInt(args []value, i int) int64 {
	if i < len(args) && args[i].k == vInt {
		return args[i].n
	}
	return -1
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\*+?|{[()^$.# `, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func matchVal(s string, idx int) value {
	return objVal(&object{class: "match", name: s, props: map[string]value{"value": str(s), "index": num(int64(idx)), "length": num(int64(len(s)))}})
}

// construct models New-Object and [T]::new for the types decoders use.
func (e *evaluator) construct(typ string, args []value, pos, end int) value {
	t := normType(typ)
	switch t {
	case "net.webclient":
		return objVal(&object{class: "webclient"})
	case "net.http.httpclient":
		return objVal(&object{class: "httpclient"})
	case "io.memorystream":
		o := &object{class: "memorystream"}
		if len(args) > 0 {
			b, ok := valueBytes(args[0])
			if !ok {
				return unknownOf(args...)
			}
			o.data = b
			o.dataTech = args[0].tech
		}
		return value{k: vObject, obj: o, tech: techOf(args)}
	case "io.compression.deflatestream", "io.compression.gzipstream":
		if len(args) < 1 || args[0].k != vObject {
			return unknownOf(args...)
		}
		mode := "decompress"
		if len(args) > 1 {
			if s, ok := toString(args[1]); ok && strings.EqualFold(s, "compress") {
				mode = "compress"
			}
		}
		class := "deflatestream"
		if strings.HasSuffix(t, "gzipstream") {
			class = "gzipstream"
		}
		return value{k: vObject, obj: &object{class: class, inner: args[0].obj, mode: mode}, tech: techOf(args)}
	case "io.streamreader", "io.binaryreader":
		if len(args) < 1 || args[0].k != vObject {
			return unknownOf(args...)
		}
		enc := "utf8"
		if len(args) > 1 && args[1].k == vObject && args[1].obj.class == "encoding" {
			enc = args[1].obj.enc
		}
		return value{k: vObject, obj: &object{class: "streamreader", inner: args[0].obj, enc: enc}, tech: techOf(args)}
	case "text.utf8encoding":
		return encodingObj("utf8")
	case "text.asciiencoding":
		return encodingObj("ascii")
	case "text.unicodeencoding":
		return encodingObj("unicode")
	case "string":
		if len(args) == 0 {
			return str("")
		}
		if len(args) == 2 {
			r, ok1 := toChar(args[0])
			n, ok2 := toInt(args[1])
			if ok1 && ok2 && n >= 0 && int(n) <= e.lim.maxBytes {
				return str(strings.Repeat(string(r), int(n)))
			}
			return unknown
		}
		return e.joinWith(args[0], "")
	case "collections.arraylist", "arraylist", "collections.generic.list[object]", "collections.generic.list[string]", "collections.generic.list[byte]":
		return array(nil)
	case "diagnostics.processstartinfo":
		o := &object{class: "processstartinfo", props: map[string]value{}}
		if len(args) > 0 {
			o.props["filename"] = args[0]
		}
		if len(args) > 1 {
			o.props["arguments"] = args[1]
		}
		return objVal(o)
	case "security.cryptography.aesmanaged", "security.cryptography.aescryptoserviceprovider",
		"security.cryptography.rijndaelmanaged", "net.sockets.tcpclient", "net.sockets.tcplistener",
		"io.filestream", "diagnostics.process":
		return objVal(&object{class: strings.TrimPrefix(t, "diagnostics."), props: map[string]value{}})
	}
	return unknown
}

func techOf(vs []value) tech {
	var t tech
	for _, v := range vs {
		t |= v.tech
	}
	return t
}

// newCOM models the COM objects download cradles and launchers use.
func (e *evaluator) newCOM(progID string) value {
	switch strings.ToLower(progID) {
	case "msxml2.xmlhttp", "msxml2.serverxmlhttp", "microsoft.xmlhttp", "msxml2.xmlhttp.6.0", "msxml2.serverxmlhttp.6.0", "winhttp.winhttprequest.5.1":
		return objVal(&object{class: "xmlhttp", props: map[string]value{}})
	case "wscript.shell":
		return objVal(&object{class: "wshell"})
	case "schedule.service":
		e.addFact(fact{kind: factCommand, name: "schedule.service"})
		return objVal(&object{class: "taskservice"})
	case "shell.application":
		return objVal(&object{class: "shellapp"})
	case "internetexplorer.application":
		return objVal(&object{class: "ie", props: map[string]value{}})
	}
	return unknown
}

// readStream returns the content of a stream object, inflating through
// DeflateStream and GZipStream.
func (e *evaluator) readStream(o *object) ([]byte, tech, bool) {
	for depth := 0; o != nil && depth < 8; depth++ {
		switch o.class {
		case "memorystream":
			return o.data, o.dataTech, true
		case "deflatestream", "gzipstream":
			if o.mode != "decompress" {
				return nil, 0, false
			}
			in, t, ok := e.readStream(o.inner)
			if !ok {
				return nil, 0, false
			}
			out, ok := inflate(in, o.class == "gzipstream", e.lim.maxBytes)
			if !ok {
				return nil, 0, false
			}
			if o.class == "gzipstream" {
				return out, t | techGzip, true
			}
			return out, t | techDeflate, true
		case "streamreader":
			o = o.inner
			continue
		}
		return nil, 0, false
	}
	return nil, 0, false
}

// instanceMember evaluates a property or method of a value.
func (e *evaluator) instanceMember(recv value, name string, args []value, call bool) value {
	lname := strings.ToLower(name)
	if !recv.known() {
		if lname == "downloadstring" || lname == "downloaddata" || lname == "downloadfile" {
			// a web client we could not model, still a download
			e.webClientCall(lname, args)
			return value{k: vUnknown, tech: techNetwork}
		}
		return unknownOf(recv)
	}
	if call && !acceptsUnknownArgs[lname] {
		for _, a := range args {
			if !a.known() {
				return unknownOf(args...)
			}
		}
	}
	if lname == "invoke" && call && recv.k == vObject && recv.obj.class == "method" {
		return e.callMethodObject(recv.obj, args)
	}
	switch recv.k {
	case vString:
		return e.stringMember(recv.s, lname, args, call)
	case vChar:
		if lname == "tostring" {
			return str(string(rune(recv.n)))
		}
		return e.stringMember(string(rune(recv.n)), lname, args, call)
	case vArray, vBytes:
		return e.arrayMember(recv, lname, args, call)
	case vScript:
		switch lname {
		case "invoke", "invokereturnasis":
			return flatten(e.callScript(recv, args, 0, 0))
		case "tostring":
			return str(recv.s)
		}
		return unknown
	case vHash:
		switch lname {
		case "keys":
			var out []value
			for _, k := range recv.h.keys {
				out = append(out, str(k))
			}
			return array(out)
		case "count":
			return num(int64(len(recv.h.keys)))
		}
		if v, ok := recv.h.get(name); ok {
			return v
		}
		return null
	case vObject:
		return e.objectMember(recv.obj, lname, args, call)
	case vInt:
		if lname == "tostring" {
			if len(args) == 1 {
				f, ok := toString(args[0])
				if ok {
					s, ok := formatItem(recv, f)
					if ok {
						return str(s)
					}
				}
				return unknown
			}
			s, _ := toString(recv)
			return str(s)
		}
	case vType:
		switch lname {
		case "name", "fullname", "tostring":
			return str(recv.s)
		}
		if call {
			return e.staticMember(normType(recv.s), lname, args, true, &memberNode{})
		}
		return e.staticMember(normType(recv.s), lname, args, false, &memberNode{})
	}
	if lname == "tostring" && !call || lname == "tostring" {
		s, ok := toString(recv)
		if ok {
			return str(s)
		}
	}
	return unknown
}

// acceptsUnknownArgs are methods whose effect matters even when their
// arguments are unknown: a download from an unknown URL is still a download.
var acceptsUnknownArgs = map[string]bool{
	"downloadstring": true, "downloaddata": true, "downloadfile": true, "openread": true,
	"getstringasync": true, "getbytearrayasync": true, "getasync": true, "getstreamasync": true,
	"downloadstringtaskasync": true, "downloadfiletaskasync": true, "invoke": true, "run": true,
	"exec": true, "shellexecute": true, "invokescript": true, "open": true, "navigate": true, "navigate2": true,
}

// callMethodObject invokes a method obtained without calling it, as in
// [string]::Join.Invoke(...) or 'x'.('Replace').Invoke(...).
func (e *evaluator) callMethodObject(o *object, args []value) value {
	if o.target == nil {
		return unknown
	}
	if o.target.k == vType {
		return e.staticMember(normType(o.target.s), strings.ToLower(o.name), args, true, &memberNode{})
	}
	return e.instanceMember(*o.target, o.name, args, true)
}

func (e *evaluator) stringMember(s, name string, args []value, call bool) value {
	argStr := func(i int) (string, bool) {
		if i >= len(args) {
			return "", false
		}
		return toString(args[i])
	}
	argInt := func(i int) (int, bool) {
		if i >= len(args) {
			return 0, false
		}
		n, ok := toInt(args[i])
		return int(n), ok
	}
	if !call {
		switch name {
		case "length":
			return num(int64(len(utf16.Encode([]rune(s)))))
		case "count":
			return num(1)
		}
		return objVal(&object{class: "method", name: name, target: &value{k: vString, s: s}})
	}
	switch name {
	case "replace":
		a, ok1 := argStr(0)
		b, ok2 := argStr(1)
		if !ok1 || !ok2 || a == "" {
			return unknown
		}
		out := strings.ReplaceAll(s, a, b)
		if len(out) > e.lim.maxBytes {
			return unknown
		}
		return str(out).with(techReplace)
	case "split":
		if len(args) == 0 {
			return array(splitWhitespace(s)).with(techSplit)
		}
		var seps []string
		for _, a := range args[:1] {
			switch a.k {
			case vChar:
				seps = append(seps, string(rune(a.n)))
			case vString:
				// String.Split(string) in PowerShell binds to Split(char[]):
				// every character is a separator
				for _, r := range a.s {
					seps = append(seps, string(r))
				}
			case vArray:
				for _, x := range a.arr {
					if xs, ok := toString(x); ok {
						if x.k == vString && len(args) > 1 {
							seps = append(seps, xs)
						} else {
							for _, r := range xs {
								seps = append(seps, string(r))
							}
						}
					}
				}
			}
		}
		removeEmpty := false
		if len(args) > 1 {
			if o, ok := toString(args[len(args)-1]); ok && strings.Contains(strings.ToLower(o), "removeempty") {
				removeEmpty = true
			}
			if args[len(args)-1].k == vInt && args[len(args)-1].n == 1 {
				removeEmpty = true
			}
		}
		parts := splitMulti(s, seps)
		out := make([]value, 0, len(parts))
		for _, p := range parts {
			if removeEmpty && p == "" {
				continue
			}
			out = append(out, str(p))
		}
		return array(out).with(techSplit)
	case "substring":
		start, ok := argInt(0)
		r := []rune(s)
		if !ok || start < 0 || start > len(r) {
			return unknown
		}
		if len(args) > 1 {
			n, ok := argInt(1)
			if !ok || n < 0 || start+n > len(r) {
				return unknown
			}
			return str(string(r[start : start+n]))
		}
		return str(string(r[start:]))
	case "tolower", "tolowerinvariant":
		return str(strings.ToLower(s))
	case "toupper", "toupperinvariant":
		return str(strings.ToUpper(s))
	case "trim", "trimstart", "trimend":
		cut := " \t\r\n"
		if len(args) > 0 {
			var b strings.Builder
			for _, a := range args {
				for _, x := range a.elems() {
					if xs, ok := toString(x); ok {
						b.WriteString(xs)
					}
				}
			}
			cut = b.String()
		}
		switch name {
		case "trimstart":
			return str(strings.TrimLeft(s, cut))
		case "trimend":
			return str(strings.TrimRight(s, cut))
		}
		return str(strings.Trim(s, cut))
	case "insert":
		i, ok1 := argInt(0)
		a, ok2 := argStr(1)
		r := []rune(s)
		if !ok1 || !ok2 || i < 0 || i > len(r) {
			return unknown
		}
		return str(string(r[:i]) + a + string(r[i:]))
	case "remove":
		i, ok := argInt(0)
		r := []rune(s)
		if !ok || i < 0 || i > len(r) {
			return unknown
		}
		if len(args) > 1 {
			n, ok := argInt(1)
			if !ok || n < 0 || i+n > len(r) {
				return unknown
			}
			return str(string(r[:i]) + string(r[i+n:]))
		}
		return str(string(r[:i]))
	case "padleft", "padright":
		n, ok := argInt(0)
		if !ok || n > e.lim.maxBytes {
			return unknown
		}
		pad := " "
		if p, ok := argStr(1); ok && p != "" {
			pad = p
		}
		for len([]rune(s)) < n {
			if name == "padleft" {
				s = pad + s
			} else {
				s += pad
			}
		}
		return str(s)
	case "tochararray", "getenumerator":
		out := make([]value, 0, len(s))
		for _, r := range s {
			out = append(out, char(r))
		}
		return array(out)
	case "tostring", "normalize", "clone", "trimnull":
		return str(s)
	case "chars":
		i, ok := argInt(0)
		r := []rune(s)
		if !ok || i < 0 || i >= len(r) {
			return unknown
		}
		return char(r[i])
	case "contains":
		a, ok := argStr(0)
		if !ok {
			return unknown
		}
		return boolean(strings.Contains(s, a))
	case "startswith":
		a, ok := argStr(0)
		if !ok {
			return unknown
		}
		return boolean(strings.HasPrefix(s, a))
	case "endswith":
		a, ok := argStr(0)
		if !ok {
			return unknown
		}
		return boolean(strings.HasSuffix(s, a))
	case "indexof", "lastindexof":
		a, ok := argStr(0)
		if !ok {
			return unknown
		}
		if name == "indexof" {
			return num(int64(strings.Index(s, a)))
		}
		return num(int64(strings.LastIndex(s, a)))
	case "equals":
		a, ok := argStr(0)
		if !ok {
			return unknown
		}
		return boolean(s == a)
	case "invoke":
		return unknown
	}
	return unknown
}

func splitWhitespace(s string) []value {
	var out []value
	for _, f := range strings.Fields(s) {
		out = append(out, str(f))
	}
	return out
}

// splitMulti splits s at any of the separators, like String.Split.
func splitMulti(s string, seps []string) []string {
	if len(seps) == 0 {
		return strings.Fields(s)
	}
	var out []string
	start := 0
	for i := 0; i < len(s); {
		matched := 0
		for _, sep := range seps {
			if sep != "" && strings.HasPrefix(s[i:], sep) {
				matched = len(sep)
				break
			}
		}
		if matched > 0 {
			out = append(out, s[start:i])
			i += matched
			start = i
			continue
		}
		_, w := decodeRune(s[i:])
		i += w
	}
	return append(out, s[start:])
}

func (e *evaluator) arrayMember(recv value, name string, args []value, call bool) value {
	n := recv.length()
	if !call {
		switch name {
		case "count", "length":
			return num(int64(n))
		}
		// member enumeration: the property of every element
		out := make([]value, 0, n)
		for i := 0; i < n && i < maxIterations; i++ {
			v := e.instanceMember(recv.elem(i), name, nil, false)
			if !v.known() {
				return unknown
			}
			out = append(out, v)
		}
		return array(out)
	}
	switch name {
	case "getvalue":
		if len(args) == 1 {
			return e.index(recv, args[0])
		}
	case "clone", "toarray":
		return recv
	case "contains":
		if len(args) == 1 {
			return compare("-contains", recv, args[0])
		}
	case "indexof":
		if len(args) == 1 {
			for i := 0; i < n; i++ {
				if b, ok := equal(recv.elem(i), args[0], false); ok && b {
					return num(int64(i))
				}
			}
			return num(-1)
		}
	case "foreach", "where":
		if len(args) == 1 && args[0].k == vScript && args[0].obj != nil && args[0].obj.block != nil {
			var out []value
			for i := 0; i < n && i < maxIterations; i++ {
				x := recv.elem(i)
				r := e.callBlock(args[0].obj.block.body, nil, nil, &x)
				if name == "foreach" {
					out = append(out, r...)
					continue
				}
				b, ok := truthy(flatten(r))
				if !ok {
					return unknown
				}
				if b {
					out = append(out, x)
				}
			}
			return array(out)
		}
	case "tostring":
		return str(recv.typeName())
	case "add":
		return unknown
	}
	return unknown
}

func (e *evaluator) objectMember(o *object, name string, args []value, call bool) value {
	argStr := func(i int) (string, bool) {
		if i >= len(args) {
			return "", false
		}
		return toString(args[i])
	}
	switch o.class {
	case "encoding":
		switch name {
		case "getstring":
			if len(args) == 0 {
				return unknown
			}
			b, ok := valueBytes(args[0])
			if !ok {
				return unknown
			}
			if len(args) == 3 {
				i, ok1 := toInt(args[1])
				n, ok2 := toInt(args[2])
				if !ok1 || !ok2 || i < 0 || n < 0 || i+n > int64(len(b)) {
					return unknown
				}
				b = b[i : i+n]
			}
			s, t, ok := decodeBytes(o.enc, b)
			if !ok {
				return unknown
			}
			e.decoded(s, t|args[0].tech)
			return str(s).with(t)
		case "getbytes":
			s, ok := argStr(0)
			if !ok {
				return unknown
			}
			b, ok := encodeString(o.enc, s)
			if !ok {
				return unknown
			}
			return bytesVal(b)
		case "getchars":
			if len(args) == 0 {
				return unknown
			}
			b, ok := valueBytes(args[0])
			if !ok {
				return unknown
			}
			s, t, ok := decodeBytes(o.enc, b)
			if !ok {
				return unknown
			}
			var out []value
			for _, r := range s {
				out = append(out, char(r))
			}
			return array(out).with(t)
		}
	case "memorystream":
		switch name {
		case "toarray", "getbuffer":
			return bytesVal(o.data)
		case "length":
			return num(int64(len(o.data)))
		}
	case "deflatestream", "gzipstream":
		if name == "copyto" && len(args) == 1 && args[0].k == vObject && args[0].obj.class == "memorystream" {
			data, _, ok := e.readStream(o)
			if ok {
				args[0].obj.data = append(args[0].obj.data, data...)
			}
			return null
		}
	case "streamreader":
		if name == "readtoend" {
			data, t, ok := e.readStream(o.inner)
			if !ok {
				return unknown
			}
			s, et, ok := decodeBytes(o.enc, data)
			if !ok {
				return unknown
			}
			e.decoded(s, t|et)
			return str(s).with(t | et)
		}
	case "webclient", "httpclient":
		switch name {
		case "downloadstring", "downloaddata", "downloadfile", "openread", "getstringasync",
			"getbytearrayasync", "getasync", "getstreamasync", "downloadstringtaskasync", "downloadfiletaskasync":
			e.webClientCall(name, args)
			return value{k: vUnknown, tech: techNetwork}
		case "headers", "proxy", "credentials", "encoding":
			return objVal(&object{class: "misc"})
		}
		return unknown
	case "xmlhttp", "ie":
		switch name {
		case "open", "navigate", "navigate2":
			i := 1
			if name != "open" {
				i = 0
			}
			if u, ok := argStr(i); ok {
				e.addFact(fact{kind: factDownload, name: "XMLHTTP", url: u})
			}
			return null
		case "responsetext", "responsebody", "response", "document":
			return value{k: vUnknown, tech: techNetwork}
		}
		return null
	case "wshell":
		switch name {
		case "run", "exec":
			s, ok := argStr(0)
			if ok {
				e.launchLine(s, "WScript.Shell."+name, 0, 0, nil)
			}
			return unknown
		case "regwrite":
			return null
		}
		return unknown
	case "process":
		if name == "start" {
			if si, ok := o.props["startinfo"]; ok && si.k == vObject && si.obj.class == "processstartinfo" {
				e.startInfo(si.obj, 0, 0)
			}
			return boolean(true)
		}
		if v, ok := o.props[name]; ok {
			return v
		}
		if name == "startinfo" {
			si := &object{class: "processstartinfo", props: map[string]value{}}
			o.props["startinfo"] = objVal(si)
			return objVal(si)
		}
		return unknown
	case "processstartinfo":
		if v, ok := o.props[name]; ok {
			return v
		}
		return unknown
	case "shellapp":
		if name == "shellexecute" {
			f, ok := argStr(0)
			if ok {
				a, _ := argStr(1)
				if isLauncher(canonicalCommand(f)) {
					e.launchLine(quoteArg(f)+" "+a, "Shell.Application.ShellExecute", 0, 0, nil)
				} else {
					e.runPath(f, "ShellExecute", 0, 0)
				}
			}
		}
		return unknown
	case "variable":
		switch name {
		case "value":
			if o.target != nil {
				return *o.target
			}
		case "name":
			return str(o.name).with(techEnvSource)
		}
	case "commandinfo", "aliasinfo", "fileinfo":
		switch name {
		case "name":
			if o.class == "fileinfo" {
				return str(o.name)
			}
			return str(o.name)
		case "definition", "resolvedcommandname", "fullname":
			if v, ok := o.props[name]; ok {
				return v
			}
			return str(o.name)
		case "source", "modulename":
			return str("")
		}
	case "match":
		if v, ok := o.props[name]; ok {
			return v
		}
		if name == "tostring" {
			return str(o.name)
		}
	case "executioncontext":
		switch name {
		case "invokecommand":
			return objVal(&object{class: "invokecommand"})
		case "sessionstate":
			return objVal(&object{class: "sessionstate"})
		}
	case "sessionstate":
		if name == "invokecommand" {
			return objVal(&object{class: "invokecommand"})
		}
	case "invokecommand":
		switch name {
		case "invokescript":
			if len(args) > 0 {
				e.execText(args[len(args)-1], 0, "InvokeCommand.InvokeScript", 0, 0)
			}
			return unknown
		case "newscriptblock":
			s, ok := argStr(0)
			if !ok {
				return unknown
			}
			return e.scriptValue(s, techScriptBlock)
		case "getcmdlet", "getcommand", "getcommandname":
			p, ok := argStr(0)
			if !ok {
				return unknown
			}
			names := matchCommands(p)
			if len(names) == 0 {
				return unknown
			}
			t := tech(0)
			if strings.ContainsAny(p, "*?[") {
				t = techWildcard
			}
			if name == "getcommandname" {
				return str(names[0]).with(t)
			}
			return value{k: vObject, obj: &object{class: "commandinfo", name: names[0]}, tech: t}
		case "expandstring":
			return unknown
		}
	case "enum":
		if name == "tostring" || name == "value__" {
			return str(o.name)
		}
	case "regex":
		switch name {
		case "matches", "match", "replace", "split", "ismatch":
			a := append([]value{args[0], str(o.name)}, args[1:]...)
			if len(args) == 0 {
				return unknown
			}
			return e.regexStatic(name, a)
		}
	case "securestring":
		return unknown
	case "method":
		if name == "invoke" {
			return e.callMethodObject(o, args)
		}
	}
	if name == "tostring" {
		s, _ := toString(objVal(o))
		return str(s)
	}
	return unknown
}

func (e *evaluator) webClientCall(name string, args []value) {
	u := ""
	if len(args) > 0 {
		u, _ = toString(args[0])
	}
	dest := ""
	if name == "downloadfile" || name == "downloadfiletaskasync" {
		if len(args) > 1 {
			dest, _ = toString(args[1])
		}
	}
	e.download(u, dest, "WebClient."+name, 0, 0)
}

// decryptSecureString decrypts the output of ConvertFrom-SecureString -Key:
// the "76492d1116743f0423413b16050a5345" marker, then base64 of
// UTF-16 "2|<base64 IV>|<hex AES-CBC ciphertext of UTF-16 text>".
func decryptSecureString(s string, key []byte) (string, bool) {
	raw, ok := decodeBase64(strings.TrimPrefix(strings.TrimSpace(s), "76492d1116743f0423413b16050a5345"))
	if !ok {
		return "", false
	}
	inner, _, ok := decodeBytes("unicode", raw)
	if !ok {
		return "", false
	}
	parts := strings.Split(inner, "|")
	if len(parts) != 3 {
		return "", false
	}
	iv, ok := decodeBase64(parts[1])
	if !ok || len(iv) != aes.BlockSize {
		return "", false
	}
	ct, err := hex.DecodeString(parts[2])
	if err != nil || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return "", false
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", false
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)
	if n := int(pt[len(pt)-1]); n > 0 && n <= aes.BlockSize && n <= len(pt) {
		pt = pt[:len(pt)-n]
	}
	out, _, ok := decodeBytes("unicode", pt)
	return out, ok
}

// startInfo launches what a ProcessStartInfo describes.
func (e *evaluator) startInfo(o *object, pos, end int) {
	file, ok := toString(o.props["filename"])
	if !ok || file == "" {
		e.addFact(fact{kind: factExecUnknown, name: "Process.Start", pos: pos, end: end})
		return
	}
	args, _ := toString(o.props["arguments"])
	if ws, ok := toString(o.props["windowstyle"]); ok && strings.HasPrefix(strings.ToLower(ws), "h") {
		e.addFact(fact{kind: factCommand, name: "hidden-window", pos: pos, end: end})
	}
	if isLauncher(programName(file)) {
		e.launchLine(quoteArg(file)+" "+args, "Process.Start", pos, end, nil)
		return
	}
	e.runPath(file, "Process.Start", pos, end)
}

// decoded records text the script decoded (base64, compression, XOR) as a
// layer of its own, even when it is not visibly run: it may be written to
// a file and run later, or passed on in a way the evaluator cannot follow.
func (e *evaluator) decoded(s string, t tech) {
	if t&(techBase64|techDeflate|techGzip|techBxor|techHex|techSecureString) == 0 || len(s) < 24 || !mostlyText(s) {
		return
	}
	e.addSink(sinkDecoded, s, t, "decoded data", 0, 0)
}

// mostlyText reports text that is at least 90% printable characters.
func mostlyText(s string) bool {
	bad, n := 0, 0
	for _, r := range s {
		n++
		if r == utf8.RuneError || r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			bad++
		}
	}
	return n > 0 && bad*10 <= n
}
