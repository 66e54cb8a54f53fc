package pwsh

import (
	"strconv"
	"strings"
)

// format implements the -f operator: .NET composite formatting with
// {index[,alignment][:format]} items and {{ }} escapes.
func (e *evaluator) format(l, r value) value {
	f, ok := toString(l)
	if !ok {
		return unknown
	}
	args := r.elems()
	if r.k != vArray && r.k != vBytes {
		args = []value{r}
	}
	s, ok := e.compositeFormat(f, args)
	if !ok {
		return unknown
	}
	return str(s).with(techFormat)
}

func (e *evaluator) compositeFormat(f string, args []value) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(f); {
		c := f[i]
		if c == '}' {
			if i+1 < len(f) && f[i+1] == '}' {
				b.WriteByte('}')
				i += 2
				continue
			}
			return "", false
		}
		if c != '{' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 < len(f) && f[i+1] == '{' {
			b.WriteByte('{')
			i += 2
			continue
		}
		end := strings.IndexByte(f[i:], '}')
		if end < 0 {
			return "", false
		}
		item := f[i+1 : i+end]
		i += end + 1
		spec := ""
		if k := strings.IndexByte(item, ':'); k >= 0 {
			item, spec = item[:k], item[k+1:]
		}
		align := 0
		if k := strings.IndexByte(item, ','); k >= 0 {
			a, err := strconv.Atoi(strings.TrimSpace(item[k+1:]))
			if err != nil || a > 1024 || a < -1024 {
				return "", false
			}
			align = a
			item = item[:k]
		}
		idx, err := strconv.Atoi(strings.TrimSpace(item))
		if err != nil || idx < 0 || idx >= len(args) {
			return "", false
		}
		s, ok := formatItem(args[idx], spec)
		if !ok {
			return "", false
		}
		if pad := abs(align) - len([]rune(s)); pad > 0 {
			if align > 0 {
				s = strings.Repeat(" ", pad) + s
			} else {
				s += strings.Repeat(" ", pad)
			}
		}
		b.WriteString(s)
		if b.Len() > e.lim.maxBytes {
			return "", false
		}
	}
	return b.String(), true
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// formatItem applies a standard numeric format (X, x, D, N, F) or none.
func formatItem(v value, spec string) (string, bool) {
	if spec == "" || v.k == vString {
		return toString(v)
	}
	n, ok := toInt(v)
	if !ok {
		return "", false
	}
	width := 0
	if len(spec) > 1 {
		w, err := strconv.Atoi(spec[1:])
		if err != nil || w > 64 {
			return "", false
		}
		width = w
	}
	var s string
	switch spec[0] {
	case 'X':
		s = strings.ToUpper(strconv.FormatUint(uint64(uint32(n)), 16))
		if n < 0 || n > 0xffffffff {
			s = strings.ToUpper(strconv.FormatUint(uint64(n), 16))
		}
	case 'x':
		s = strconv.FormatUint(uint64(uint32(n)), 16)
		if n < 0 || n > 0xffffffff {
			s = strconv.FormatUint(uint64(n), 16)
		}
	case 'D', 'd':
		s = strconv.FormatInt(n, 10)
	default:
		return toString(v)
	}
	for len(s) < width {
		s = "0" + s
	}
	return s, true
}
