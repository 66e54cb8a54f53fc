package sigma

import (
	"fmt"
	"sort"
)

// Reason is the machine-readable cause of a rejected rule. The values are a
// contract: tools and tests match on them.
type Reason string

// Reasons a rule is rejected.
const (
	ReasonIO                     Reason = "io"                       // the file could not be read
	ReasonYAML                   Reason = "yaml"                     // not valid YAML, or a value of the wrong YAML type
	ReasonSchema                 Reason = "schema"                   // a required key is missing or a key has the wrong shape
	ReasonUnsupported            Reason = "unsupported"              // valid Sigma that wuguard does not run (action: global documents)
	ReasonUnknownModifier        Reason = "unknown-modifier"         // a modifier that Sigma 2.1 does not define
	ReasonBadModifier            Reason = "bad-modifier"             // modifiers that cannot be combined, or a modifier on the wrong kind of value
	ReasonBadValue               Reason = "bad-value"                // a value the modifiers cannot use (a non-number for gt, a bad CIDR)
	ReasonBadRegex               Reason = "bad-regex"                // a regular expression that RE2 rejects (lookaround, backreferences)
	ReasonUnknownLogsource       Reason = "unknown-logsource"        // a logsource with no mapping to Windows channels
	ReasonConditionSyntax        Reason = "condition-syntax"         // a condition that does not parse
	ReasonUnknownIdentifier      Reason = "unknown-identifier"       // a condition names a search that does not exist
	ReasonMissingPlaceholder     Reason = "missing-placeholder"      // expand names a placeholder that no configuration provides
	ReasonUnknownCorrelationRule Reason = "unknown-correlation-rule" // a correlation refers to a rule that was not loaded
	ReasonBadCorrelation         Reason = "bad-correlation"          // a correlation block that is incomplete or inconsistent
	ReasonDuplicateID            Reason = "duplicate-id"             // a second rule with an id or name already loaded
	ReasonTooComplex             Reason = "too-complex"              // expansions beyond the engine's limits
)

// Diagnostic reports one rule that could not be used, or a problem in a file.
type Diagnostic struct {
	File    string
	Line    int // 1-based; 0 when unknown
	Column  int // 1-based; 0 when unknown
	RuleID  string
	Title   string
	Reason  Reason
	Message string
}

// Error formats the diagnostic as "file:line:col: reason: message".
func (d Diagnostic) Error() string {
	pos := d.File
	if d.Line > 0 {
		pos += fmt.Sprintf(":%d", d.Line)
		if d.Column > 0 {
			pos += fmt.Sprintf(":%d", d.Column)
		}
	}
	return fmt.Sprintf("%s: %s: %s", pos, d.Reason, d.Message)
}

// SortDiagnostics orders diagnostics by file, line and column, so that
// reports are the same from run to run.
func SortDiagnostics(ds []Diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// ruleError is a diagnostic raised while checking one rule; the caller fills
// in the file and rule identity.
type ruleError struct {
	reason Reason
	line   int
	column int
	msg    string
}

func (e *ruleError) Error() string { return string(e.reason) + ": " + e.msg }

func errorf(reason Reason, line int, format string, args ...any) *ruleError {
	return &ruleError{reason: reason, line: line, msg: fmt.Sprintf(format, args...)}
}

func (r *Rule) diagnostic(e *ruleError) Diagnostic {
	line := e.line
	if line == 0 {
		line = r.Line
	}
	return Diagnostic{File: r.File, Line: line, Column: e.column, RuleID: r.ID, Title: r.Title, Reason: e.reason, Message: e.msg}
}
