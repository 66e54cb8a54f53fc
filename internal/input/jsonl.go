package input

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
)

// Limits on JSON input; beyond them a value is reported as damage and
// skipped.
const (
	maxJSONValue  = 16 << 20 // bytes in one top-level value
	maxJSONDepth  = 64       // nesting of objects and arrays
	maxJSONFields = 1 << 16  // payload fields of one event
)

// readJSONL reads Windows events as JSON: one object per line as
// `evtx_dump -o jsonl` (omerbenamram/evtx) prints them, pretty-printed
// objects as `evtx_dump -o json` prints them (with its "Record N" lines), a
// JSON array of such objects, the variants without "#attributes"
// (Velociraptor, golang-evtx) and flat objects keyed by the System names
// wuguard uses (EventID, Channel, Provider_Name, …). docs/inputs.md lists
// the shapes. A malformed value is reported with its byte offset and line
// and skipped.
func readJSONL(ctx context.Context, f File, fn Handler, damage func(Damage)) error {
	fh, err := os.Open(f.Path)
	if err != nil {
		damage(Damage{File: f.Path, Chunk: -1, Offset: -1, Reason: describe(err)})
		return nil
	}
	defer fh.Close()
	return scanJSON(ctx, f.Path, fh, fn, damage)
}

// jsonScanner frames top-level JSON values and turns them into events.
type jsonScanner struct {
	r      *bufio.Reader
	name   string
	damage func(Damage)
	pos    int64 // offset of the next byte
	line   int   // line of the next byte, 1-based
	frame  []byte
	ev     event.Event
	// garbage is set while skipping a run of lines that are not JSON, so
	// that the run is reported once.
	garbage bool
}

func scanJSON(ctx context.Context, name string, r io.Reader, fn Handler, damage func(Damage)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s := &jsonScanner{r: bufio.NewReaderSize(r, 64<<10), name: name, damage: damage, line: 1}
	s.ev.Source = event.Source{File: name, Format: event.FormatJSONL}
	head, _ := s.r.Peek(3)
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		s.r.Discard(3)
		s.pos = 3
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		s.report(0, 1, "UTF-16 JSON is not read; convert it to UTF-8")
		return nil
	}
	inArray := false
	count := 0
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			if inArray {
				s.report(s.pos, s.line, "file ends inside a JSON array")
			}
			return nil
		}
		start, line := s.pos, s.line
		s.advance(b)
		switch {
		case b == ' ' || b == '\t' || b == '\r' || b == '\n':
		case b == '{':
			s.garbage = false
			ok, reason := s.frameObject()
			if !ok {
				s.report(start, line, reason)
				continue
			}
			if reason := s.toEvent(start, line); reason != "" {
				s.report(start, line, reason)
				continue
			}
			count++
			if count%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := fn(&s.ev); err != nil {
				return err
			}
		case b == '[' && !inArray:
			s.garbage = false
			inArray = true
		case (b == ',' || b == ']') && inArray:
			inArray = b == ','
		default:
			s.skipLine(start, line, b)
		}
	}
}

func (s *jsonScanner) advance(b byte) {
	s.pos++
	if b == '\n' {
		s.line++
	}
}

func (s *jsonScanner) report(offset int64, line int, reason string) {
	s.damage(Damage{File: s.name, Chunk: -1, Offset: offset, Reason: fmt.Sprintf("line %d: %s", line, reason)})
}

// evtxDumpRecordLine is the separator `evtx_dump -o json` prints before
// each pretty-printed record.
var evtxDumpRecordLine = regexp.MustCompile(`^Record [0-9]+\s*$`)

// skipLine passes over the rest of a line that holds no JSON value; a run
// of such lines is one report, and evtx_dump's "Record N" lines none.
func (s *jsonScanner) skipLine(start int64, line int, first byte) {
	text := []byte{first}
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			break
		}
		s.advance(b)
		if b == '\n' {
			break
		}
		if len(text) < 80 {
			text = append(text, b)
		}
	}
	if evtxDumpRecordLine.Match(text) || s.garbage {
		return
	}
	s.garbage = true
	s.report(start, line, fmt.Sprintf("not JSON: %q", clip(strings.TrimSpace(string(text)), 60)))
}

// frameObject reads the rest of an object whose "{" was just read into
// s.frame. A value with more than "{" on its first line is one line of
// JSON lines and must end on it; a lone "{" starts a pretty-printed value.
// On failure the scanner is left at the start of a line.
func (s *jsonScanner) frameObject() (bool, string) {
	s.frame = append(s.frame[:0], '{')
	depth := 1
	inString, escaped := false, false
	multiLine, firstLine := false, true
	for depth > 0 {
		b, err := s.r.ReadByte()
		if err != nil {
			return false, "file ends inside a JSON value"
		}
		s.advance(b)
		if len(s.frame) >= maxJSONValue {
			s.skipRestOfLine(b)
			return false, fmt.Sprintf("JSON value longer than %d bytes", maxJSONValue)
		}
		s.frame = append(s.frame, b)
		switch {
		case b == '\n':
			if inString {
				return false, "line ends inside a JSON string"
			}
			if firstLine {
				multiLine = len(bytes.TrimSpace(s.frame)) == 1
				firstLine = false
			}
			if !multiLine {
				return false, "JSON value does not end on its line"
			}
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			depth++
			if depth > maxJSONDepth {
				s.skipRestOfLine(b)
				return false, fmt.Sprintf("JSON nested deeper than %d", maxJSONDepth)
			}
		case b == '}' || b == ']':
			depth--
		}
	}
	return true, ""
}

func (s *jsonScanner) skipRestOfLine(last byte) {
	for last != '\n' {
		b, err := s.r.ReadByte()
		if err != nil {
			return
		}
		s.advance(b)
		last = b
	}
}

// jsonValue is a parsed JSON value that keeps object keys in order.
type jsonValue struct {
	kind  byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	text  string
	keys  []string
	items []*jsonValue // object values (parallel to keys) or array items
}

// get returns the first value of an object called key.
func (v *jsonValue) get(key string) *jsonValue {
	if v == nil || v.kind != 'o' {
		return nil
	}
	for i, k := range v.keys {
		if k == key {
			return v.items[i]
		}
	}
	return nil
}

func (v *jsonValue) scalar() bool { return v != nil && v.kind != 'o' && v.kind != 'a' }

// str is the text of a scalar: strings as they are, numbers as written,
// booleans as true/false, null as "".
func (v *jsonValue) str() string {
	if v == nil {
		return ""
	}
	return v.text
}

// parseJSONValue decodes one framed value into a jsonValue tree.
func parseJSONValue(frame []byte) (*jsonValue, error) {
	d := json.NewDecoder(bytes.NewReader(frame))
	d.UseNumber()
	v, err := decodeJSONValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("text after the JSON value")
	}
	return v, nil
}

func decodeJSONValue(d *json.Decoder) (*jsonValue, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		v := &jsonValue{kind: 'a'}
		if t == '{' {
			v.kind = 'o'
		}
		for d.More() {
			if v.kind == 'o' {
				key, err := d.Token()
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, key.(string))
			}
			item, err := decodeJSONValue(d)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, item)
		}
		if _, err := d.Token(); err != nil {
			return nil, err
		}
		return v, nil
	case string:
		return &jsonValue{kind: 's', text: t}, nil
	case json.Number:
		return &jsonValue{kind: 'n', text: t.String()}, nil
	case bool:
		return &jsonValue{kind: 'b', text: strconv.FormatBool(t)}, nil
	}
	return &jsonValue{kind: 'z'}, nil
}

// toEvent parses the framed value into s.ev; it returns why not, or "".
func (s *jsonScanner) toEvent(start int64, line int) string {
	v, err := parseJSONValue(s.frame)
	if err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return fmt.Sprintf("malformed JSON at byte %d of the value: %v", syn.Offset, err)
		}
		return "malformed JSON: " + err.Error()
	}
	ev := &s.ev
	ev.Reset()
	ev.Source.Offset, ev.Source.Line = start, line
	c := jsonConverter{ev: ev}
	if err := c.event(v); err != nil {
		return err.Error()
	}
	return ""
}

// jsonConverter maps the JSON renderings of an event onto the model.
type jsonConverter struct {
	ev *event.Event
}

func (c *jsonConverter) event(v *jsonValue) error {
	if v.kind != 'o' {
		return errors.New("not a JSON object")
	}
	e := v
	if inner := v.get("Event"); inner != nil && inner.kind == 'o' {
		e = inner
	} else if v.get("System") == nil {
		return c.flat(v)
	}
	sys := e.get("System")
	if sys == nil || sys.kind != 'o' {
		return errors.New("event has no System object")
	}
	if err := c.system(sys); err != nil {
		return err
	}
	if data := e.get("EventData"); data != nil {
		if err := c.eventData(data); err != nil {
			return err
		}
	}
	if user := e.get("UserData"); user != nil && user.kind == 'o' {
		for i, k := range user.keys {
			if strings.HasPrefix(k, "#") || k == "xmlns" {
				continue
			}
			// Like the EVTX reader, only the first wrapper counts, and a
			// wrapper without elements is a field of its own (leaf
			// handles both cases).
			c.ev.UserDataName = k
			if err := c.leaf(k, user.items[i]); err != nil {
				return err
			}
			break
		}
	}
	return nil
}

// system reads the System object. An element is a scalar (its text), an
// object with "#text" and "#attributes" (evtx_dump), or an object whose keys
// are attributes, with "Value" for the text (Velociraptor); evtx_dump's
// --separate-json-attributes puts attributes in "<Element>_attributes".
func (c *jsonConverter) system(sys *jsonValue) error {
	for i, name := range sys.keys {
		v := sys.items[i]
		if elem, ok := strings.CutSuffix(name, "_attributes"); ok {
			if err := c.attributes(elem, v); err != nil {
				return err
			}
			continue
		}
		if v.kind != 'o' {
			if err := c.setSystem(systemKey(name), v); err != nil {
				return err
			}
			continue
		}
		for j, k := range v.keys {
			var err error
			switch k {
			case "#attributes":
				err = c.attributes(name, v.items[j])
			case "#text", "Value":
				err = c.setSystem(systemKey(name), v.items[j])
			default:
				err = c.setSystem(systemKey(name+"."+k), v.items[j])
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *jsonConverter) attributes(elem string, attrs *jsonValue) error {
	if attrs.kind != 'o' {
		return nil
	}
	for i, k := range attrs.keys {
		if err := c.setSystem(systemKey(elem+"."+k), attrs.items[i]); err != nil {
			return err
		}
	}
	return nil
}

// setSystem stores a scalar System value; a SystemTime given as a number is
// seconds since 1970 (Velociraptor).
func (c *jsonConverter) setSystem(key systemKey, v *jsonValue) error {
	if !v.scalar() {
		return nil
	}
	text := v.str()
	if key == keySystemTime && v.kind == 'n' {
		secs, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(secs, 0) || math.Abs(secs) > 1e12 {
			return &systemValueError{key, text, "a time"}
		}
		whole := math.Floor(secs)
		text = time.Unix(int64(whole), int64((secs-whole)*1e9)).UTC().Format(time.RFC3339Nano)
	}
	_, err := setSystem(&c.ev.System, key, text)
	return err
}

func (c *jsonConverter) add(name, value string) error {
	if len(c.ev.Fields) >= maxJSONFields {
		return fmt.Errorf("event has more than %d payload fields", maxJSONFields)
	}
	c.ev.Fields = append(c.ev.Fields, evtx.Field{Name: name, Value: value})
	return nil
}

// eventData reads EventData: named values as keys, unnamed <Data> as
// "Data" (a value, an array, or {"#text": value or array}), and "Binary".
func (c *jsonConverter) eventData(data *jsonValue) error {
	switch data.kind {
	case 'o':
	case 'a':
		for _, item := range data.items {
			if err := c.data(item); err != nil {
				return err
			}
		}
		return nil
	default:
		return nil
	}
	for i, k := range data.keys {
		v := data.items[i]
		var err error
		switch k {
		case "#attributes", "xmlns":
		case "Data":
			err = c.data(v)
		case "Binary":
			if text := jsonText(v); text != "" {
				err = c.add("Binary", text)
			}
		default:
			if v.kind == 'a' {
				for _, item := range v.items {
					if err = c.add(k, jsonText(item)); err != nil {
						break
					}
				}
			} else {
				err = c.add(k, jsonText(v))
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// data reads the value of a "Data" key: unnamed values, or objects that
// carry a Name attribute.
func (c *jsonConverter) data(v *jsonValue) error {
	switch v.kind {
	case 'z':
		return nil
	case 'a':
		for _, item := range v.items {
			if item.kind == 'z' {
				if err := c.add("", ""); err != nil {
					return err
				}
				continue
			}
			if err := c.data(item); err != nil {
				return err
			}
		}
		return nil
	case 'o':
		name := ""
		if attrs := v.get("#attributes"); attrs != nil {
			name = attrs.get("Name").str()
		} else if n := v.get("Name"); n.scalar() {
			name = n.str()
		}
		text := v.get("#text")
		if text == nil {
			text = v.get("Value")
		}
		if text != nil && text.kind == 'a' {
			for _, item := range text.items {
				if err := c.add(name, jsonText(item)); err != nil {
					return err
				}
			}
			return nil
		}
		return c.add(name, jsonText(text))
	}
	return c.add("", v.str())
}

// jsonText is the text of an element's JSON form: a scalar, or the "#text"
// of an object.
func jsonText(v *jsonValue) string {
	if v == nil {
		return ""
	}
	if v.kind == 'o' {
		if t := v.get("#text"); t.scalar() {
			return t.str()
		}
		return ""
	}
	if v.kind == 'a' {
		return ""
	}
	return v.str()
}

// evtxDumpDuplicate matches the names evtx_dump gives repeated elements:
// the second <Header> becomes "Header_1".
var evtxDumpDuplicate = regexp.MustCompile(`^(.+)_([0-9]+)$`)

// leaves adds the leaf elements below a UserData wrapper, in order.
func (c *jsonConverter) leaves(obj *jsonValue) error {
	seen := map[string]bool{}
	for i, k := range obj.keys {
		if strings.HasPrefix(k, "#") || k == "xmlns" {
			continue
		}
		name := k
		if m := evtxDumpDuplicate.FindStringSubmatch(k); m != nil && seen[m[1]] {
			name = m[1]
		}
		seen[name] = true
		if err := c.leaf(name, obj.items[i]); err != nil {
			return err
		}
	}
	return nil
}

func (c *jsonConverter) leaf(name string, v *jsonValue) error {
	switch v.kind {
	case 'a':
		for _, item := range v.items {
			if err := c.leaf(name, item); err != nil {
				return err
			}
		}
		return nil
	case 'o':
		if t := v.get("#text"); t != nil {
			return c.add(name, jsonText(v))
		}
		children := 0
		for _, k := range v.keys {
			if !strings.HasPrefix(k, "#") && k != "xmlns" {
				children++
			}
		}
		if children == 0 {
			return c.add(name, "") // an element with attributes only
		}
		return c.leaves(v)
	}
	return c.add(name, v.str())
}

// flatSystem maps the keys of a flat event to System values, by the names
// event.Event.Get answers to and a few common spellings.
var flatSystem = map[string]systemKey{
	"EventID": keyEventID, "Qualifiers": keyQualifiers, "Version": keyVersion, "Level": keyLevel,
	"Task": keyTask, "Opcode": keyOpcode, "Keywords": keyKeywords,
	"Channel": keyChannel, "Computer": keyComputer,
	"Provider_Name": keyProviderName, "Provider": keyProviderName, "ProviderName": keyProviderName,
	"Provider_Guid": keyProviderGUID, "EventSourceName": keyEventSourceName,
	"TimeCreated": keySystemTime, "SystemTime": keySystemTime, "Timestamp": keySystemTime,
	"EventRecordID": keyRecordID, "RecordID": keyRecordID,
	"ProcessID": keyProcessID, "ThreadID": keyThreadID,
	"UserID": keyUserID, "SecurityUserID": keyUserID,
	"ActivityID": keyActivityID, "RelatedActivityID": keyRelatedActivityID,
}

// flat reads an object that names System values directly; other keys are
// payload fields, objects among them flattened. A value that does not parse
// as its System type is kept as a payload field under its own name (a
// timeline's Level "high" is not a Windows level).
func (c *jsonConverter) flat(v *jsonValue) error {
	hasEventID := false
	for i, k := range v.keys {
		item := v.items[i]
		if key, ok := flatSystem[k]; ok && item.scalar() && item.kind != 'z' {
			saved := c.ev.System
			if err := c.setSystem(key, item); err == nil {
				hasEventID = hasEventID || key == keyEventID
				continue
			}
			c.ev.System = saved
		}
		var err error
		if item.kind == 'o' {
			err = c.leaves(item)
		} else {
			err = c.leaf(k, item)
		}
		if err != nil {
			return err
		}
	}
	if !hasEventID {
		return errors.New("not a Windows event: no Event, System or EventID")
	}
	return nil
}
