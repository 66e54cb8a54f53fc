package catalog_test

import (
	"testing"

	"github.com/wuguard/wuguard/internal/catalog"
)

func TestBuiltinLoads(t *testing.T) {
	c, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Entries()); n < 20 {
		t.Fatalf("%d built-in entries", n)
	}
}
