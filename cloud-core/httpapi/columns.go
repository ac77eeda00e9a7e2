package httpapi

import (
	"math"
	"slices"
	"strings"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/jsonpoint"
)

// peekPoints is how many points the column formats look at before they
// fix their columns.
const peekPoints = 4096

// Fixed columns of the CSV and Parquet exports, in CSV order.
const (
	colTime     = "time"
	colDevice   = "device"
	colAgent    = "agent"
	colSeq      = "seq"
	colReceived = "received"
	// colMore holds, as a JSON object, the fields and tags of a point
	// that have no column of their own (first seen after the columns
	// were fixed, or of another kind); absent when the request names its
	// fields.
	colMore = "more"
)

// Prefixes that keep column names apart, as in tier-2 chunks.
const (
	tagPrefix   = "tag_"
	fieldPrefix = "field_"
	kindSep     = "__"
)

// fieldColumn is one field column: the field key and kind it holds.
type fieldColumn struct {
	key  string
	kind models.Kind
	name string
}

// tagColumn is one tag column.
type tagColumn struct {
	key  string
	name string
}

// columns are the columns of an export, fixed from its first points.
type columns struct {
	fields []fieldColumn
	tags   []tagColumn
	// more says whether the export has the colMore column.
	more bool
	// pinned says the fields were named by the request: values without a
	// column are dropped, not put in colMore.
	pinned bool

	byField map[fieldKey]int
	byKey   map[string]int // the column of a key's first kind
	byTag   map[string]int
}

type fieldKey struct {
	key  string
	kind models.Kind
}

// planColumns fixes the columns from the first points: every field key
// with the kind it has most often taking the key's name (other kinds get
// a "__kind" suffix), every tag as "tag_<key>", names that clash with the
// fixed columns prefixed. With pinned fields, only those keys (as floats
// when the points do not show their kind).
func planColumns(peek []models.Point, pinned []string) *columns {
	counts := map[string]*[models.KindString + 1]int{}
	tags := map[string]bool{}
	for i := range peek {
		for _, f := range peek[i].Fields {
			if k := f.Value.Kind(); k > models.KindInvalid && k <= models.KindString {
				c := counts[f.Key]
				if c == nil {
					c = new([models.KindString + 1]int)
					counts[f.Key] = c
				}
				c[k]++
			}
		}
		for _, t := range peek[i].Tags {
			tags[t.Key] = true
		}
	}
	c := &columns{byField: map[fieldKey]int{}, byKey: map[string]int{}, byTag: map[string]int{}, more: pinned == nil, pinned: pinned != nil}
	taken := map[string]bool{colTime: true, colDevice: true, colAgent: true, colSeq: true, colReceived: true, colMore: true, "stream": true}
	claim := func(name, prefix string) string {
		for name == "" || taken[name] {
			name = prefix + name
		}
		taken[name] = true
		return name
	}
	for _, key := range sortedSet(tags) {
		c.byTag[key] = len(c.tags)
		c.tags = append(c.tags, tagColumn{key: key, name: claim(tagPrefix+key, tagPrefix)})
	}
	keys := pinned
	if keys == nil {
		keys = make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	for _, key := range keys {
		if _, dup := c.byKey[key]; dup {
			continue
		}
		kinds := []models.Kind{models.KindFloat}
		if n := counts[key]; n != nil {
			kinds = kindsByCount(n)
		}
		if pinned != nil {
			kinds = kinds[:1]
		}
		for i, k := range kinds {
			name := key
			if i > 0 {
				name = key + kindSep + k.String()
			}
			idx := len(c.fields)
			c.fields = append(c.fields, fieldColumn{key: key, kind: k, name: claim(name, fieldPrefix)})
			c.byField[fieldKey{key, k}] = idx
			if i == 0 {
				c.byKey[key] = idx
			}
		}
	}
	return c
}

// kindsByCount returns the kinds seen, the most frequent first (ties in
// kind order).
func kindsByCount(n *[models.KindString + 1]int) []models.Kind {
	var kinds []models.Kind
	for k := models.KindFloat; k <= models.KindString; k++ {
		if n[k] > 0 {
			kinds = append(kinds, k)
		}
	}
	slices.SortStableFunc(kinds, func(a, b models.Kind) int { return n[b] - n[a] })
	return kinds
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// field returns the column of a field value and the value converted to
// the column's kind, or -1 when it has no column. An int or uint goes to
// its key's float column when it has none of its own kind.
func (c *columns) field(f models.Field) (int, models.Value) {
	k := f.Value.Kind()
	if i, ok := c.byField[fieldKey{f.Key, k}]; ok {
		return i, f.Value
	}
	i, ok := c.byKey[f.Key]
	if !ok {
		return -1, f.Value
	}
	if c.fields[i].kind == models.KindFloat && (k == models.KindInt || k == models.KindUint) {
		return i, models.Float(f.Value.FloatV())
	}
	return -1, f.Value
}

// tag returns the column of a tag, or -1.
func (c *columns) tag(key string) int {
	if i, ok := c.byTag[key]; ok {
		return i
	}
	return -1
}

// appendMore appends the JSON object of p's fields and tags that have no
// column (tags as "tag_<key>"), or nothing when all have one.
func (c *columns) appendMore(dst []byte, p *models.Point) []byte {
	if !c.more {
		return dst
	}
	n0, n := len(dst), 0
	add := func(key string) {
		if n == 0 {
			dst = append(dst, '{')
		} else {
			dst = append(dst, ',')
		}
		n++
		dst = jsonpoint.AppendString(dst, key)
		dst = append(dst, ':')
	}
	for _, f := range p.Fields {
		if i, _ := c.field(f); i >= 0 || !f.Value.IsValid() {
			continue
		}
		n1 := len(dst)
		add(f.Key)
		if f.Value.Kind() == models.KindFloat {
			x := f.Value.FloatV()
			if math.IsNaN(x) || math.IsInf(x, 0) {
				dst, n = dst[:n1], n-1
				continue
			}
		}
		dst = appendValueJSON(dst, f.Value)
	}
	for _, t := range p.Tags {
		if c.tag(t.Key) >= 0 {
			continue
		}
		add(tagPrefix + t.Key)
		dst = jsonpoint.AppendString(dst, t.Value)
	}
	if n == 0 {
		return dst[:n0]
	}
	return append(dst, '}')
}

// appendValueJSON appends a valid, finite value as JSON.
func appendValueJSON(dst []byte, v models.Value) []byte {
	switch v.Kind() {
	case models.KindFloat:
		return jsonpoint.AppendFloat(dst, v.FloatV())
	case models.KindInt, models.KindUint, models.KindBool:
		return v.AppendText(dst)
	}
	return jsonpoint.AppendString(dst, v.Str())
}

// names returns every column name in CSV order.
func (c *columns) names() []string {
	out := []string{colTime, colDevice, colAgent, colSeq, colReceived}
	for _, f := range c.fields {
		out = append(out, f.name)
	}
	for _, t := range c.tags {
		out = append(out, t.name)
	}
	if c.more {
		out = append(out, colMore)
	}
	return out
}

// parseFields reads the fields parameter: a comma list of field keys.
func parseFields(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}
