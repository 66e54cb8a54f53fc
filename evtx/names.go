package evtx

import "encoding/binary"

// nameID numbers the element and attribute names the typed decoder looks
// for, so that it compares small integers instead of strings.
type nameID uint8

const (
	nOther nameID = iota
	nEvent
	nSystem
	nProvider
	nEventID
	nVersion
	nLevel
	nTask
	nOpcode
	nKeywords
	nTimeCreated
	nEventRecordID
	nCorrelation
	nExecution
	nChannel
	nComputer
	nSecurity
	nEventData
	nUserData
	nData
	nBinary
	nName
	nGuid
	nEventSourceName
	nQualifiers
	nSystemTime
	nActivityID
	nRelatedActivityID
	nProcessID
	nThreadID
	nUserID
)

var knownNames = map[string]nameID{
	"Event": nEvent, "System": nSystem, "Provider": nProvider, "EventID": nEventID,
	"Version": nVersion, "Level": nLevel, "Task": nTask, "Opcode": nOpcode,
	"Keywords": nKeywords, "TimeCreated": nTimeCreated, "EventRecordID": nEventRecordID,
	"Correlation": nCorrelation, "Execution": nExecution, "Channel": nChannel,
	"Computer": nComputer, "Security": nSecurity, "EventData": nEventData,
	"UserData": nUserData, "Data": nData, "Binary": nBinary, "Name": nName,
	"Guid": nGuid, "EventSourceName": nEventSourceName, "Qualifiers": nQualifiers,
	"SystemTime": nSystemTime, "ActivityID": nActivityID,
	"RelatedActivityID": nRelatedActivityID, "ProcessID": nProcessID,
	"ThreadID": nThreadID, "UserID": nUserID,
}

// name is an element, attribute, entity or processing instruction name,
// decoded once and kept with the forms the renderers write.
type name struct {
	s       string // UTF-8
	xml     string // escaped for XML output
	jsonKey string // "name": with the name escaped for JSON
	keyHash uint32 // keyHash of the escaped name, for numbering repeated keys
	id      nameID
}

func newName(utf16 []byte) *name {
	s := string(appendUTF16(nil, utf16, escNone))
	key := append([]byte{'"'}, appendEscapedString(nil, s, escJSON)...)
	key = append(key, '"', ':')
	return &name{
		s:       s,
		xml:     string(appendEscapedString(nil, s, escXMLAttr)),
		jsonKey: string(key),
		keyHash: keyHash(key[1 : len(key)-2]),
		id:      knownNames[s],
	}
}

// nameAt returns the name whose structure starts at chunk offset off: a
// 4-byte link to the next name, a 2-byte hash, a 2-byte character count and
// the UTF-16 characters.
func (c *Chunk) nameAt(off uint32) (*name, error) {
	if n := c.names[off]; n != nil {
		return n, nil
	}
	if uint64(off)+8 > chunkSize {
		return nil, c.binxmlError(int(off), "name offset out of range", hexVal(off), ErrBinXML)
	}
	n := int(binary.LittleEndian.Uint16(c.data[off+6:]))
	end := int(off) + 8 + 2*n
	if end > chunkSize {
		return nil, c.binxmlError(int(off), "name runs past the end of the chunk", n, ErrTruncated)
	}
	b := c.data[off+8 : end]
	nm := c.intern[string(b)]
	if nm == nil {
		nm = newName(b)
		c.intern[string(b)] = nm
	}
	c.names[off] = nm
	return nm, nil
}

// binxmlError builds a FormatError at chunk offset off.
func (c *Chunk) binxmlError(off int, msg string, val any, sentinel error) *FormatError {
	return &FormatError{Off: c.Offset + int64(off), Chunk: c.Index, Msg: msg, Val: val, Err: sentinel}
}
