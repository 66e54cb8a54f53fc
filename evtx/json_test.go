package evtx_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/testcorpus"
)

// recordJSON renders record id of a corpus file as JSON and as XML.
func recordJSON(t *testing.T, rel string, id uint64) (string, string, evtx.Event) {
	t.Helper()
	f, err := evtx.Open(testcorpus.Dir(t, "evtx") + "/" + rel)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for r, err := range f.Records() {
		if err != nil || r.ID != id {
			continue
		}
		js, err := r.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		xml, err := r.AppendXML(nil)
		if err != nil {
			t.Fatal(err)
		}
		var ev evtx.Event
		if err := r.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		return string(js), string(xml), ev
	}
	t.Fatalf("%s: no record %d", rel, id)
	return "", "", evtx.Event{}
}

// TestJSONShape pins the evtx_dump shape on records that show its edge
// cases; docs/dump-json.md describes each.
func TestJSONShape(t *testing.T) {
	tests := []struct {
		name, file string
		id         uint64
		contains   []string // exact fragments of the JSON line
	}{
		{
			// Typed substitutions are bare numbers, hex integers strings,
			// empty elements null, Data keyed by Name.
			name: "security 4624", file: "omerbenamram/security.evtx", id: 2,
			contains: []string{
				`{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing","Guid":"{54849625-5478-4994-A5BA-3E3B0328C30D}"}},"EventID":4624,"Version":0,"Level":0,"Task":12544,"Opcode":0,"Keywords":"0x8020000000000000","TimeCreated":{"#attributes":{"SystemTime":"2016-07-08T18:12:51.6816408Z"}},"EventRecordID":2,"Correlation":null,"Execution":{"#attributes":{"ProcessID":456,"ThreadID":460}},"Channel":"Security","Computer":"37L4247F27-25","Security":null}`,
				`"EventData":{"SubjectUserSid":"S-1-0-0",`,
				`"SubjectLogonId":"0x0",`, `"LogonType":0,`, `"ProcessName":"",`,
				`"LogonGuid":"{00000000-0000-0000-0000-000000000000}"`,
			},
		},
		{
			// Forwarded (WEC) events carry text, not typed values: strings
			// throughout. EventID with Qualifiers becomes an object, and
			// Data without Name gather under Data.#text.
			name: "unnamed Data", file: "omerbenamram/issue_201.evtx", id: 1,
			contains: []string{
				`"EventID":{"#attributes":{"Qualifiers":"16384"},"#text":"1"}`,
				`"EventData":{"Data":{"#text":["Set-Mailbox","-Identity \"Administrateur\" -DeliverToMailboxAndForward \"False\" -ForwardingSmtpAddress \"smtp:test2@example.com\"",`,
				`,"","5","00:00:26.0389557",`,
			},
		},
		{
			// UserData keeps its element tree; repeated names get _1, _2;
			// an entity reference in an attribute is resolved.
			name: "UserData", file: "omerbenamram/E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx", id: 25,
			contains: []string{
				`"UserData":{"CryptRetrieveObjectByUrlCache":{"URL":{"#attributes":{"scheme":"http"},"#text":"http://crl.microsoft.com/pki/crl/products/microsoftrootcert.crl"},`,
				`"eTag":"\"ea9ee7b1bc43d21:0\""`,
			},
		},
		{
			// A string array in <Data>%1</Data> repeats the element per item
			// (MS-EVEN6 3.1.4.7.5; evtxexport does the same), and positional
			// Data gather into one #text array as in evtx_dump.
			name: "array", file: "evtx-attack-samples/Credential Access/MSSQL_multiple_failed_logon_EventID_18456.evtx", id: 1,
			contains: []string{`"EventData":{"Data":{"#text":["sa"," Reason: Password did not match that for the login provided."," [CLIENT: 10.0.2.17]"]},"Binary":"184800000E00`},
		},
		{
			// Classic events: EventID with Qualifiers as numbers, Binary as
			// upper-case hex, a Binary with a NULL optional substitution left
			// out (MS-EVEN6 3.1.4.7.2).
			name: "classic event", file: "omerbenamram/system.evtx", id: 1,
			contains: []string{`"EventID":{"#attributes":{"Qualifiers":32768},"#text":6009}`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			js, _, _ := recordJSON(t, tc.file, tc.id)
			var v map[string]any
			if err := json.Unmarshal([]byte(js), &v); err != nil {
				t.Fatalf("invalid JSON: %v\n%s", err, js)
			}
			for _, want := range tc.contains {
				if !strings.Contains(js, want) {
					t.Errorf("JSON lacks %s\n%s", want, js)
				}
			}
		})
	}
}

// TestDecodeMatchesXML checks that the typed model holds the text the XML
// rendering shows.
func TestDecodeMatchesXML(t *testing.T) {
	_, xml, ev := recordJSON(t, "omerbenamram/security.evtx", 2)
	s := ev.System
	if s.EventID != 4624 || s.Provider != "Microsoft-Windows-Security-Auditing" || s.Channel != "Security" ||
		s.ProviderGUID != "{54849625-5478-4994-A5BA-3E3B0328C30D}" || s.Keywords != 0x8020000000000000 ||
		s.ProcessID != 456 || s.ThreadID != 460 || s.RecordID != 2 || s.Task != 12544 {
		t.Errorf("System decoded as %+v", s)
	}
	if got := s.TimeCreated.Format("2006-01-02T15:04:05.0000000Z"); got != "2016-07-08T18:12:51.6816408Z" || !strings.Contains(xml, got) {
		t.Errorf("TimeCreated %s", got)
	}
	for _, f := range ev.Fields {
		if !strings.Contains(xml, `<Data Name="`+f.Name+`">`+f.Value+`</Data>`) && (f.Value != "" || !strings.Contains(xml, `<Data Name="`+f.Name+`"/>`)) {
			t.Errorf("field %s=%q is not in the XML", f.Name, f.Value)
		}
	}
	if v, _ := ev.Field("TargetLogonId"); v != "0x3e7" {
		t.Errorf("TargetLogonId %q", v)
	}

	// UserData: the wrapper's name, then its leaves.
	_, _, ev = recordJSON(t, "omerbenamram/E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx", 25)
	if ev.UserDataName != "CryptRetrieveObjectByUrlCache" {
		t.Errorf("UserDataName %q", ev.UserDataName)
	}
	if v, _ := ev.Field("URL"); v != "http://crl.microsoft.com/pki/crl/products/microsoftrootcert.crl" {
		t.Errorf("URL %q", v)
	}
}
