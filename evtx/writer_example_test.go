package evtx_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/wuguard/wuguard/evtx"
)

// A Windows Update failure written as EVTX, then read back.
func ExampleWriter() {
	dir, err := os.MkdirTemp("", "evtx-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "System.evtx")

	w, err := evtx.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	ev := evtx.Event{
		System: evtx.System{
			Provider: "Microsoft-Windows-WindowsUpdateClient", ProviderGUID: "{945A8954-C147-4ACD-923F-40C45405A658}",
			EventID: 20, Version: 1, Level: 2, Task: 1, Opcode: 13, Keywords: 0x8000000000000028,
			TimeCreated: time.Date(2025, 4, 9, 10, 11, 12, 0, time.UTC), Channel: "System", Computer: "PC1", UserID: "S-1-5-18",
		},
		Fields: []evtx.Field{
			{Name: "errorCode", Value: "0x80070643"},
			{Name: "updateTitle", Value: "2025-04 Security Update for Windows 10 (KB5057589)"},
		},
	}
	// errorCode as the hexInt32 Windows Update logs it; the title as text.
	if err := w.WriteTyped(&ev, []evtx.FieldType{evtx.FieldHexInt32}); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	f, err := evtx.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	for rec, err := range f.Records() {
		if err != nil {
			log.Fatal(err)
		}
		var got evtx.Event
		if err := rec.Decode(&got); err != nil {
			log.Fatal(err)
		}
		fmt.Println(rec.ID, got.Provider, got.EventID, got.TimeCreated.Format(time.RFC3339))
		for _, f := range got.Fields {
			fmt.Printf("%s=%s\n", f.Name, f.Value)
		}
	}
	// Output:
	// 1 Microsoft-Windows-WindowsUpdateClient 20 2025-04-09T10:11:12Z
	// errorCode=0x80070643
	// updateTitle=2025-04 Security Update for Windows 10 (KB5057589)
}
