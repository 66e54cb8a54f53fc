package catalog_test

import (
	"os"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/catalog"
)

// TestDocsListEverything keeps docs/catalog.md in step with the code: every
// predicate of the vocabulary and every built-in entry is documented.
func TestDocsListEverything(t *testing.T) {
	doc, err := os.ReadFile("../../docs/catalog.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for name := range catalog.PredicateDocs() {
		if !strings.Contains(text, "`"+name+"`") {
			t.Errorf("docs/catalog.md does not describe predicate %s", name)
		}
	}
	c, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Entries() {
		if !strings.Contains(text, "`"+e.ID+"`") {
			t.Errorf("docs/catalog.md does not list entry %s", e.ID)
		}
	}
}
