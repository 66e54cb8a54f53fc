// Package input finds the log files a user names and turns each into a stream
// of [event.Event] values. It reports damage (file, offset, reason) and goes
// on; it never stops a run because one file or record is bad.
package input

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wuguard/wuguard/internal/event"
)

// Kind is the format of an input file.
type Kind int

const (
	KindUnknown          Kind = iota
	KindEVTX                  // binary .evtx
	KindXML                   // wevtutil qe /f:xml or Get-WinEvent | % ToXml() output
	KindJSONL                 // one evtx_dump-shaped JSON event per line
	KindWindowsUpdateLog      // Get-WindowsUpdateLog output or the pre-Windows 10 log
	KindCBSLog                // CBS.log and its CbsPersist_*.log rotations
)

func (k Kind) String() string {
	switch k {
	case KindEVTX:
		return "evtx"
	case KindXML:
		return "xml"
	case KindJSONL:
		return "jsonl"
	case KindWindowsUpdateLog:
		return "windowsupdate-log"
	case KindCBSLog:
		return "cbs-log"
	}
	return "unknown"
}

// EventKinds are the kinds that carry Windows events (dump and hunt read these).
func EventKinds(k Kind) bool { return k == KindEVTX || k == KindXML || k == KindJSONL }

// File is one input file found by [Expand].
type File struct {
	Path string
	Kind Kind
	Size int64
}

// Damage describes input that could not be read and was skipped.
type Damage struct {
	File   string
	Chunk  int   // EVTX chunk index, or -1
	Offset int64 // byte offset of the damaged part in File, or -1 when unknown
	Reason string
}

func (d Damage) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Chunk >= 0 {
		fmt.Fprintf(&b, ": chunk %d", d.Chunk)
	}
	if d.Offset >= 0 {
		fmt.Fprintf(&b, " at offset %#x", d.Offset)
	}
	b.WriteString(": ")
	b.WriteString(d.Reason)
	return b.String()
}

// Expand turns the paths a user gave into the files to read, in a stable
// order: each path in turn, folders walked recursively with names sorted.
// Files named directly are taken whatever their name if their content is
// recognised; files found in folders are taken by name only. accept picks the
// kinds wanted. Paths that cannot be read are reported to damage and skipped.
func Expand(paths []string, accept func(Kind) bool, damage func(Damage)) []File {
	var files []File
	seen := map[string]bool{}
	add := func(path string, k Kind, size int64) {
		if accept(k) && !seen[path] {
			seen[path] = true
			files = append(files, File{Path: path, Kind: k, Size: size})
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			damage(Damage{File: p, Chunk: -1, Offset: -1, Reason: describe(err)})
			continue
		}
		if !info.IsDir() {
			k := KindByName(p)
			if k == KindUnknown {
				k = sniff(p)
			}
			if k == KindUnknown {
				damage(Damage{File: p, Chunk: -1, Offset: 0, Reason: "not a format wuguard reads (EVTX, XML or JSON lines export, WindowsUpdate.log, CBS.log)"})
				continue
			}
			add(p, k, info.Size())
			continue
		}
		var found []File
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				damage(Damage{File: path, Chunk: -1, Offset: -1, Reason: describe(err)})
				return nil
			}
			if d.IsDir() {
				return nil
			}
			k := KindByName(path)
			if k == KindUnknown || !accept(k) {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				damage(Damage{File: path, Chunk: -1, Offset: -1, Reason: describe(err)})
				return nil
			}
			found = append(found, File{Path: path, Kind: k, Size: info.Size()})
			return nil
		})
		if err != nil {
			damage(Damage{File: p, Chunk: -1, Offset: -1, Reason: describe(err)})
		}
		sort.Slice(found, func(i, j int) bool { return found[i].Path < found[j].Path })
		for _, f := range found {
			add(f.Path, f.Kind, f.Size)
		}
	}
	return files
}

// KindByName recognises a file by its name alone.
func KindByName(path string) Kind {
	base := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(base, ".evtx"):
		return KindEVTX
	case strings.HasSuffix(base, ".xml"):
		return KindXML
	case strings.HasSuffix(base, ".jsonl"), strings.HasSuffix(base, ".ndjson"), strings.HasSuffix(base, ".json"):
		return KindJSONL
	case strings.HasPrefix(base, "windowsupdate") && strings.HasSuffix(base, ".log"),
		base == "reportingevents.log": // the WindowsUpdate.log reader reads its REPORT EVENT columns
		return KindWindowsUpdateLog
	case base == "cbs.log", strings.HasPrefix(base, "cbspersist_") && strings.HasSuffix(base, ".log"):
		return KindCBSLog
	}
	return KindUnknown
}

// sniff recognises a file by its first bytes.
func sniff(path string) Kind {
	f, err := os.Open(path)
	if err != nil {
		return KindUnknown
	}
	defer f.Close()
	var buf [512]byte
	n, _ := f.Read(buf[:])
	head := bytes.TrimLeft(bytes.TrimPrefix(buf[:n], []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case bytes.HasPrefix(buf[:n], []byte("ElfFile\x00")):
		return KindEVTX
	case bytes.HasPrefix(head, []byte("<")):
		return KindXML
	case bytes.HasPrefix(head, []byte("{")):
		return KindJSONL
	}
	return KindUnknown
}

// describe turns file-system errors into the short reason shown to users.
func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// Handler receives each event. The event and its strings may be reused after
// Handler returns: copy what must outlive the call.
type Handler func(*event.Event) error

// Read streams the events of f to fn in file order. Damaged parts are passed
// to damage and skipped. Read returns an error only when fn fails or ctx ends;
// a file that cannot be opened at all is reported as damage.
func Read(ctx context.Context, f File, fn Handler, damage func(Damage)) error {
	switch f.Kind {
	case KindEVTX:
		return readEVTX(ctx, f, fn, damage)
	case KindXML:
		return readXML(ctx, f, fn, damage)
	case KindJSONL:
		return readJSONL(ctx, f, fn, damage)
	}
	return fmt.Errorf("input: %s files carry no Windows events", f.Kind)
}
