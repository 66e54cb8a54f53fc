package sigma

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// ParsePaths parses every rule file named by paths: files as given, folders
// walked for *.yml and *.yaml files in name order. Unreadable paths are
// reported as diagnostics with reason io. Files are parsed in parallel; the
// result is in path order.
func ParsePaths(paths []string) ([]*Rule, []Diagnostic) {
	var diags []Diagnostic
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			diags = append(diags, Diagnostic{File: p, Reason: ReasonIO, Message: describeIOError(err)})
			continue
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				diags = append(diags, Diagnostic{File: path, Reason: ReasonIO, Message: describeIOError(err)})
				return nil
			}
			name := strings.ToLower(d.Name())
			if !d.IsDir() && (strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			diags = append(diags, Diagnostic{File: p, Reason: ReasonIO, Message: describeIOError(err)})
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	type result struct {
		rules []*Rule
		diags []Diagnostic
	}
	results := make([]result, len(files))
	// Workers take the next file from a counter: handing thousands of small
	// files over a channel cost more in wake-ups than parsing some of them.
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(files); i = int(next.Add(1) - 1) {
				results[i].rules, results[i].diags = ParseFile(files[i])
			}
		}()
	}
	wg.Wait()
	var rules []*Rule
	for _, r := range results {
		rules = append(rules, r.rules...)
		diags = append(diags, r.diags...)
	}
	return rules, diags
}

// ParseFS parses every *.yml and *.yaml file of fsys (for rules embedded in
// a binary), in name order.
func ParseFS(fsys fs.FS) ([]*Rule, []Diagnostic) {
	var rules []*Rule
	var diags []Diagnostic
	var files []string
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			diags = append(diags, Diagnostic{File: path, Reason: ReasonIO, Message: err.Error()})
			return nil
		}
		name := strings.ToLower(d.Name())
		if !d.IsDir() && (strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		diags = append(diags, Diagnostic{File: ".", Reason: ReasonIO, Message: err.Error()})
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			diags = append(diags, Diagnostic{File: f, Reason: ReasonIO, Message: err.Error()})
			continue
		}
		r, d := Parse(f, data)
		rules = append(rules, r...)
		diags = append(diags, d...)
	}
	return rules, diags
}
