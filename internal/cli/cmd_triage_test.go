package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTriageUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"triage"},
		{"triage", "--format", "yaml", dir},
		{"triage", "--lang", "fr", dir},
		{"triage", "--text-log-offset", "9", dir},
		{"triage", "--fail-on", "everything", dir},
	} {
		_, errOut, code := run(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, errOut)
		}
	}
}

func TestTriageEmptyFolder(t *testing.T) {
	out, errOut, code := run(t, "triage", t.TempDir())
	if code != exitOK || !strings.HasPrefix(out, "No update problems found (0 hosts, 0 updates)") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
	}
}

func TestTriageRejectsBadCatalogEntryWithPosition(t *testing.T) {
	cat := t.TempDir()
	bad := "id: site-x\ntitle: x\nsummary: {en: x, ja: x}\nkbs: [KB5099999]\ncases:\n  - name: a\n    assessment: maybe\n    guidance: {en: x, ja: x}\nsources: [x]\n"
	if err := os.WriteFile(filepath.Join(cat, "site.yaml"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "triage", "--catalog", cat, t.TempDir())
	if code != exitDamaged {
		t.Fatalf("exit %d, want %d", code, exitDamaged)
	}
	if !strings.Contains(errOut, "wuguard: warning: rejected catalog entry: catalog: "+filepath.Join(cat, "site.yaml")+":7: assessment \"maybe\"") {
		t.Fatalf("stderr %q", errOut)
	}
	if out == "" {
		t.Fatal("no report despite a rejected entry")
	}
}

func TestTriageWritesReportFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "report.html")
	out, _, code := run(t, "triage", "--format", "html", "-o", file, t.TempDir())
	if code != exitOK || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	data, err := os.ReadFile(file)
	if err != nil || !strings.HasPrefix(string(data), "<!DOCTYPE html>") {
		t.Fatalf("report file: %v %q", err, data)
	}
}
