package tier2

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/tributary-iot/tributary/models"
)

// The fixed columns of every chunk.
const (
	colDevice   = "device"
	colTime     = "time"
	colSeq      = "seq"
	colAgent    = "agent"
	colReceived = "received"
	// colPos holds each row's tier-1 position, in chunks written with
	// ChunkSpec.Positions.
	colPos = "pos"
)

// reserved holds the column names that field and tag columns never take:
// the fixed columns, and "stream" and "date", which Hive-style readers add
// from the directory names.
var reserved = [...]string{colDevice, colTime, colSeq, colAgent, colReceived, colPos, "stream", "date"}

const (
	tagPrefix   = "tag_"
	fieldPrefix = "field_"
	kindSep     = "__"
	// maxScale is the most decimals a float column may have and still be
	// stored as DECIMAL.
	maxScale = 9
	// decimalPrecision is the precision of every DECIMAL column: the most an
	// INT64 holds.
	decimalPrecision = 18
)

// pow10 holds the exact powers of ten up to 10^maxScale.
var pow10 = [maxScale + 1]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// maxExact bounds |unscaled| so that float64(unscaled) is exact.
const maxExact = 1 << 53

// sortKey orders one point in a chunk.
type sortKey struct {
	device uint32 // rank of the device id among the chunk's devices
	time   int64
	seq    uint64
	index  int32 // index in the caller's slice
}

// chunkPlan is everything Write decides before it writes a byte.
type chunkPlan struct {
	info    ChunkInfo
	order   []sortKey
	devices []string // sorted distinct device ids; sortKey.device indexes it
	groups  []rowGroupBounds
}

// fieldID names one field column during planning.
type fieldID struct {
	key  string
	kind models.Kind
}

// floatState tracks whether a float column can be a DECIMAL.
type floatState struct {
	scale int
	ok    bool
}

// planChunk sorts the points, finds the columns and their types, and bounds
// the row groups.
func planChunk(spec ChunkSpec, points []models.Point, rowGroupRows int) *chunkPlan {
	p := &chunkPlan{info: ChunkInfo{
		Stream: spec.Stream, Segment: spec.Segment, FirstPos: spec.FirstPos, LastPos: spec.LastPos,
		Rows: int64(len(points)), Positions: spec.Positions != nil,
	}}
	p.sortPoints(points)

	kinds := make(map[string]*[models.KindString + 1]int64)
	tags := make(map[string]int64)
	floats := make(map[string]*floatState)
	for i := range points {
		pt := &points[i]
		for j, f := range pt.Fields {
			k := f.Value.Kind()
			if k == models.KindInvalid || k > models.KindString || dupField(pt.Fields[:j], f) {
				continue
			}
			c := kinds[f.Key]
			if c == nil {
				c = new([models.KindString + 1]int64)
				kinds[f.Key] = c
			}
			c[k]++
			if k == models.KindFloat {
				st := floats[f.Key]
				if st == nil {
					st = &floatState{ok: true}
					floats[f.Key] = st
				}
				if st.ok {
					st.scale, st.ok = decimalScale(f.Value.FloatV(), st.scale)
				}
			}
		}
		for j, t := range pt.Tags {
			if !dupTag(pt.Tags[:j], t.Key) {
				tags[t.Key]++
			}
		}
	}
	verifyDecimals(points, floats)
	p.nameColumns(kinds, tags, floats)
	p.boundGroups(points, rowGroupRows)
	return p
}

func dupField(before []models.Field, f models.Field) bool {
	for _, b := range before {
		if b.Key == f.Key && b.Value.Kind() == f.Value.Kind() {
			return true
		}
	}
	return false
}

func dupTag(before []models.Tag, key string) bool {
	for _, b := range before {
		if b.Key == key {
			return true
		}
	}
	return false
}

// sortPoints orders the points by (device, time, seq), stably.
func (p *chunkPlan) sortPoints(points []models.Point) {
	rank := make(map[string]uint32)
	for i := range points {
		if _, ok := rank[points[i].Device]; !ok {
			rank[points[i].Device] = 0
			p.devices = append(p.devices, points[i].Device)
		}
	}
	slices.Sort(p.devices)
	for i, d := range p.devices {
		rank[d] = uint32(i)
	}
	p.order = make([]sortKey, len(points))
	p.info.MinTime, p.info.MaxTime = math.MaxInt64, math.MinInt64
	for i := range points {
		pt := &points[i]
		p.order[i] = sortKey{device: rank[pt.Device], time: pt.Time, seq: pt.Seq, index: int32(i)}
		p.info.MinTime = min(p.info.MinTime, pt.Time)
		p.info.MaxTime = max(p.info.MaxTime, pt.Time)
	}
	slices.SortFunc(p.order, func(a, b sortKey) int {
		return cmp.Or(cmp.Compare(a.device, b.device), cmp.Compare(a.time, b.time),
			cmp.Compare(a.seq, b.seq), cmp.Compare(a.index, b.index))
	})
	p.info.Devices = len(p.devices)
	p.info.MinDevice, p.info.MaxDevice = p.devices[0], p.devices[len(p.devices)-1]
}

// decimalScale returns the fewest decimals, at least from, with which x is
// stored exactly as a DECIMAL, or false if it cannot be.
func decimalScale(x float64, from int) (int, bool) {
	for s := from; s <= maxScale; s++ {
		if decimalExact(x, s) {
			return s, true
		}
	}
	return 0, false
}

// decimalExact reports whether x survives a trip through an INT64 unscaled
// value at scale s: float64(round(x*10^s)) / 10^s == x, bit for bit. Both
// the product's rounding and the division are exact or correctly rounded
// while |unscaled| < 2^53, so a reader dividing the decimal by 10^s (or
// parsing its text) gets x back. NaN, ±Inf and -0 never pass.
func decimalExact(x float64, s int) bool {
	m := math.Round(x * pow10[s])
	if !(math.Abs(m) < maxExact) {
		return false
	}
	return math.Float64bits(float64(int64(m))/pow10[s]) == math.Float64bits(x)
}

// unscaled returns x as the INT64 of a DECIMAL at scale s; decimalExact(x, s)
// must hold.
func unscaled(x float64, s int) int64 { return int64(math.Round(x * pow10[s])) }

// verifyDecimals checks every float value at its column's final scale and
// demotes the columns where one does not fit to DOUBLE.
func verifyDecimals(points []models.Point, floats map[string]*floatState) {
	for i := range points {
		for _, f := range points[i].Fields {
			if f.Value.Kind() != models.KindFloat {
				continue
			}
			if st := floats[f.Key]; st.ok && !decimalExact(f.Value.FloatV(), st.scale) {
				st.ok = false
			}
		}
	}
}

// nameColumns picks the field and tag columns and their names.
func (p *chunkPlan) nameColumns(kinds map[string]*[models.KindString + 1]int64, tags map[string]int64, floats map[string]*floatState) {
	taken := make(map[string]bool, len(reserved)+len(kinds)+len(tags))
	for _, r := range reserved {
		taken[r] = true
	}
	claim := func(name, prefix string) string {
		for name == "" || taken[name] {
			name = prefix + name
		}
		taken[name] = true
		return name
	}
	for _, key := range sortedKeys(tags) {
		p.info.Tags = append(p.info.Tags, TagSchema{Key: key, Column: claim(tagPrefix+key, tagPrefix), Values: tags[key]})
	}
	for _, key := range sortedKeys(kinds) {
		counts := kinds[key]
		primary := models.KindFloat
		for k := models.KindFloat; k <= models.KindString; k++ {
			if counts[k] > counts[primary] {
				primary = k
			}
		}
		// The primary kind takes the key as its name; others get a suffix.
		order := []models.Kind{primary}
		for k := models.KindFloat; k <= models.KindString; k++ {
			if k != primary && counts[k] > 0 {
				order = append(order, k)
			}
		}
		for _, k := range order {
			name := key
			if k != primary {
				name = key + kindSep + k.String()
			}
			fs := FieldSchema{Key: key, Kind: k, Column: claim(name, fieldPrefix), Values: counts[k]}
			if st := floats[key]; k == models.KindFloat && st.ok {
				fs.Decimal, fs.Scale = true, st.scale
			}
			p.info.Fields = append(p.info.Fields, fs)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// boundGroups cuts the sorted rows into row groups and bounds each.
func (p *chunkPlan) boundGroups(points []models.Point, rowGroupRows int) {
	for lo := 0; lo < len(p.order); lo += rowGroupRows {
		hi := min(lo+rowGroupRows, len(p.order))
		g := rowGroupBounds{
			Rows:      int64(hi - lo),
			MinTime:   math.MaxInt64,
			MaxTime:   math.MinInt64,
			MinDevice: p.devices[p.order[lo].device],
			MaxDevice: p.devices[p.order[hi-1].device],
		}
		for _, k := range p.order[lo:hi] {
			g.MinTime = min(g.MinTime, k.time)
			g.MaxTime = max(g.MaxTime, k.time)
		}
		p.groups = append(p.groups, g)
	}
	p.info.RowGroups = len(p.groups)
}

// fieldColumn returns the index in p.info.Fields of the column for a field
// of that key and kind, or -1.
func (p *chunkPlan) fieldColumn(id fieldID) int {
	i, ok := slices.BinarySearchFunc(p.info.Fields, id, func(f FieldSchema, id fieldID) int {
		return strings.Compare(f.Key, id.key)
	})
	if !ok {
		return -1
	}
	for ; i < len(p.info.Fields) && p.info.Fields[i].Key == id.key; i++ {
		if p.info.Fields[i].Kind == id.kind {
			return i
		}
	}
	return -1
}
