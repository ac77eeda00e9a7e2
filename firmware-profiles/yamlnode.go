package profiles

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// checker walks a YAML tree and collects every problem it finds as a
// *ValidationError, so a file reports all its mistakes at once.
type checker struct {
	file string
	errs []*ValidationError
}

// addf records a problem at node n (which may be nil) in field.
func (c *checker) addf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	c.errs = append(c.errs, &ValidationError{File: c.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// entry is one key of a mapping, with the node of its key (for its line)
// and of its value.
type entry struct {
	key, val *yaml.Node
	path     string
}

// fields checks that n is a mapping whose keys are all in known, with no
// key twice, and returns its entries by key. A null value counts as absent.
func (c *checker) fields(n *yaml.Node, path string, known []string) map[string]entry {
	if n.Kind != yaml.MappingNode {
		c.addf(n, path, "want a mapping, got %s", describe(n))
		return nil
	}
	out := make(map[string]entry, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			c.addf(k, path, "want a plain key, got %s", describe(k))
			continue
		}
		p := join(path, k.Value)
		if prev, dup := out[k.Value]; dup {
			c.addf(k, p, "duplicate key (first at line %d)", prev.key.Line)
			continue
		}
		if !slices.Contains(known, k.Value) {
			msg := "unknown key"
			if s := suggest(k.Value, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			c.addf(k, p, "%s", msg)
			continue
		}
		if isNull(v) {
			out[k.Value] = entry{key: k, path: p}
			continue
		}
		out[k.Value] = entry{key: k, val: v, path: p}
	}
	return out
}

// str returns the value of a scalar entry as text; ok is false when the
// entry is absent or not a scalar (the latter is reported).
func (c *checker) str(e entry) (string, bool) {
	if e.val == nil {
		return "", false
	}
	if e.val.Kind != yaml.ScalarNode {
		c.addf(e.val, e.path, "want a string, got %s", describe(e.val))
		return "", false
	}
	return e.val.Value, true
}

// num returns the value of a numeric scalar entry, refusing NaN and
// infinities.
func (c *checker) num(e entry) (float64, bool) {
	if e.val == nil {
		return 0, false
	}
	return c.numNode(e.val, e.path)
}

func (c *checker) numNode(n *yaml.Node, path string) (float64, bool) {
	var f float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&f) != nil {
		c.addf(n, path, "want a number, got %s", describe(n))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		c.addf(n, path, "want a finite number, got %s", n.Value)
		return 0, false
	}
	return f, true
}

// integer returns the value of an integer scalar entry.
func (c *checker) integer(e entry) (int, bool) {
	if e.val == nil {
		return 0, false
	}
	var i int
	if e.val.Kind != yaml.ScalarNode || e.val.ShortTag() != "!!int" || e.val.Decode(&i) != nil {
		c.addf(e.val, e.path, "want an integer, got %s", describe(e.val))
		return 0, false
	}
	return i, true
}

// seq returns the items of a sequence entry.
func (c *checker) seq(e entry) ([]*yaml.Node, bool) {
	if e.val == nil {
		return nil, false
	}
	if e.val.Kind != yaml.SequenceNode {
		c.addf(e.val, e.path, "want a list, got %s", describe(e.val))
		return nil, false
	}
	return e.val.Content, true
}

// strList returns a sequence of scalars as text, reporting duplicates.
func (c *checker) strList(e entry) []string {
	items, ok := c.seq(e)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		p := fmt.Sprintf("%s[%d]", e.path, i)
		if it.Kind != yaml.ScalarNode || isNull(it) {
			c.addf(it, p, "want a string, got %s", describe(it))
			continue
		}
		if slices.Contains(out, it.Value) {
			c.addf(it, p, "duplicate value %q", it.Value)
			continue
		}
		out = append(out, it.Value)
	}
	return out
}

// noAliases reports every anchor, alias and merge key under n: profiles are
// small, and following aliases would let a tiny file expand without bound.
func (c *checker) noAliases(n *yaml.Node) bool {
	ok := true
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			c.addf(n, "", "YAML anchors and aliases are not supported in profiles")
			ok = false
			return
		}
		if depth > 32 {
			c.addf(n, "", "nested too deeply")
			ok = false
			return
		}
		for _, k := range n.Content {
			walk(k, depth+1)
			if !ok {
				return
			}
		}
	}
	walk(n, 0)
	return ok
}

// syntaxError turns an error of the YAML parser into a ValidationError,
// keeping its line number when it has one ("yaml: line 3: ...").
func (c *checker) syntaxError(err error) {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, tail
			}
		}
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = strings.Join(te.Errors, "; ")
	}
	c.errs = append(c.errs, &ValidationError{File: c.file, Line: line, Msg: "invalid YAML: " + msg})
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node holds, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!str":
			return strconv.Quote(n.Value)
		}
		return n.Value
	}
	return "an empty document"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest returns the known key closest to s when it is a likely typo
// (edit distance at most 2), or "".
func suggest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(s, k, bestD); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, giving up (returning
// limit) once it is sure to reach limit.
func editDistance(a, b string, limit int) int {
	if len(a) > 64 || len(b) > 64 || abs(len(a)-len(b)) >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
