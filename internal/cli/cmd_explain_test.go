package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	out, errOut, code := run(t, "explain", "0x80070643", "--kb", "KB5057589")
	if code != exitOK || !strings.Contains(out, "kb5057589-winre-false-alarm") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
	}
	out, _, code = run(t, "explain", "--format", "json", "--", "-2147023293")
	var doc struct {
		Code        string `json:"code"`
		KnownIssues []struct {
			ID string `json:"id"`
		} `json:"known_issues"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &doc) != nil || doc.Code != "0x80070643" || len(doc.KnownIssues) < 3 {
		t.Fatalf("exit %d, out %q", code, out)
	}
}

func TestExplainUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"explain"},
		{"explain", "not-a-code"},
		{"explain", "0x1", "0x2"},
		{"explain", "--format", "html", "0x1"},
		{"explain", "--lang", "de", "0x1"},
	} {
		if _, errOut, code := run(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d (%s)", args, code, errOut)
		}
	}
}
