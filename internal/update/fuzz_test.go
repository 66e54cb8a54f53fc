package update_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/update"
)

func FuzzExtractKB(f *testing.F) {
	for _, s := range []string{"Update (KB5034441)", "Package_for_KB5058385~31bf", "windows10.0-kb5034441-x64.msu", "KB 890830", "NKB5034441", "KB123456789", "kb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kb := update.ExtractKB(s)
		if kb == "" {
			return
		}
		digits := strings.TrimPrefix(kb, "KB")
		if len(digits) < 6 || len(digits) > 8 || strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("ExtractKB(%q) = %q", s, kb)
		}
		if !strings.Contains(strings.ToUpper(s), digits) {
			t.Fatalf("ExtractKB(%q) = %q, not in the input", s, kb)
		}
	})
}

// FuzzAppendFromEvent feeds hostile payloads to every event the lifecycle
// reads, then builds the lifecycle: no panic, and every observation has a
// kind and keeps its event's time.
func FuzzAppendFromEvent(f *testing.F) {
	f.Add("Microsoft-Windows-WindowsUpdateClient", uint16(20), "errorCode", "0x80070643", "updateTitle", "Update (KB5057589)")
	f.Add("Microsoft-Windows-Servicing", uint16(3), "PackageIdentifier", "KB5034441", "ErrorCode", "0x800f0922")
	f.Add("Microsoft-Windows-WinREAgent", uint16(4502), "ErrorPhase", "2", "Errorcode", "-2147024784")
	f.Add("Microsoft-Windows-WUSA", uint16(3), "UpdateTitle", "x", "ErrorCode", "2147944030")
	f.Add("Microsoft-Windows-Kernel-General", uint16(12), "BuildVersion", "19045", "QfeVersion", "x")
	f.Add("Microsoft-Windows-WindowsUpdateClient", uint16(21), "updatelist", "- A (KB1000000)\n- B (KB2000000)", "", "")
	f.Fuzz(func(t *testing.T, provider string, id uint16, k1, v1, k2, v2 string) {
		at := time.Date(2025, 4, 8, 0, 0, 0, 0, time.UTC)
		e := event.Event{Event: evtx.Event{
			System: evtx.System{Provider: provider, EventID: id, TimeCreated: at, Computer: "PC"},
			Fields: []evtx.Field{{Name: k1, Value: v1}, {Name: k2, Value: v2}, {Value: v1}, {Value: v2}},
		}}
		obs := update.AppendFromEvent(nil, &e)
		for _, o := range obs {
			if o.Kind == update.KindUnknown || !o.Time.Equal(at) {
				t.Fatalf("observation %+v", o)
			}
		}
		update.Build(append(obs, obs...), update.Options{})
	})
}
