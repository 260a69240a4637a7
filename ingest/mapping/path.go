package mapping

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// step is one move into a JSON value: a key, an index, or a [key=value]
// selection of the first array element whose key has that value.
type step struct {
	key      string
	index    int // -1 when not an index
	selKey   string
	selValue string
}

// path is a compiled alternative list: the first that yields a value wins.
type path [][]step

// compile parses "a.b[0].c", "fields[name=Status].value" and "a|b".
func compile(s string) (path, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty path")
	}
	var out path
	for _, alt := range strings.Split(s, "|") {
		alt = strings.TrimSpace(alt)
		if alt == "" {
			return nil, fmt.Errorf("%q has an empty alternative", s)
		}
		var steps []step
		for _, seg := range strings.Split(alt, ".") {
			name, rest, bracket := strings.Cut(seg, "[")
			if strings.Contains(name, "]") {
				return nil, fmt.Errorf("%q: unexpected ]", alt)
			}
			if bracket && rest == "" {
				return nil, fmt.Errorf("%q: missing ]", alt)
			}
			if name != "" {
				steps = append(steps, step{key: name, index: -1})
			} else if len(steps) > 0 || rest == "" {
				return nil, fmt.Errorf("%q: empty segment", alt)
			}
			for rest != "" {
				inner, after, ok := strings.Cut(rest, "]")
				if !ok {
					return nil, fmt.Errorf("%q: missing ]", alt)
				}
				if k, v, isSel := strings.Cut(inner, "="); isSel {
					if k == "" {
						return nil, fmt.Errorf("%q: empty key in [%s]", alt, inner)
					}
					steps = append(steps, step{index: -1, selKey: k, selValue: v})
				} else {
					n, err := strconv.Atoi(inner)
					if err != nil || n < 0 {
						return nil, fmt.Errorf("%q: [%s] is neither an index nor key=value", alt, inner)
					}
					steps = append(steps, step{index: n})
				}
				if after == "" {
					break
				}
				if after[0] != '[' {
					return nil, fmt.Errorf("%q: unexpected %q after ]", alt, after)
				}
				rest = after[1:]
			}
		}
		out = append(out, steps)
	}
	return out, nil
}

// get returns the first alternative's value that is present and not null
// or empty.
func (p path) get(v any) any {
	for _, steps := range p {
		if r := walk(v, steps); r != nil && r != "" {
			return r
		}
	}
	return nil
}

func walk(v any, steps []step) any {
	for _, s := range steps {
		switch {
		case s.key != "":
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[s.key]
		case s.selKey != "":
			arr, ok := v.([]any)
			if !ok {
				return nil
			}
			v = nil
			for _, el := range arr {
				if m, ok := el.(map[string]any); ok && text(m[s.selKey]) == s.selValue {
					v = el
					break
				}
			}
		default:
			arr, ok := v.([]any)
			if !ok || s.index >= len(arr) {
				return nil
			}
			v = arr[s.index]
		}
		if v == nil {
			return nil
		}
	}
	return v
}

// text is a scalar's text; "" for null, objects and arrays.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}
