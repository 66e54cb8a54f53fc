package textlog_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/textlog"
)

// seed adds every fixture to the corpus and fails when there is none, so
// that a moved testdata folder cannot turn the target into a no-op.
func seed(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.log")
	if len(paths) == 0 {
		f.Fatal("no seed files in testdata")
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// check reads data and asserts the properties every input must keep:
// no error (fn never fails), entries in strictly increasing line and offset
// order inside the input, valid UTF-8 text, well-formed identities, and
// damage offsets inside the input.
func check(t *testing.T, read func(context.Context, io.Reader, string, func(*textlog.Entry) error, func(input.Damage)) error, data []byte) {
	lastLine, lastOff := 0, int64(-1)
	err := read(context.Background(), bytes.NewReader(data), "fuzz", func(e *textlog.Entry) error {
		if e.Line <= lastLine || e.Offset <= lastOff || e.Offset >= int64(len(data)) {
			t.Fatalf("entry at line %d offset %d after line %d offset %d (input %d bytes)", e.Line, e.Offset, lastLine, lastOff, len(data))
		}
		lastLine, lastOff = e.Line, e.Offset
		if e.Time.IsZero() || strings.HasPrefix(e.Kind.String(), "kind(") {
			t.Fatalf("entry without time or with unknown kind: %+v", e)
		}
		for _, s := range []string{e.Text, e.Title, e.Package, e.Client, e.Component, e.Level, e.FromState, e.ToState, e.TargetState} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %+v", e)
			}
		}
		if e.UpdateID != "" && (len(e.UpdateID) != 36 || strings.ToLower(e.UpdateID) != e.UpdateID) {
			t.Fatalf("bad update id %q", e.UpdateID)
		}
		if e.KB != "" && (!strings.HasPrefix(e.KB, "KB") || len(e.KB) < 8 || len(e.KB) > 10) {
			t.Fatalf("bad KB %q", e.KB)
		}
		if len(e.Text) > 256<<10 {
			t.Fatalf("text of %d bytes", len(e.Text))
		}
		return nil
	}, func(d input.Damage) {
		if d.Offset < -1 || d.Offset > int64(len(data)) || d.Reason == "" {
			t.Fatalf("damage %+v for %d bytes", d, len(data))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func FuzzReadCBSLog(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) { check(t, textlog.ReadCBSLog, data) })
}

func FuzzReadWindowsUpdateLog(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) { check(t, textlog.ReadWindowsUpdateLog, data) })
}
