package textlog_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/errcode"
	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/textlog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// reader picks the reader for a fixture by its name, as input.KindByName
// does for real files.
func reader(name string) func(context.Context, *os.File, string, func(*textlog.Entry) error, func(input.Damage)) error {
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "cbs") {
		return func(ctx context.Context, f *os.File, file string, fn func(*textlog.Entry) error, d func(input.Damage)) error {
			return textlog.ReadCBSLog(ctx, f, file, fn, d)
		}
	}
	return func(ctx context.Context, f *os.File, file string, fn func(*textlog.Entry) error, d func(input.Damage)) error {
		return textlog.ReadWindowsUpdateLog(ctx, f, file, fn, d)
	}
}

// render prints the fields of one entry that the lifecycle relies on, one
// line per entry, for the golden files.
func render(e *textlog.Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d @%d %s %s %s", e.Line, e.Offset, e.Time.Format("2006-01-02T15:04:05.000"), e.Log, e.Kind)
	field := func(name, v string) {
		if v != "" {
			fmt.Fprintf(&b, " %s=%q", name, v)
		}
	}
	field("level", e.Level)
	field("comp", e.Component)
	if e.UpdateID != "" {
		fmt.Fprintf(&b, " update=%s.%d", e.UpdateID, e.Revision)
	}
	field("kb", e.KB)
	field("pkg", e.Package)
	field("build", e.Build)
	field("title", e.Title)
	if e.HasError {
		fmt.Fprintf(&b, " code=%s", errcode.Lookup(e.ErrorCode))
	}
	if e.RebootRequired {
		b.WriteString(" reboot")
	}
	if e.Boot {
		b.WriteString(" boot")
	}
	if e.FromState != "" || e.ToState != "" {
		fmt.Fprintf(&b, " state=%s>%s", e.FromState, e.ToState)
	}
	field("target", e.TargetState)
	field("client", e.Client)
	return b.String()
}

func readAll(t *testing.T, path string) (entries []string, damage []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	name := filepath.Base(path)
	err = reader(name)(context.Background(), f, name, func(e *textlog.Entry) error {
		entries = append(entries, render(e))
		return nil
	}, func(d input.Damage) {
		damage = append(damage, d.String())
	})
	if err != nil {
		t.Fatal(err)
	}
	return entries, damage
}

// TestGolden reads every fixture and compares each entry and damage report
// with testdata/<fixture>.golden; run with -update to rewrite them after a
// reviewed change.
func TestGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.log")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("testdata/*.txt")
	paths = append(paths, more...)
	if len(paths) == 0 {
		t.Fatal("no fixtures in testdata")
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			entries, damage := readAll(t, path)
			var got bytes.Buffer
			for _, e := range entries {
				got.WriteString(e + "\n")
			}
			for _, d := range damage {
				got.WriteString("damage: " + d + "\n")
			}
			golden := path + ".golden"
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("output differs from %s:\n%s", golden, diff(string(want), got.String()))
			}
		})
	}
}

// diff shows the first lines that differ.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d\n  want: %s\n  got:  %s\n", i+1, wl, gl)
			if shown++; shown == 5 {
				break
			}
		}
	}
	return b.String()
}
