// Package sigma parses, checks and compiles Sigma rules (specification 2.1)
// and matches them against events.
//
// The package works in three steps, each with its own types:
//
//  1. [ParseFile] and [Parse] turn YAML documents into [Rule] values: the
//     abstract syntax of a detection or correlation rule, with the line of
//     every part. YAML mistakes become [Diagnostic] values.
//  2. [Compile] checks rules (modifiers, condition identifiers, log sources,
//     placeholders, correlation references) and compiles the good ones into
//     a [Ruleset]: matcher trees with lowercased literals, compiled regular
//     expressions and CIDR prefixes, bucketed by (channel, event ID), with a
//     multi-pattern literal prefilter per bucket. Every rule that cannot be
//     used is reported with a [Reason] and its file and line; none is dropped
//     silently.
//  3. A [Matcher] (one per goroutine) runs an [Event] through the Ruleset and
//     reports each [Match]; a [Correlator] turns time-ordered matches into
//     correlation matches.
//
// Matching is case-insensitive unless the cased modifier is used, with ASCII
// case folding done in place: no value is copied or lowercased per event.
// Non-ASCII letters in rule literals are folded with Unicode rules on a slower
// path.
//
// # Security
//
// Rules and events are treated as untrusted input: parsing never panics,
// regular expressions are RE2 (linear time), and modifier expansions
// (windash permutations, placeholder lists) are capped.
package sigma
