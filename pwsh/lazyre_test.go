package pwsh

import (
	"regexp"
	"testing"
)

func TestPatternsCompile(t *testing.T) {
	if len(allPatterns) < 50 {
		t.Fatalf("only %d patterns registered; rules are missing", len(allPatterns))
	}
	for _, l := range allPatterns {
		if _, err := regexp.Compile(l.src); err != nil {
			t.Errorf("pattern %q: %v", l.src, err)
		}
	}
}
