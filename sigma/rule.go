package sigma

// Rule is one YAML document of a rule file: a detection rule (Detection set)
// or a correlation rule (Correlation set). It is plain syntax; [Compile]
// checks it.
type Rule struct {
	File string // file the document was read from
	Line int    // line of the document's first key
	Doc  int    // 0-based index of the document in its file

	Title       string
	ID          string
	Name        string
	Status      string
	Description string
	Author      string
	Level       string
	Tags        []string
	References  []string
	Fields      []string

	LogSource   LogSource
	Detection   *Detection
	Correlation *Correlation
}

// LogSource is the logsource block of a detection rule.
type LogSource struct {
	Product  string
	Category string
	Service  string
	Line     int
}

// Detection is the detection block: named searches and the condition.
type Detection struct {
	Searches   []*Search // in document order
	Conditions []Text    // a list of conditions is OR-ed
	Line       int
}

// Search is one search identifier: an OR of groups, each group an AND of
// field items. A YAML map gives one group; a list of maps gives one group per
// map; a list of plain values gives one keyword item.
type Search struct {
	Name   string
	Line   int
	Groups [][]*Item
}

// Item is one "field|modifier|...: values" entry. Field is empty for a
// keyword search, which looks at every value of the event.
type Item struct {
	Field     string
	Modifiers []string
	Values    []Value
	Line      int
	Column    int
}

// ValueKind is the YAML type of a value.
type ValueKind int

// The YAML types of values.
const (
	ValueString ValueKind = iota // a string, quoted or not
	ValueNumber                  // an integer or float (Text keeps it as written, e.g. 0x17)
	ValueBool                    // true or false
	ValueNull                    // null, ~ or nothing
)

// Value is one scalar of an item, with its text as written in the rule.
type Value struct {
	Kind ValueKind
	Text string
	Line int
}

// Text is a string with the position it was read from.
type Text struct {
	S      string
	Line   int
	Column int
}

// CorrelationType names a kind of correlation.
type CorrelationType string

// The correlation types of Sigma 2.1.
const (
	EventCount      CorrelationType = "event_count"
	ValueCount      CorrelationType = "value_count"
	Temporal        CorrelationType = "temporal"
	TemporalOrdered CorrelationType = "temporal_ordered"
	ValueSum        CorrelationType = "value_sum"
	ValueAvg        CorrelationType = "value_avg"
	ValuePercentile CorrelationType = "value_percentile"
)

// Correlation is the correlation block of a correlation rule.
type Correlation struct {
	Type     CorrelationType
	Rules    []Text // ids or names of rules or correlations
	GroupBy  []string
	Timespan Text
	// Aliases maps an alias name to a rule name and the field that alias
	// stands for in that rule's events.
	Aliases   map[string]map[string]string
	Condition []Comparison
	// Field names the value field(s) of value_* correlations.
	Field    []string
	Generate bool
	Line     int
}

// Comparison is one "op: number" of a correlation condition.
type Comparison struct {
	Op    string // gt, gte, lt, lte, eq, neq
	Value float64
}
