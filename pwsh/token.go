package pwsh

import "fmt"

// Kind classifies a [Token].
type Kind uint8

// Token kinds. The gaps between tokens hold only whitespace and line
// continuations (a backtick before a newline).
const (
	Unknown          Kind = iota // a character the tokenizer could not place; an Error says why
	NewLine                      // one "\n", "\r\n" or "\r": a statement separator
	Comment                      // "# ..." to the end of the line, or "<# ... #>"
	Variable                     // $name, ${any name}, $env:name, $$, $?, $^, $_
	Splat                        // @name: splatting
	String                       // '...' or @'...'@: no expansion
	ExpandableString             // "..." or @"..."@: backtick escapes, $var and $(...) expansion
	Number                       // 12, 0x1F, 1.5e3, 1kb, 10d, 7l ...
	Command                      // a bareword in command position: the name of a command
	Word                         // any other bareword: a command argument, a hashtable key, a function name
	Keyword                      // if, foreach, function, param ... in statement position
	Parameter                    // -Name or -Name: in command mode
	Operator                     // -f, -join, +, =, |, ., ::, .., &, ',', ';' ...
	Type                         // a type literal: [char], [System.Text.Encoding]
	Member                       // a name after '.' or '::'
	GroupStart                   // ( $( @( { @{ [
	GroupEnd                     // ) } ]
	Redirection                  // > >> 2> 2>&1 *> <
	StopParsing                  // --% and the verbatim rest of its line
	Label                        // :name before a loop
)

var kindNames = [...]string{
	Unknown: "Unknown", NewLine: "NewLine", Comment: "Comment", Variable: "Variable",
	Splat: "Splat", String: "String", ExpandableString: "ExpandableString",
	Number: "Number", Command: "Command", Word: "Word", Keyword: "Keyword",
	Parameter: "Parameter", Operator: "Operator", Type: "Type", Member: "Member",
	GroupStart: "GroupStart", GroupEnd: "GroupEnd", Redirection: "Redirection",
	StopParsing: "StopParsing", Label: "Label",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Token is one lexical element of a PowerShell script.
type Token struct {
	Kind Kind
	Pos  int    // byte offset of the first byte in the source
	End  int    // byte offset just past the last byte
	Text string // the source text, exactly: src[Pos:End]

	// Value is the token's meaning with the disguise taken off:
	//   - String, ExpandableString: the content with quotes removed and escapes
	//     ('' in verbatim strings, backtick sequences in expandable ones)
	//     applied; $var and $(...) are left as written.
	//   - Command, Word, Member: escape ticks and embedded quotes removed
	//     (i`e`x and "i"ex both give iex).
	//   - Variable, Splat: the name without $ or @ and braces (env:TEMP).
	//   - Parameter: "-Name" with an ASCII dash, ticks and a trailing ':' removed.
	//   - Operator, Keyword, Redirection: lower case, ASCII dash.
	//   - Type: the name between the brackets, spaces removed.
	//   - others: the text.
	Value string
}

// Error is a problem the tokenizer found. It never stops tokenizing: the
// text in question still appears in some token.
type Error struct {
	Pos  int // byte offset
	Line int // 1-based
	Col  int // 1-based, in bytes
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("pwsh: %s at line %d column %d (offset %d)", e.Msg, e.Line, e.Col, e.Pos)
}
