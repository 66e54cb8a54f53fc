package hunt

import (
	"strconv"
	"strings"

	"github.com/wuguard/wuguard/internal/event"
)

// sigmaEvent lets the Sigma engine read an [event.Event]. One value is kept
// per worker and pointed at each event in turn, so that passing it as a
// sigma.Event does not allocate.
type sigmaEvent struct {
	e *event.Event
	// ids caches the decimal text of event IDs: the engine reads EventID of
	// every event, and formatting it each time would allocate.
	ids map[uint16]string
}

func newSigmaEvent() *sigmaEvent { return &sigmaEvent{ids: map[uint16]string{}} }

// Field returns payload fields first, then System fields by their Sigma
// names. "Data" with no field of that name stands for the unnamed <Data>
// elements of classic events (Windows PowerShell 400/600/800), joined by
// newlines.
func (s *sigmaEvent) Field(name string) (string, bool) {
	switch name {
	case "EventID":
		id := s.e.System.EventID
		v, ok := s.ids[id]
		if !ok {
			v = strconv.FormatUint(uint64(id), 10)
			s.ids[id] = v
		}
		return v, true
	case "Channel":
		if _, ok := s.e.Field("Channel"); !ok {
			return s.e.System.Channel, true
		}
	}
	if v, ok := s.e.Get(name); ok {
		return v, true
	}
	if name == "Data" {
		return s.unnamedData()
	}
	// Sigma names fields as the event shows them with spaces removed
	// ("Threat Name" is ThreatName), as classic and Defender events have
	// names with spaces.
	for i := range s.e.Fields {
		if equalWithoutSpaces(s.e.Fields[i].Name, name) {
			return s.e.Fields[i].Value, true
		}
	}
	return "", false
}

// equalWithoutSpaces compares an event field name, ignoring its spaces, with
// a rule field name.
func equalWithoutSpaces(eventName, ruleName string) bool {
	j := 0
	spaces := false
	for i := 0; i < len(eventName); i++ {
		c := eventName[i]
		if c == ' ' {
			spaces = true
			continue
		}
		if j == len(ruleName) || ruleName[j] != c {
			return false
		}
		j++
	}
	return spaces && j == len(ruleName)
}

func (s *sigmaEvent) unnamedData() (string, bool) {
	n := 0
	last := ""
	for _, f := range s.e.Fields {
		if f.Name == "" {
			n++
			last = f.Value
		}
	}
	switch n {
	case 0:
		return "", false
	case 1:
		return last, true
	}
	var b strings.Builder
	for _, f := range s.e.Fields {
		if f.Name == "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(f.Value)
		}
	}
	return b.String(), true
}

// Values gives every payload field, the text keyword searches look at.
func (s *sigmaEvent) Values(fn func(name, value string) bool) {
	for i := range s.e.Fields {
		if !fn(s.e.Fields[i].Name, s.e.Fields[i].Value) {
			return
		}
	}
}
