package errcode

import (
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	tab, err := parseTable(codesText)
	if err != nil {
		t.Fatal(err)
	}
	// parseTable itself rejects duplicate codes and names; check the table
	// covers what the brief and the catalog rely on.
	if n := len(tab.hresult) + len(tab.win32); n < 600 {
		t.Errorf("table has %d codes, want the full WU, CBS and PSFX sets (at least 600)", n)
	}
	count := map[string]int{}
	for _, e := range tab.hresult {
		for _, p := range []string{"WU_E_", "WU_S_", "CBS_E_", "PSFX_E_", "USO_E_", "SPAPI_E_"} {
			if strings.HasPrefix(e.name, p) {
				count[p]++
			}
		}
	}
	for p, min := range map[string]int{"WU_E_": 300, "WU_S_": 15, "CBS_E_": 100, "PSFX_E_": 16, "USO_E_": 1, "SPAPI_E_": 70} {
		if count[p] < min {
			t.Errorf("%s codes: %d, want at least %d", p, count[p], min)
		}
	}
}

func TestParseTableRejects(t *testing.T) {
	for name, text := range map[string]string{
		"two fields":     "0x80240001 WU_E_NO_SERVICE\n",
		"short hex":      "0x8024001 WU_E_X The meaning.\n",
		"bad name":       "0x80240001 wu_e_lower The meaning.\n",
		"win32 as hex":   "0x00000643 ERROR_X The meaning.\n",
		"win32 too big":  "70000 ERROR_X The meaning.\n",
		"duplicate code": "0x80240001 A_X One.\n0x80240001 B_X Two.\n",
		"duplicate name": "0x80240001 A_X One.\n0x80240002 A_X Two.\n",
		"duplicate win":  "5 A_X One.\n5 B_X Two.\n",
		"bad number":     "0xZZZZZZZZ A_X One.\n",
	} {
		if _, err := parseTable([]byte(text)); err == nil {
			t.Errorf("%s: parseTable accepted %q", name, text)
		}
	}
	tab, err := parseTable([]byte("# comment\n\n0x80240001   WU_E_NO_SERVICE   Spaced   out.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := tab.hresult[0x80240001].meaning; got != "Spaced   out." {
		t.Errorf("meaning = %q", got)
	}
}

func TestLookup(t *testing.T) {
	for _, c := range []struct {
		code      uint32
		name      string
		facility  uint16
		facName   string
		win32     uint16
		severity  string
		component string
		scam      bool
	}{
		{0x80070643, "ERROR_INSTALL_FAILURE", 7, "WIN32", 1603, "failure", "", true},
		{0x80242014, "WU_E_UH_POSTREBOOTSTILLPENDING", 36, "WINDOWSUPDATE", 0, "failure", "update handler", false},
		{0x800F0922, "CBS_E_INSTALLERS_FAILED", 15, "SETUPAPI", 0, "failure", "CBS", true},
		{0x800F081F, "CBS_E_SOURCE_MISSING", 15, "SETUPAPI", 0, "failure", "CBS", true},
		{0x800F0831, "CBS_E_STORE_CORRUPTION", 15, "SETUPAPI", 0, "failure", "CBS", true},
		{0x800F0821, "CBS_E_ABORT", 15, "SETUPAPI", 0, "failure", "CBS", false},
		{0x800F0920, "CBS_E_HANG_DETECTED", 15, "SETUPAPI", 0, "failure", "CBS", false},
		{0x800F0823, "CBS_E_NEW_SERVICING_STACK_REQUIRED", 15, "SETUPAPI", 0, "failure", "CBS", false},
		{0x800F0828, "CBS_E_INSUFFICIENT_DISK_SPACE", 15, "SETUPAPI", 0, "failure", "CBS", false},
		{0x800F0991, "PSFX_E_MISSING_PAYLOAD_FILE", 15, "SETUPAPI", 0, "failure", "PSFX", false},
		{0x8024A10A, "USO_E_SERVICE_SHUTTING_DOWN", 36, "WINDOWSUPDATE", 0, "failure", "update session orchestrator", false},
		{0x00240005, "WU_S_REBOOT_REQUIRED", 36, "WINDOWSUPDATE", 0, "success", "agent", false},
		{0x80240016, "WU_E_INSTALL_NOT_ALLOWED", 36, "WINDOWSUPDATE", 0, "failure", "agent", false},
		{0x8024402C, "WU_E_PT_WINHTTP_NAME_NOT_RESOLVED", 36, "WINDOWSUPDATE", 0, "failure", "protocol talker", true},
		{0x80240436, "WU_E_PT_CATALOG_SYNC_REQUIRED", 36, "WINDOWSUPDATE", 0, "failure", "protocol talker", false},
		{0x80070BC9, "ERROR_FAIL_REBOOT_REQUIRED", 7, "WIN32", 3017, "failure", "", false},
		{0x80073712, "ERROR_SXS_COMPONENT_STORE_CORRUPT", 7, "WIN32", 14098, "failure", "", true},
		{0x80073701, "ERROR_SXS_ASSEMBLY_MISSING", 7, "WIN32", 14081, "failure", "", false},
		{0x80070005, "E_ACCESSDENIED", 7, "WIN32", 5, "failure", "", true},
		{0x8007000D, "ERROR_INVALID_DATA", 7, "WIN32", 13, "failure", "", false},
		{0x80070422, "ERROR_SERVICE_DISABLED", 7, "WIN32", 1058, "failure", "", false},
		{0x80070103, "ERROR_NO_MORE_ITEMS", 7, "WIN32", 259, "failure", "", false},
		{0x80004005, "E_FAIL", 0, "NULL", 0, "failure", "", false},
		{0x8000FFFF, "E_UNEXPECTED", 0, "NULL", 0, "failure", "", false},
		{0x80004004, "E_ABORT", 0, "NULL", 0, "failure", "", false},
		{0x8024A105, "", 36, "WINDOWSUPDATE", 0, "failure", "update session orchestrator", true},
	} {
		info := Lookup(c.code)
		if info.Name != c.name || info.Facility != c.facility || info.FacilityName != c.facName ||
			info.Win32 != c.win32 || info.Severity != c.severity || info.Component != c.component ||
			info.ScamBait != c.scam || info.Known != (c.name != "") || info.Hex != Hex(c.code) {
			t.Errorf("Lookup(%#x) = %+v", c.code, info)
		}
		if info.Known && info.Meaning == "" {
			t.Errorf("Lookup(%#x): known but no meaning", c.code)
		}
	}
}

func TestLookupWin32(t *testing.T) {
	bare := Lookup(1603)
	wrapped := Lookup(0x80070643)
	if !bare.BareWin32 || bare.HRESULT != 0x80070643 || bare.Name != "ERROR_INSTALL_FAILURE" ||
		bare.Hex != "0x643" || bare.Win32 != 1603 || bare.Facility != FacilityWin32 || !bare.ScamBait {
		t.Errorf("Lookup(1603) = %+v", bare)
	}
	if wrapped.BareWin32 || wrapped.HRESULT != 0x80070643 || wrapped.Win32 != 1603 || wrapped.Meaning != bare.Meaning {
		t.Errorf("Lookup(0x80070643) = %+v", wrapped)
	}
	if c, _ := Parse("0x643"); Lookup(c).Name != "ERROR_INSTALL_FAILURE" {
		t.Error("0x643 is not ERROR_INSTALL_FAILURE")
	}
	if got := Lookup(0x80070005); got.Name != "E_ACCESSDENIED" || got.Win32Name != "ERROR_ACCESS_DENIED" {
		t.Errorf("Lookup(E_ACCESSDENIED) = %+v", got)
	}
	for code, sev := range map[uint32]string{0: "success", 3010: "success", 1641: "success", 3011: "success", 3017: "failure", 2: "failure"} {
		if got := Lookup(code).Severity; got != sev {
			t.Errorf("Lookup(%d).Severity = %s, want %s", code, got, sev)
		}
	}
	if got := Lookup(0); got.Name != "ERROR_SUCCESS" || got.HRESULT != 0 {
		t.Errorf("Lookup(0) = %+v", got)
	}
}

func TestLookupUnknown(t *testing.T) {
	info := Lookup(0x8024CEEE)
	if info.Known || info.Name != "" || info.Component != "driver utility" || info.Facility != 36 || info.Severity != "failure" {
		t.Errorf("Lookup(0x8024CEEE) = %+v", info)
	}
	info = Lookup(0x80071234)
	if info.Known || info.Win32 != 0x1234 || info.FacilityName != "WIN32" {
		t.Errorf("Lookup(0x80071234) = %+v", info)
	}
	info = Lookup(0xC1900101)
	if info.Known || info.Severity != "failure" || info.Facility != 0x190 || info.FacilityName != "" {
		t.Errorf("Lookup(0xC1900101) = %+v", info)
	}
	if s := Lookup(0x80070643).String(); s != "0x80070643 ERROR_INSTALL_FAILURE" {
		t.Errorf("String = %q", s)
	}
	if s := Lookup(0x8024CEEE).String(); s != "0x8024CEEE" {
		t.Errorf("String = %q", s)
	}
}

// TestCatalogCodes pins the codes docs/domain.md 1.4 builds on, so that a
// table edit cannot drop one silently.
func TestCatalogCodes(t *testing.T) {
	for _, code := range []uint32{
		0x80070643, 0x800F0922, 0x8007000D, 0x80240069, 0x800F0991, 0x80242014, 0x00240005,
		0x80240016, 0x80070BC9, 0x8024A10A, 0x8024001E, 0x80240017, 0x8024200B, 0x80240022,
		0x800F081F, 0x800F0831, 0x80073712, 0x80073701, 0x800F0821, 0x800F0920, 0x800F0823,
		0x80070002, 0x800F0828, 0x80248007, 0x80073D02,
	} {
		if !Lookup(code).Known {
			t.Errorf("%s is not in the table", Hex(code))
		}
	}
}
