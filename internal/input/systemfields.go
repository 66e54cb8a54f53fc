package input

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wuguard/wuguard/evtx"
)

// systemKey names a System value by its place in the event XML: an element
// ("EventID") or an element's attribute ("Provider.Name"). The XML and JSON
// readers both fill evtx.System through setSystem with these keys.
type systemKey string

const (
	keyProviderName      systemKey = "Provider.Name"
	keyProviderGUID      systemKey = "Provider.Guid"
	keyEventSourceName   systemKey = "Provider.EventSourceName"
	keyEventID           systemKey = "EventID"
	keyQualifiers        systemKey = "EventID.Qualifiers"
	keyVersion           systemKey = "Version"
	keyLevel             systemKey = "Level"
	keyTask              systemKey = "Task"
	keyOpcode            systemKey = "Opcode"
	keyKeywords          systemKey = "Keywords"
	keySystemTime        systemKey = "TimeCreated.SystemTime"
	keyRecordID          systemKey = "EventRecordID"
	keyActivityID        systemKey = "Correlation.ActivityID"
	keyRelatedActivityID systemKey = "Correlation.RelatedActivityID"
	keyProcessID         systemKey = "Execution.ProcessID"
	keyThreadID          systemKey = "Execution.ThreadID"
	keyChannel           systemKey = "Channel"
	keyComputer          systemKey = "Computer"
	keyUserID            systemKey = "Security.UserID"
)

// systemValueError says which System value could not be read.
type systemValueError struct {
	key  systemKey
	text string
	want string
}

func (e *systemValueError) Error() string {
	return fmt.Sprintf("System %s %q is not %s", e.key, clip(e.text, 64), e.want)
}

// clip shortens s for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// setSystem stores text as the System value key names. Empty text leaves
// the value unset: renderers print absent values as empty attributes
// (python-evtx writes Qualifiers="" and UserID=""). Keys it does not know
// are ignored, and report false.
func setSystem(s *evtx.System, key systemKey, text string) (bool, error) {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" && key != keyChannel && key != keyComputer && key != keyProviderName {
		return true, nil
	}
	number := func(bits int) (uint64, error) {
		n, err := strconv.ParseUint(trimmed, 10, bits)
		if err != nil {
			return 0, &systemValueError{key, text, fmt.Sprintf("an unsigned %d-bit number", bits)}
		}
		return n, nil
	}
	var err error
	var n uint64
	switch key {
	case keyProviderName:
		s.Provider = text
	case keyProviderGUID:
		s.ProviderGUID = normalizeGUID(trimmed)
	case keyEventSourceName:
		s.EventSourceName = text
	case keyEventID:
		n, err = number(16)
		s.EventID = uint16(n)
	case keyQualifiers:
		n, err = number(16)
		s.Qualifiers, s.HasQualifiers = uint16(n), err == nil
	case keyVersion:
		n, err = number(8)
		s.Version = uint8(n)
	case keyLevel:
		n, err = number(8)
		s.Level = uint8(n)
	case keyTask:
		n, err = number(16)
		s.Task = uint16(n)
	case keyOpcode:
		n, err = number(8)
		s.Opcode = uint8(n)
	case keyKeywords:
		s.Keywords, err = parseKeywords(trimmed)
		if err != nil {
			err = &systemValueError{key, text, "a 64-bit hex number"}
		}
	case keySystemTime:
		s.TimeCreated, err = parseSystemTime(trimmed)
		if err != nil {
			err = &systemValueError{key, text, "a time"}
		}
	case keyRecordID:
		s.RecordID, err = number(64)
	case keyActivityID:
		s.ActivityID = normalizeGUID(trimmed)
	case keyRelatedActivityID:
		s.RelatedActivityID = normalizeGUID(trimmed)
	case keyProcessID:
		n, err = number(32)
		s.ProcessID = uint32(n)
	case keyThreadID:
		n, err = number(32)
		s.ThreadID = uint32(n)
	case keyChannel:
		s.Channel = text
	case keyComputer:
		s.Computer = text
	case keyUserID:
		s.UserID = trimmed
	default:
		return false, nil
	}
	return true, err
}

// parseKeywords reads "0x8000000000000000" as Windows prints it; decimal is
// accepted too, as some exports print numbers in decimal.
func parseKeywords(s string) (uint64, error) {
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		return strconv.ParseUint(h, 16, 64)
	}
	if h, ok := strings.CutPrefix(s, "0X"); ok {
		return strconv.ParseUint(h, 16, 64)
	}
	return strconv.ParseUint(s, 10, 64)
}

// systemTimeLayouts are the spellings of TimeCreated/@SystemTime in the
// exports wuguard reads: Windows (7 or 9 fraction digits and "Z"),
// evtx_dump JSON (6 digits), python-evtx (a space and no zone), and
// timelines that give a zone offset after a space.
var systemTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 Z07:00",
	"2006-01-02 15:04:05.999999999 -07:00",
}

// parseSystemTime reads a SystemTime in any of systemTimeLayouts; a time
// without a zone is UTC, as every renderer prints UTC.
func parseSystemTime(s string) (time.Time, error) {
	var err error
	for _, layout := range systemTimeLayouts {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}

// normalizeGUID writes a GUID the way the Windows event XML shows System
// GUIDs, in braces and upper case; text that is no GUID is kept as it is.
func normalizeGUID(s string) string {
	g := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(g) != 36 || len(s)-len(g) == 1 {
		return s
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return s
			}
		case (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'):
		default:
			return s
		}
	}
	return "{" + strings.ToUpper(g) + "}"
}
