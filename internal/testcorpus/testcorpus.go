// Package testcorpus finds the third-party test data that lives outside the
// repository, in ../shared/corpus next to the checkout.
//
// Tests call [Dir] and get the folder or a skip; under CI=true a missing corpus
// fails the test instead, so that CI never passes by skipping.
package testcorpus

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Root returns the corpus folder: $WUGUARD_CORPUS if set, else
// ../shared/corpus beside the repository root. It does not check that it exists.
func Root() string {
	if d := os.Getenv("WUGUARD_CORPUS"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	return filepath.Join(repo, "..", "shared", "corpus")
}

// Dir returns the corpus sub-folder rel (slash-separated), skipping t when it
// is absent, or failing t when CI=true.
func Dir(t testing.TB, rel string) string {
	t.Helper()
	d := filepath.Join(Root(), filepath.FromSlash(rel))
	if _, err := os.Stat(d); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("test corpus missing under CI: %v", err)
		}
		t.Skipf("test corpus not found: %v (set WUGUARD_CORPUS)", err)
	}
	return d
}
