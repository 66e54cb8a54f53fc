package evtx

import "time"

// System is the <System> block that every Windows event carries. Values are
// kept typed where Windows defines a type; strings stay exactly as rendered in
// the event XML (GUIDs in braces and upper case, SIDs in S-1-… form).
type System struct {
	Provider          string // Provider/@Name
	ProviderGUID      string // Provider/@Guid
	EventSourceName   string // Provider/@EventSourceName, set by classic (non-manifest) providers
	EventID           uint16
	Qualifiers        uint16 // EventID/@Qualifiers, set by classic providers
	HasQualifiers     bool
	Version           uint8
	Level             uint8
	Task              uint16
	Opcode            uint8
	Keywords          uint64
	TimeCreated       time.Time // TimeCreated/@SystemTime, UTC
	RecordID          uint64    // EventRecordID
	ActivityID        string    // Correlation/@ActivityID
	RelatedActivityID string    // Correlation/@RelatedActivityID
	ProcessID         uint32    // Execution/@ProcessID
	ThreadID          uint32    // Execution/@ThreadID
	Channel           string
	Computer          string
	UserID            string // Security/@UserID
}

// Field is one named value of an event's payload.
//
// For <EventData> each <Data Name="n">v</Data> element gives Field{"n", "v"};
// a <Data> without a Name attribute gives a Field with an empty Name, and a
// <Binary> element gives Field{"Binary", hex}. For <UserData> every leaf element
// below the single wrapper element gives Field{leaf name, text}. Value is the
// text that the event XML shows for the element.
type Field struct {
	Name  string
	Value string
}

// Event is the typed form of one event record: its System block and its
// payload fields in document order. It is what analyses work on; XML and JSON
// renderings are for people and other tools.
type Event struct {
	System
	// Fields holds <EventData> or <UserData> values in document order.
	Fields []Field
	// UserDataName names the wrapper element under <UserData> (for example
	// "CbsPackageChangeState"); it is empty for events that use <EventData>.
	UserDataName string
}

// Reset empties e for reuse, keeping the capacity of Fields.
func (e *Event) Reset() {
	fields := e.Fields[:0]
	*e = Event{Fields: fields}
}

// Field returns the value of the first payload field called name.
func (e *Event) Field(name string) (string, bool) {
	for i := range e.Fields {
		if e.Fields[i].Name == name {
			return e.Fields[i].Value, true
		}
	}
	return "", false
}
