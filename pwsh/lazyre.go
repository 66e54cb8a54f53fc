package pwsh

import (
	"regexp"
	"sync"
)

// lazyRegexp is a rule pattern compiled on first use, with the literals
// any match must contain. Compiling every rule when the package loaded cost
// each wuguard command about 10 ms of start-up, also the many commands that
// never analyse PowerShell.
type lazyRegexp struct {
	src  string
	once sync.Once
	re   *regexp.Regexp
	need []string
}

// allPatterns lists every pattern made by re, so a test can compile them
// all instead of finding a bad one on first use.
var allPatterns []*lazyRegexp

func re(src string) *lazyRegexp {
	l := &lazyRegexp{src: src}
	allPatterns = append(allPatterns, l)
	return l
}

func (l *lazyRegexp) compile() {
	l.once.Do(func() {
		l.re = regexp.MustCompile(l.src)
		l.need = requiredLiterals(l.src)
	})
}

func (l *lazyRegexp) String() string { return l.src }

// literals returns the lower-case literals every match contains (see
// requiredLiterals).
func (l *lazyRegexp) literals() []string { l.compile(); return l.need }

func (l *lazyRegexp) MatchString(s string) bool { l.compile(); return l.re.MatchString(s) }

func (l *lazyRegexp) FindStringIndex(s string) []int { l.compile(); return l.re.FindStringIndex(s) }

func (l *lazyRegexp) FindAllString(s string, n int) []string {
	l.compile()
	return l.re.FindAllString(s, n)
}

func (l *lazyRegexp) FindAllStringIndex(s string, n int) [][]int {
	l.compile()
	return l.re.FindAllStringIndex(s, n)
}
