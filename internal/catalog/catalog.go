// Package catalog holds wuguard's known issues: update failures and false
// alarms that logs can tell apart, each with the evidence that must hold, the
// verdict it leads to, plain guidance in English and Japanese, and sources.
//
// Entries are YAML files (docs/catalog.md). The built-in ones are embedded in
// the binary; an administrator can add a folder of their own. A file is taken
// whole or not at all: any unknown field, wrong type or invalid value rejects
// it with its file, line and reason.
package catalog

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wuguard/wuguard/internal/update"
)

//go:embed entries/*.yaml
var builtinFS embed.FS

// Assessment is the catalog's judgement of an update's state.
type Assessment string

// The assessments. Their meaning is fixed: reports and scripts rely on it.
const (
	// AssessmentOK: nothing to do (installed, or only waiting for a restart).
	AssessmentOK Assessment = "ok"
	// AssessmentFalseAlarm: Windows reported an error, but the update is or
	// will be fine.
	AssessmentFalseAlarm Assessment = "false-alarm"
	// AssessmentNeedsAction: a real failure with a known fix the user must apply.
	AssessmentNeedsAction Assessment = "needs-action"
	// AssessmentInvestigate: the logs do not settle it; the guidance says what
	// to check.
	AssessmentInvestigate Assessment = "investigate"
)

// Valid reports whether a is one of the defined assessments.
func (a Assessment) Valid() bool {
	switch a {
	case AssessmentOK, AssessmentFalseAlarm, AssessmentNeedsAction, AssessmentInvestigate:
		return true
	}
	return false
}

// Subject is what an entry is about.
type Subject string

// Subjects: an update named by Windows Update, CBS or WUSA, or the WinRE
// servicing agent's own work (update.WinREKey).
const (
	SubjectUpdate Subject = "update"
	SubjectWinRE  Subject = "winre-servicing"
)

// Text is one message in every language wuguard speaks.
type Text struct {
	EN string
	JA string
}

// In returns the text in lang ("en" or "ja"), falling back to English.
func (t Text) In(lang string) string {
	if lang == "ja" && t.JA != "" {
		return t.JA
	}
	return t.EN
}

// BuildRange is an inclusive range of OS builds, each a build number with an
// optional update build revision (19045 or 19045.3920).
type BuildRange struct {
	From, To Build
}

// Build is an OS build number and update build revision (UBR); UBR -1 means
// "any".
type Build struct {
	Number, UBR int
}

// Contains reports whether b lies in r. A build without UBR matches every UBR.
func (r BuildRange) Contains(b Build) bool {
	lo := r.From.Number < b.Number || r.From.Number == b.Number && (r.From.UBR < 0 || b.UBR < 0 || r.From.UBR <= b.UBR)
	hi := b.Number < r.To.Number || r.To.Number == b.Number && (r.To.UBR < 0 || b.UBR < 0 || b.UBR <= r.To.UBR)
	return lo && hi
}

// Case is one verdict of an entry and the evidence it needs.
type Case struct {
	Name string
	// When lists predicates that must all hold; an empty list always holds.
	When []Predicate
	// Status overrides the update's status from its lifecycle when set.
	Status     update.Status
	Assessment Assessment
	Guidance   Text
	Line       int
}

// Entry is one known issue.
type Entry struct {
	ID         string
	Title      string
	Summary    Text
	KBs        []string
	Products   []string
	Builds     []BuildRange
	ErrorCodes []uint32
	Subject    Subject
	Cases      []Case
	Sources    []string

	// File and Line say where the entry was read; Builtin marks the entries
	// embedded in wuguard.
	File    string
	Line    int
	Builtin bool
}

// HasKB reports whether the entry names kb.
func (e *Entry) HasKB(kb string) bool {
	for _, k := range e.KBs {
		if strings.EqualFold(k, kb) {
			return true
		}
	}
	return false
}

// HasCode reports whether the entry names code.
func (e *Entry) HasCode(code uint32) bool {
	for _, c := range e.ErrorCodes {
		if c == code {
			return true
		}
	}
	return false
}

// specificity orders entries for matching: KB-specific entries first, then
// entries keyed on error codes, then the rest.
func (e *Entry) specificity() int {
	switch {
	case len(e.KBs) > 0:
		return 0
	case len(e.ErrorCodes) > 0:
		return 1
	}
	return 2
}

// Catalog is an ordered set of entries.
type Catalog struct {
	entries []*Entry
	// ordered caches Entries(); add clears it.
	ordered []*Entry
}

// Builtin returns the entries embedded in wuguard. An error means the binary
// was built with a broken entry; tests make sure it never ships.
func Builtin() (*Catalog, error) {
	c := &Catalog{}
	names, err := fs.Glob(builtinFS, "entries/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		data, err := builtinFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		e, err := Parse(name, data)
		if err != nil {
			return nil, err
		}
		e.Builtin = true
		if err := c.add(e); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// LoadDir adds every *.yaml and *.yml file in dir (not recursive). Files
// that fail to load are left out whole; their errors, one *LoadError each, are
// returned together while the good files stay loaded.
func (c *Catalog) LoadDir(dir string) []error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return []error{&LoadError{File: dir, Reason: fmt.Sprintf("failed to read catalog folder: %v", err)}}
	}
	var errs []error
	for _, d := range ents {
		name := d.Name()
		ext := strings.ToLower(filepath.Ext(name))
		if d.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		path := filepath.Join(dir, name)
		if err := c.LoadFile(path); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// LoadFile adds the entry in one file.
func (c *Catalog) LoadFile(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return &LoadError{File: path, Reason: fmt.Sprintf("failed to read entry: %v", err)}
	}
	if info.Size() > maxFileSize {
		return &LoadError{File: path, Reason: fmt.Sprintf("file is %d bytes, more than the %d an entry may have", info.Size(), maxFileSize)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return &LoadError{File: path, Reason: fmt.Sprintf("failed to read entry: %v", err)}
	}
	e, err := Parse(path, data)
	if err != nil {
		return err
	}
	return c.add(e)
}

func (c *Catalog) add(e *Entry) error {
	for _, o := range c.entries {
		if o.ID == e.ID {
			return &LoadError{File: e.File, Line: e.Line, Reason: fmt.Sprintf("id %q is already defined in %s", e.ID, o.File)}
		}
	}
	c.entries = append(c.entries, e)
	c.ordered = nil
	return nil
}

// Entries returns the entries in matching order: most specific first, an
// administrator's entries before built-in ones of the same specificity.
// The slice is shared: callers must not change it.
func (c *Catalog) Entries() []*Entry {
	if c.ordered != nil {
		return c.ordered
	}
	out := append([]*Entry(nil), c.entries...)
	sort.SliceStable(out, func(i, j int) bool {
		if si, sj := out[i].specificity(), out[j].specificity(); si != sj {
			return si < sj
		}
		return !out[i].Builtin && out[j].Builtin
	})
	c.ordered = out
	return out
}

// Lookup returns the entry with the given id, or nil.
func (c *Catalog) Lookup(id string) *Entry {
	for _, e := range c.entries {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// ForCode returns the entries about code, limited to those naming kb when kb
// is not empty, in matching order. Entries that name the KB but no code are
// included for a KB query, since they say what else that KB is known for.
func (c *Catalog) ForCode(code uint32, kb string) []*Entry {
	var out []*Entry
	for _, e := range c.Entries() {
		if kb != "" && !e.HasKB(kb) {
			continue
		}
		if e.HasCode(code) || (kb != "" && len(e.ErrorCodes) == 0) {
			out = append(out, e)
		}
	}
	return out
}
