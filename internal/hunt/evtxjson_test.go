package hunt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
)

// readEvtxDumpJSON reads the evtx_dump JSON that SigmaHQ keeps beside each
// regression .evtx (a stream of {"Event": {...}} objects), so that the
// regression suite can run without the EVTX reader.
func readEvtxDumpJSON(path string) ([]*event.Event, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out []*event.Event
	for {
		var doc struct {
			Event map[string]any `json:"Event"`
		}
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		e := &event.Event{Source: event.Source{File: path, Format: event.FormatJSONL}}
		sys, _ := doc.Event["System"].(map[string]any)
		fillSystem(&e.System, sys)
		if ed, ok := doc.Event["EventData"].(map[string]any); ok {
			e.Fields = append(e.Fields, dataFields(ed)...)
		}
		if ud, ok := doc.Event["UserData"].(map[string]any); ok {
			for name, v := range ud {
				e.UserDataName = name
				if m, ok := v.(map[string]any); ok {
					flattenLeaves(m, &e.Fields)
				}
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func attrs(v any) map[string]any {
	m, _ := v.(map[string]any)
	a, _ := m["#attributes"].(map[string]any)
	return a
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		return text(x["#text"])
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = text(p)
		}
		return strings.Join(parts, "\n")
	}
	return fmt.Sprint(v)
}

func number(v any) uint64 {
	n, _ := strconv.ParseUint(text(v), 0, 64)
	return n
}

func fillSystem(s *evtx.System, m map[string]any) {
	s.Provider = text(attrs(m["Provider"])["Name"])
	s.ProviderGUID = text(attrs(m["Provider"])["Guid"])
	s.EventSourceName = text(attrs(m["Provider"])["EventSourceName"])
	s.EventID = uint16(number(m["EventID"]))
	s.Version = uint8(number(m["Version"]))
	s.Level = uint8(number(m["Level"]))
	s.Task = uint16(number(m["Task"]))
	s.Opcode = uint8(number(m["Opcode"]))
	s.Keywords = number(m["Keywords"])
	s.RecordID = number(m["EventRecordID"])
	s.Channel = text(m["Channel"])
	s.Computer = text(m["Computer"])
	s.UserID = text(attrs(m["Security"])["UserID"])
	s.ProcessID = uint32(number(attrs(m["Execution"])["ProcessID"]))
	s.ThreadID = uint32(number(attrs(m["Execution"])["ThreadID"]))
	if t, err := time.Parse(time.RFC3339Nano, text(attrs(m["TimeCreated"])["SystemTime"])); err == nil {
		s.TimeCreated = t.UTC()
	}
}

func dataFields(ed map[string]any) []evtx.Field {
	keys := make([]string, 0, len(ed))
	for k := range ed {
		if k != "#attributes" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []evtx.Field
	for _, k := range keys {
		v := ed[k]
		if k == "Data" {
			// Unnamed <Data> elements.
			if m, ok := v.(map[string]any); ok {
				if list, ok := m["#text"].([]any); ok {
					for _, x := range list {
						out = append(out, evtx.Field{Value: text(x)})
					}
					continue
				}
			}
			out = append(out, evtx.Field{Value: text(v)})
			continue
		}
		out = append(out, evtx.Field{Name: k, Value: text(v)})
	}
	return out
}

func flattenLeaves(m map[string]any, out *[]evtx.Field) {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "#attributes" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if inner, ok := m[k].(map[string]any); ok && inner["#text"] == nil {
			flattenLeaves(inner, out)
			continue
		}
		*out = append(*out, evtx.Field{Name: k, Value: text(m[k])})
	}
}
