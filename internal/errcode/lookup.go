package errcode

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Info describes one error code: how its bits decode and, when the table
// knows it, its symbolic name and what it means.
type Info struct {
	Code uint32
	Hex  string // "0x80070643"; bare Win32 codes without padding ("0x643")
	// Severity is "success" or "failure". For an HRESULT it is the top bit;
	// a bare Win32 code is a failure unless it is ERROR_SUCCESS or one of the
	// ERROR_SUCCESS_* codes (3010, 3011, 1641).
	Severity     string
	Facility     uint16
	FacilityName string // "WIN32", "WINDOWSUPDATE", "SETUPAPI", ...; "" when winerror.h names none
	// BareWin32 is set when Code is a Win32 error code (at most 0xFFFF) rather
	// than an HRESULT. Such a code is described through the FACILITY_WIN32
	// HRESULT it maps to: Facility is 7 and HRESULT holds that form.
	BareWin32 bool
	// HRESULT is Code itself, or for a bare Win32 code its FACILITY_WIN32
	// form (1603 -> 0x80070643; 0 stays 0).
	HRESULT uint32
	// Win32 is the Win32 error code inside a FACILITY_WIN32 HRESULT, or the
	// bare code itself; Win32Name is its ERROR_* name when known.
	Win32     uint16
	Win32Name string
	// Name is the symbolic name ("WU_E_UH_POSTREBOOTSTILLPENDING",
	// "CBS_E_INSTALLERS_FAILED"). A FACILITY_WIN32 HRESULT without a name of
	// its own takes the name of its Win32 code.
	Name    string
	Meaning string
	// Component is the Windows Update Agent or servicing-stack component
	// whose code range Code falls in ("update handler", "download manager",
	// "CBS", "PSFX", ...), known even when the code itself is not.
	Component string
	// Known is set when the table has Name and Meaning for the code.
	Known bool
	// ScamBait marks codes that fake support sites and "fix" scripts build
	// their pages on; see scamBait.
	ScamBait bool
}

// String formats the code the way reports show it: "0x80070643
// ERROR_INSTALL_FAILURE", or only the hex for an unknown code.
func (i Info) String() string {
	if i.Name == "" {
		return i.Hex
	}
	return i.Hex + " " + i.Name
}

// Facilities whose codes Lookup decodes further.
const (
	FacilityWin32         = 7  // HRESULT_FROM_WIN32: the low 16 bits are a Win32 error code
	FacilitySetupAPI      = 15 // SetupAPI, and the CBS_E_ and PSFX_E_ servicing-stack codes
	FacilityWindowsUpdate = 36 // the Windows Update Agent's WU_E_ and WU_S_ codes
)

var facilityNames = map[uint16]string{
	0:   "NULL",
	1:   "RPC",
	2:   "DISPATCH",
	3:   "STORAGE",
	4:   "ITF",
	7:   "WIN32",
	8:   "WINDOWS",
	9:   "SECURITY",
	10:  "CONTROL",
	11:  "CERT",
	12:  "INTERNET",
	13:  "MEDIASERVER",
	14:  "MSMQ",
	15:  "SETUPAPI",
	16:  "SCARD",
	17:  "COMPLUS",
	18:  "AAF",
	19:  "URT",
	20:  "ACS",
	21:  "DPLAY",
	22:  "UMI",
	23:  "SXS",
	24:  "WINDOWS_CE",
	25:  "HTTP",
	26:  "USERMODE_COMMONLOG",
	27:  "WER",
	31:  "USERMODE_FILTER_MANAGER",
	32:  "BACKGROUNDCOPY",
	33:  "CONFIGURATION",
	34:  "STATE_MANAGEMENT",
	35:  "METADIRECTORY",
	36:  "WINDOWSUPDATE",
	37:  "DIRECTORYSERVICE",
	38:  "GRAPHICS",
	39:  "SHELL",
	40:  "TPM_SERVICES",
	41:  "TPM_SOFTWARE",
	42:  "UI",
	43:  "XAML",
	44:  "ACTION_QUEUE",
	48:  "WINDOWS_SETUP",
	49:  "FVE",
	50:  "FWP",
	51:  "WINRM",
	52:  "NDIS",
	53:  "USERMODE_HYPERVISOR",
	54:  "CMI",
	55:  "USERMODE_VIRTUALIZATION",
	56:  "USERMODE_VOLMGR",
	57:  "BCD",
	58:  "USERMODE_VHD",
	59:  "USERMODE_HNS",
	60:  "SDIAG",
	61:  "WEBSERVICES",
	62:  "WPN",
	63:  "WINDOWS_STORE",
	64:  "INPUT",
	65:  "QUIC",
	66:  "EAP",
	70:  "IORING",
	80:  "WINDOWS_DEFENDER",
	81:  "OPC",
	82:  "XPS",
	83:  "RAS",
	84:  "POWERSHELL",
	85:  "EAS",
	98:  "P2P_INT",
	99:  "P2P",
	100: "DAF",
	101: "BLUETOOTH_ATT",
	102: "AUDIO",
	103: "STATEREPOSITORY",
	109: "VISUALCPP",
	112: "SCRIPT",
	113: "PARSE",
	120: "BLB",
	121: "BLB_CLI",
	122: "WSBAPP",
	128: "BLBUI",
	129: "USN",
	130: "USERMODE_VOLSNAP",
	131: "TIERING",
	133: "WSB_ONLINE",
	134: "ONLINE_ID",
	135: "DEVICE_UPDATE_AGENT",
	136: "DRVSERVICING",
	153: "DLS",
	160: "SOS",
	173: "OCP_UPDATE_AGENT",
	176: "DEBUGGERS",
	208: "DELIVERY_OPTIMIZATION",
	231: "USERMODE_SPACES",
	232: "USER_MODE_SECURITY_CORE",
	234: "USERMODE_LICENSING",
	256: "SPP",
}

// FacilityName returns the FACILITY_* name of f without its prefix, or "".
func FacilityName(f uint16) string { return facilityNames[f] }

//go:embed codes.txt
var codesText []byte

type entry struct {
	name, meaning string
}

// table holds the embedded code list: HRESULTs keyed by their 32-bit value,
// Win32 codes by their 16-bit value (they share no key space: a Win32 row
// never collides with an HRESULT row of the same number).
type table struct {
	hresult map[uint32]entry
	win32   map[uint16]entry
}

var loadTable = sync.OnceValue(func() *table {
	t, err := parseTable(codesText)
	if err != nil {
		// The table is compiled in; TestTable proves it parses.
		panic("errcode: embedded codes.txt: " + err.Error())
	}
	return t
})

// parseTable reads the code list. Each line holds a code, its symbolic name
// and its meaning, separated by spaces; the meaning runs to the end of the
// line. A code written "0x" and eight hex digits is an HRESULT; a decimal code
// is a Win32 error code. Blank lines and lines starting with '#' are skipped.
func parseTable(data []byte) (*table, error) {
	t := &table{hresult: map[uint32]entry{}, win32: map[uint16]entry{}}
	names := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		code, rest, _ := strings.Cut(text, " ")
		name, meaning, _ := strings.Cut(strings.TrimLeft(rest, " "), " ")
		meaning = strings.TrimSpace(meaning)
		if meaning == "" {
			return nil, fmt.Errorf("line %d: want code, name and meaning", line)
		}
		if !validName(name) {
			return nil, fmt.Errorf("line %d: bad symbolic name %q", line, name)
		}
		if prev, ok := names[name]; ok {
			return nil, fmt.Errorf("line %d: name %s already used for %s", line, name, prev)
		}
		names[name] = code
		e := entry{name: name, meaning: meaning}
		if h, ok := strings.CutPrefix(code, "0x"); ok {
			if len(h) != 8 {
				return nil, fmt.Errorf("line %d: HRESULT %q must have eight hex digits", line, code)
			}
			v, err := strconv.ParseUint(h, 16, 32)
			if err != nil {
				return nil, fmt.Errorf("line %d: bad HRESULT %q", line, code)
			}
			if v <= 0xFFFF {
				return nil, fmt.Errorf("line %d: %s is in the Win32 range; write it in decimal", line, code)
			}
			if _, dup := t.hresult[uint32(v)]; dup {
				return nil, fmt.Errorf("line %d: duplicate code %s", line, code)
			}
			t.hresult[uint32(v)] = e
			continue
		}
		v, err := strconv.ParseUint(code, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("line %d: bad Win32 code %q", line, code)
		}
		if _, dup := t.win32[uint16(v)]; dup {
			return nil, fmt.Errorf("line %d: duplicate code %s", line, code)
		}
		t.win32[uint16(v)] = e
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Lookup decodes code and describes it from the table. It never fails: an
// unknown code still gets its severity, facility, Win32 part and component.
//
// Codes up to 0xFFFF are taken as bare Win32 error codes (1603, 0x643) and
// related to their FACILITY_WIN32 HRESULT form (0x80070643); the HRESULTs
// that small (S_FALSE = 1) are not distinguished from them.
func Lookup(code uint32) Info {
	t := loadTable()
	info := Info{Code: code, HRESULT: code}
	if code <= 0xFFFF {
		info.BareWin32 = true
		info.Hex = "0x" + strings.ToUpper(strconv.FormatUint(uint64(code), 16))
		info.Win32 = uint16(code)
		info.Facility = FacilityWin32
		if code != 0 {
			info.HRESULT = 0x80070000 | code
		}
		if e, ok := t.win32[uint16(code)]; ok {
			info.Name, info.Meaning, info.Known = e.name, e.meaning, true
			info.Win32Name = e.name
		}
		info.Severity = "failure"
		if code == 0 || strings.HasPrefix(info.Win32Name, "ERROR_SUCCESS") {
			info.Severity = "success"
		}
	} else {
		info.Hex = Hex(code)
		info.Facility = uint16(code>>16) & 0x1FFF
		info.Severity = "success"
		if code&0x80000000 != 0 {
			info.Severity = "failure"
		}
		if info.Facility == FacilityWin32 {
			info.Win32 = uint16(code)
			if e, ok := t.win32[info.Win32]; ok {
				info.Win32Name = e.name
				info.Name, info.Meaning, info.Known = e.name, e.meaning, true
			}
		}
		if e, ok := t.hresult[code]; ok {
			info.Name, info.Meaning, info.Known = e.name, e.meaning, true
		}
	}
	info.FacilityName = facilityNames[info.Facility]
	info.Component = component(info.HRESULT, info.Facility)
	_, info.ScamBait = scamBait[info.HRESULT]
	return info
}

// component names the part of Windows whose code range holds code. The
// ranges follow the section comments of wuerror.h (agent, MSI, update
// handler, UI, protocol talker, redirector, SIH, download manager, scan
// package and metadata integrity, data store, inventory, Automatic Updates,
// WU task, driver utility, setup, expression evaluator, reporter) and the
// CBS_E_ / PSFX_E_ blocks of FACILITY_SETUPAPI.
func component(code uint32, facility uint16) string {
	low := code & 0xFFFF
	switch facility {
	case FacilityWindowsUpdate:
		switch {
		case low >= 0x0400 && low <= 0x04FF:
			return "protocol talker"
		case low <= 0x0FFF:
			return "agent"
		case low <= 0x1FFF:
			return "Windows Installer"
		case low <= 0x2FFF:
			return "update handler"
		case low <= 0x3FFF:
			return "user interface"
		case low <= 0x4FFF, low == 0x502D, low == 0x502E:
			return "protocol talker"
		case low <= 0x50FF:
			return "redirector"
		case low <= 0x5FFF:
			return "server-initiated healing"
		case low <= 0x6FFF:
			return "download manager"
		case low <= 0x70FF:
			return "scan package"
		case low <= 0x7FFF:
			return "metadata integrity"
		case low <= 0x8FFF:
			return "data store"
		case low <= 0x9FFF:
			return "inventory"
		case low >= 0xA100 && low <= 0xA1FF:
			return "update session orchestrator"
		case low <= 0xAFFF:
			return "automatic updates"
		case low <= 0xB0FF:
			return "update task"
		case low <= 0xB1FF:
			return "hardware capability"
		case low <= 0xB2FF:
			return "service locator"
		case low <= 0xBFFF:
			return "trust"
		case low <= 0xCFFF:
			return "driver utility"
		case low <= 0xDFFF:
			return "setup and self-update"
		case low <= 0xEFFF:
			return "expression evaluator"
		default:
			return "reporter"
		}
	case FacilitySetupAPI:
		switch {
		case low >= 0x0800 && low <= 0x097F:
			return "CBS"
		case low >= 0x0980 && low <= 0x09FF:
			return "PSFX"
		default:
			return "SetupAPI"
		}
	}
	return ""
}
