package catalog_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/update"
)

// FuzzParse feeds the entry loader arbitrary bytes, seeded with every
// built-in entry. Beyond not panicking, an accepted entry must be whole:
// every case has a valid assessment and guidance in both languages, and it
// can be matched against a host without failing.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob("entries/*.yaml")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed entries (%v)", err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(validEntry))
	host := &update.Host{Computer: "H", Build: "19045.1"}
	upd := &update.Update{Key: "KB5099999", KB: "KB5099999", Attempts: []*update.Attempt{{Result: update.ResultFailed, Codes: []uint32{0x80070643}, HasError: true, ErrorCode: 0x80070643}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := catalog.Parse("fuzz.yaml", data)
		if err != nil {
			if e != nil {
				t.Fatal("error with a half-loaded entry")
			}
			var le *catalog.LoadError
			if !asLoadError(err, &le) {
				t.Fatalf("error %T is not a *LoadError", err)
			}
			return
		}
		if e.ID == "" || len(e.Cases) == 0 || len(e.Sources) == 0 {
			t.Fatalf("accepted an incomplete entry: %+v", e)
		}
		for _, c := range e.Cases {
			if !c.Assessment.Valid() || c.Guidance.EN == "" || c.Guidance.JA == "" {
				t.Fatalf("accepted case %+v", c)
			}
			if c.Status != "" && !c.Status.Valid() {
				t.Fatalf("accepted status %q", c.Status)
			}
		}
		ctx := catalog.NewContext(host, upd, e)
		for _, c := range e.Cases {
			for _, p := range c.When {
				p.Eval(ctx)
				_ = p.String()
			}
		}
	})
}

func asLoadError(err error, target **catalog.LoadError) bool {
	le, ok := err.(*catalog.LoadError)
	*target = le
	return ok
}
