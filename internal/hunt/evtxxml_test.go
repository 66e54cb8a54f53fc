package hunt

import (
	"bytes"
	"encoding/xml"
	"io"
	"os/exec"
	"strconv"
	"time"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
)

// xmlEvent is the event XML that evtxexport -f xml prints.
type xmlEvent struct {
	System struct {
		Provider struct {
			Name string `xml:"Name,attr"`
			GUID string `xml:"Guid,attr"`
		}
		EventID     string
		Version     uint8
		Level       uint8
		Task        uint16
		Opcode      uint8
		Keywords    string
		TimeCreated struct {
			SystemTime string `xml:"SystemTime,attr"`
		}
		EventRecordID uint64
		Execution     struct {
			ProcessID uint32 `xml:"ProcessID,attr"`
			ThreadID  uint32 `xml:"ThreadID,attr"`
		}
		Channel  string
		Computer string
		Security struct {
			UserID string `xml:"UserID,attr"`
		}
	}
	EventData struct {
		Data []struct {
			Name  string `xml:"Name,attr"`
			Value string `xml:",chardata"`
		}
	}
	UserData struct {
		Inner []byte `xml:",innerxml"`
	}
}

// readEvtxexportXML decodes the events of an EVTX file with libevtx's
// evtxexport (a Debian package), for benchmarks that need many real events
// before wuguard's own reader is there.
func readEvtxexportXML(path string) ([]*event.Event, error) {
	out, err := exec.Command("evtxexport", "-f", "xml", path).Output()
	if err != nil && len(out) == 0 {
		return nil, err
	}
	dec := xml.NewDecoder(bytes.NewReader(out))
	dec.Strict = false
	var events []*event.Event
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			// evtxexport stops at the first record it cannot read.
			break
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local != "Event" {
			continue
		}
		var x xmlEvent
		if err := dec.DecodeElement(&x, &start); err != nil {
			break
		}
		e := &event.Event{Source: event.Source{File: path, Format: event.FormatEVTX}}
		s := &e.System
		id, _ := strconv.ParseUint(x.System.EventID, 10, 16)
		s.EventID = uint16(id)
		s.Provider, s.ProviderGUID = x.System.Provider.Name, x.System.Provider.GUID
		s.Version, s.Level, s.Task, s.Opcode = x.System.Version, x.System.Level, x.System.Task, x.System.Opcode
		s.Keywords, _ = strconv.ParseUint(x.System.Keywords, 0, 64)
		s.RecordID, s.Channel, s.Computer = x.System.EventRecordID, x.System.Channel, x.System.Computer
		s.ProcessID, s.ThreadID, s.UserID = x.System.Execution.ProcessID, x.System.Execution.ThreadID, x.System.Security.UserID
		if t, err := time.Parse(time.RFC3339Nano, x.System.TimeCreated.SystemTime); err == nil {
			s.TimeCreated = t.UTC()
		}
		for _, d := range x.EventData.Data {
			e.Fields = append(e.Fields, evtx.Field{Name: d.Name, Value: d.Value})
		}
		if len(x.UserData.Inner) > 0 {
			userDataLeaves(x.UserData.Inner, e)
		}
		events = append(events, e)
	}
	return events, nil
}

// userDataLeaves turns every leaf element under the UserData wrapper into a
// field.
func userDataLeaves(inner []byte, e *event.Event) {
	dec := xml.NewDecoder(bytes.NewReader(inner))
	var stack []string
	var text bytes.Buffer
	leaf := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				e.UserDataName = t.Name.Local
			}
			stack = append(stack, t.Name.Local)
			text.Reset()
			leaf = true
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if leaf && len(stack) > 1 {
				e.Fields = append(e.Fields, evtx.Field{Name: t.Name.Local, Value: text.String()})
			}
			leaf = false
			stack = stack[:len(stack)-1]
		}
	}
}
