package explain_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/explain"
)

func builtin(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ids(r *explain.Result) string {
	var s []string
	for _, is := range r.KnownIssues {
		s = append(s, is.ID)
	}
	return strings.Join(s, ",")
}

func TestSpellingsAgree(t *testing.T) {
	cat := builtin(t)
	var first string
	for _, in := range []string{"0x80070643", "80070643", "-2147023293", "2147944003", "0X80070643"} {
		r, err := explain.Explain(in, "", cat, "en")
		if err != nil {
			t.Fatal(err)
		}
		if r.Code != "0x80070643" || r.Signed != -2147023293 || r.Unsigned != 2147944003 || r.Win32 == nil || *r.Win32 != 1603 || r.Facility != 7 {
			t.Fatalf("%s: %+v", in, r)
		}
		if first == "" {
			first = ids(r)
		} else if ids(r) != first {
			t.Fatalf("%s lists %s, 0x80070643 lists %s", in, ids(r), first)
		}
	}
	if !strings.Contains(first, "kb5057589-winre-false-alarm") || !strings.Contains(first, "code-0x80070643-install-failure") {
		t.Fatalf("issues %s", first)
	}
}

func TestWin32CodeFindsItsHRESULTIssues(t *testing.T) {
	r, err := explain.Explain("1603", "", builtin(t), "en")
	if err != nil {
		t.Fatal(err)
	}
	if r.HResult != "0x80070643" || r.Win32 == nil || *r.Win32 != 1603 || !strings.Contains(ids(r), "kb5034441-winre-partition-too-small") {
		t.Fatalf("%+v, issues %s", r, ids(r))
	}
}

func TestKBFilter(t *testing.T) {
	for _, kb := range []string{"KB5057589", "5057589", "kb5057589"} {
		r, err := explain.Explain("0x80070643", kb, builtin(t), "en")
		if err != nil {
			t.Fatal(err)
		}
		if ids(r) != "kb5057589-winre-false-alarm" || r.KB != "KB5057589" {
			t.Fatalf("--kb %s: %s", kb, ids(r))
		}
	}
	r, err := explain.Explain("0x80070643", "KB5000000", builtin(t), "en")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := explain.WriteText(&out, r, "en"); err != nil {
		t.Fatal(err)
	}
	if len(r.KnownIssues) != 0 || !strings.Contains(out.String(), "No known issue about this code and KB5000000") {
		t.Fatalf("%s", out.String())
	}
}

func TestRejectsNonCodes(t *testing.T) {
	for _, in := range []string{"", "hello", "0xZZ", "0x1FFFFFFFF"} {
		if _, err := explain.Explain(in, "", builtin(t), "en"); err == nil {
			t.Errorf("accepted %q", in)
		}
	}
}

func TestOutputs(t *testing.T) {
	r, err := explain.Explain("0x800f0922", "", builtin(t), "ja")
	if err != nil {
		t.Fatal(err)
	}
	var text, js bytes.Buffer
	if err := explain.WriteText(&text, r, "ja"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "既知の問題") || !strings.Contains(text.String(), "kb5089549-esp-0x800f0922") {
		t.Fatalf("text:\n%s", text.String())
	}
	if err := explain.WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "code", "name", "meaning", "facility", "scam_bait", "known_issues"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestScamWarningAndNames(t *testing.T) {
	r, err := explain.Explain("0x80070643", "", builtin(t), "en")
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "ERROR_INSTALL_FAILURE" || !r.ScamBait || !strings.Contains(r.ScamWarning, "never asks you to paste a command") {
		t.Fatalf("%+v", r)
	}
	r, err = explain.Explain("0x80242014", "", builtin(t), "ja")
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "WU_E_UH_POSTREBOOTSTILLPENDING" || r.ScamBait || r.ScamWarning != "" || r.FacilityName != "WINDOWSUPDATE" {
		t.Fatalf("%+v", r)
	}
}
