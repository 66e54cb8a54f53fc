package sigma

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ParsePaths parses every rule file named by paths: files as given, folders
// walked for *.yml and *.yaml files in name order. Unreadable paths are
// reported as diagnostics with reason io.
func ParsePaths(paths []string) ([]*Rule, []Diagnostic) {
	var rules []*Rule
	var diags []Diagnostic
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			diags = append(diags, Diagnostic{File: p, Reason: ReasonIO, Message: describeIOError(err)})
			continue
		}
		var files []string
		if info.IsDir() {
			err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					diags = append(diags, Diagnostic{File: path, Reason: ReasonIO, Message: describeIOError(err)})
					return nil
				}
				name := strings.ToLower(d.Name())
				if !d.IsDir() && (strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")) {
					files = append(files, path)
				}
				return nil
			})
			if err != nil {
				diags = append(diags, Diagnostic{File: p, Reason: ReasonIO, Message: describeIOError(err)})
			}
			sort.Strings(files)
		} else {
			files = []string{p}
		}
		for _, f := range files {
			r, d := ParseFile(f)
			rules = append(rules, r...)
			diags = append(diags, d...)
		}
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
