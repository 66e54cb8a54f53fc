// Package event is wuguard's one model of a Windows event: every input (EVTX,
// XML exports, JSON lines, text logs) is turned into [Event] values, and every
// analysis reads only these.
package event

import (
	"strconv"
	"strings"

	"github.com/wuguard/wuguard/evtx"
)

// Format names the kind of input an event came from.
type Format string

const (
	FormatEVTX  Format = "evtx"
	FormatXML   Format = "xml"
	FormatJSONL Format = "jsonl"
	FormatText  Format = "text"
)

// Source says where an event was read, so that every finding can point an
// administrator at the evidence.
type Source struct {
	File   string // path as given by the user, or joined below a given folder
	Format Format
	// Offset is the byte offset of the record in File (EVTX record header,
	// start of the XML element, or start of the line).
	Offset int64
	// Line is the 1-based line number for line-oriented inputs, else 0.
	Line int
}

// Event is one Windows event with its provenance.
type Event struct {
	evtx.Event
	Source Source
}

// Get returns a System or payload field by the name the event XML gives it.
// System names follow the Sigma and Hayabusa convention (EventID, Channel,
// Provider_Name, Computer, …); payload fields are looked up by exact name.
func (e *Event) Get(name string) (string, bool) {
	if v, ok := e.Field(name); ok {
		return v, true
	}
	return e.systemField(name)
}

func (e *Event) systemField(name string) (string, bool) {
	s := &e.System
	switch name {
	case "EventID":
		return strconv.FormatUint(uint64(s.EventID), 10), true
	case "Channel":
		return s.Channel, true
	case "Computer":
		return s.Computer, true
	case "Provider_Name", "Provider":
		return s.Provider, true
	case "Provider_Guid":
		return s.ProviderGUID, s.ProviderGUID != ""
	case "EventSourceName":
		return s.EventSourceName, s.EventSourceName != ""
	case "Level":
		return strconv.FormatUint(uint64(s.Level), 10), true
	case "Task":
		return strconv.FormatUint(uint64(s.Task), 10), true
	case "Opcode":
		return strconv.FormatUint(uint64(s.Opcode), 10), true
	case "Version":
		return strconv.FormatUint(uint64(s.Version), 10), true
	case "Keywords":
		return "0x" + strconv.FormatUint(s.Keywords, 16), true
	case "EventRecordID":
		return strconv.FormatUint(s.RecordID, 10), true
	case "ProcessID":
		return strconv.FormatUint(uint64(s.ProcessID), 10), true
	case "ThreadID":
		return strconv.FormatUint(uint64(s.ThreadID), 10), true
	case "UserID", "SecurityUserID":
		return s.UserID, s.UserID != ""
	case "ActivityID":
		return s.ActivityID, s.ActivityID != ""
	case "RelatedActivityID":
		return s.RelatedActivityID, s.RelatedActivityID != ""
	case "TimeCreated", "SystemTime":
		if s.TimeCreated.IsZero() {
			return "", false
		}
		return s.TimeCreated.UTC().Format("2006-01-02T15:04:05.0000000Z"), true
	}
	return "", false
}

// Clone returns a copy of e that shares no memory with it, for keeping an
// event past the handler call (readers reuse an event's memory).
func (e *Event) Clone() *Event {
	c := *e
	s := &c.System
	s.Provider, s.ProviderGUID, s.EventSourceName = strings.Clone(s.Provider), strings.Clone(s.ProviderGUID), strings.Clone(s.EventSourceName)
	s.ActivityID, s.RelatedActivityID = strings.Clone(s.ActivityID), strings.Clone(s.RelatedActivityID)
	s.Channel, s.Computer, s.UserID = strings.Clone(s.Channel), strings.Clone(s.Computer), strings.Clone(s.UserID)
	c.UserDataName = strings.Clone(c.UserDataName)
	c.Fields = make([]evtx.Field, len(e.Fields))
	for i, f := range e.Fields {
		c.Fields[i] = evtx.Field{Name: strings.Clone(f.Name), Value: strings.Clone(f.Value)}
	}
	return &c
}
