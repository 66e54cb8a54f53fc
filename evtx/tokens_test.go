package evtx_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unicode/utf16"

	"github.com/wuguard/wuguard/evtx"
)

// binxmlBuilder writes binary XML for a record placed where chunkWithRecord
// puts it (chunk offset 536), with every name stored inline at first use.
type binxmlBuilder struct {
	b []byte
}

const recordBinXMLOffset = 512 + 24

func (w *binxmlBuilder) pos() uint32 { return uint32(recordBinXMLOffset + len(w.b)) }

func (w *binxmlBuilder) u8(v ...byte) { w.b = append(w.b, v...) }
func (w *binxmlBuilder) u16(v uint16) { w.b = binary.LittleEndian.AppendUint16(w.b, v) }
func (w *binxmlBuilder) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *binxmlBuilder) utf16(s string) {
	for _, u := range utf16.Encode([]rune(s)) {
		w.u16(u)
	}
}

// name writes a name reference followed by the name itself.
func (w *binxmlBuilder) name(s string) {
	w.u32(w.pos() + 4)
	w.u32(0) // link to the next name
	w.u16(0) // hash: not checked
	w.u16(uint16(len(utf16.Encode([]rune(s)))))
	w.utf16(s)
	w.u16(0)
}

func (w *binxmlBuilder) text(tok byte, s string) {
	w.u8(tok)
	if tok&^0x40 == 0x05 {
		w.u8(0x01) // string value
	}
	w.u16(uint16(len(utf16.Encode([]rune(s)))))
	w.utf16(s)
}

// TestTokens renders a record without a template that uses the tokens the
// corpus lacks: CDATA, character and entity references, a processing
// instruction, value text in an attribute and an empty child element.
func TestTokens(t *testing.T) {
	var w binxmlBuilder
	w.u8(0x0f, 1, 1, 0) // fragment header
	w.u8(0x41)          // element start with attributes
	w.u32(0)            // element size, not needed
	w.name("Event")
	w.u32(0)   // attribute list size, not needed
	w.u8(0x06) // last attribute
	w.name("a")
	w.text(0x05, `v<"`) // value text
	w.u8(0x02)          // close start
	w.text(0x47, "x<y") // CDATA
	w.u8(0x48)          // character reference
	w.u16(0x263a)       // ☺
	w.u8(0x49)          // entity reference
	w.name("amp")
	w.u8(0x0a) // PI target
	w.name("pi")
	w.text(0x0b, "data") // PI data
	w.u8(0x01)           // element start
	w.u32(0)
	w.name("Child")
	w.u8(0x03) // close empty
	w.u8(0x04) // end element
	w.u8(0x00) // end of stream

	data := fileWithChunk(chunkWithRecord(w.b))
	f, err := evtx.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r, err := range f.Records() {
		if err != nil {
			t.Fatal(err)
		}
		n++
		xml, err := r.AppendXML(nil)
		if err != nil {
			t.Fatal(err)
		}
		wantXML := "<Event a=\"v&lt;&quot;\">\n" +
			"  <![CDATA[x<y]]>&#9786;&amp;\n" +
			"  <?pi data?>\n" +
			"  <Child/>\n" +
			"</Event>\n"
		if string(xml) != wantXML {
			t.Errorf("XML:\n%s\nwant:\n%s", xml, wantXML)
		}
		js, err := r.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		// JSON resolves the references and leaves processing instructions out.
		wantJSON := `{"Event":{"#attributes":{"a":"v<\""},"#text":"x<y☺&","Child":null}}`
		if string(js) != wantJSON {
			t.Errorf("JSON:\n%s\nwant:\n%s", js, wantJSON)
		}
	}
	if n != 1 {
		t.Fatalf("%d records", n)
	}
}
