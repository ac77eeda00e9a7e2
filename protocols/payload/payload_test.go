package payload_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/payload"
)

func TestEpochInt(t *testing.T) {
	const base = 1764072000 // 2025-11-25T12:00:00Z
	tests := []struct {
		name string
		in   int64
		want int64
		err  error
	}{
		{"zero", 0, 0, nil},
		{"seconds", base, base * 1e9, nil},
		{"negative seconds", -base, -base * 1e9, nil},
		{"late seconds", 9_000_000_000, 9_000_000_000 * 1e9, nil},
		{"millis", base * 1e3, base * 1e9, nil},
		{"smallest millis", 1e11, 1e11 * 1e6, nil},
		{"micros", base * 1e6, base * 1e9, nil},
		{"nanos", base * 1e9, base * 1e9, nil},
		{"negative nanos", -base * 1e9, -base * 1e9, nil},
		{"min int64", math.MinInt64, math.MinInt64, nil},
		{"max int64", math.MaxInt64, math.MaxInt64, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := payload.EpochInt(tt.in)
			if !errors.Is(err, tt.err) || err == nil && got != tt.want {
				t.Fatalf("EpochInt(%d) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestEpochOverflow(t *testing.T) {
	// 2e10 seconds is the year 2603: past int64 nanoseconds.
	for _, x := range []int64{20_000_000_000, -20_000_000_000, 99_999_999_999_999} {
		if _, err := payload.EpochInt(x); !errors.Is(err, payload.ErrBadTime) {
			t.Errorf("EpochInt(%d): err %v, want ErrBadTime", x, err)
		}
	}
	if _, err := payload.EpochUint(math.MaxUint64); !errors.Is(err, payload.ErrBadTime) {
		t.Errorf("EpochUint(max): err %v", err)
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), 2e10, 9.3e18, -9.3e18} {
		if _, err := payload.EpochFloat(f); !errors.Is(err, payload.ErrBadTime) {
			t.Errorf("EpochFloat(%v): err %v, want ErrBadTime", f, err)
		}
	}
}

func TestEpochDecimalAndParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1764072000", 1764072000e9, true},
		{"1764072000.5", 1764072000500000000, true},
		{"1764072000.123456789", 1764072000123456789, true},
		{"1764072000.1234567899", 1764072000123456789, true}, // beyond ns: truncated
		{"1764072000123", 1764072000123e6, true},
		{"1764072000123.456", 1764072000123456000, true},
		{"1764072000123456", 1764072000123456000, true},
		{"1764072000123456.7", 1764072000123456000 + 700, true},
		{"1764072000123456789", 1764072000123456789, true},
		{"-1.5", -1500000000, true},
		{"0", 0, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"12345678901234567890", 0, false},
		{"1.7640720005e9", 1764072000500000000, true},
		{"2025-11-25T12:00:00Z", 1764072000e9, true},
		{"2025-11-25T12:00:00.000000001Z", 1764072000e9 + 1, true},
		{"2025-11-25T13:00:00+01:00", 1764072000e9, true},
		{"2300-01-01T00:00:00Z", 0, false},
		{"1600-01-01T00:00:00Z", 0, false},
		{"2025-11-25 12:00:00", 0, false},
		{"", 0, false},
		{"abc", 0, false},
		{"1..2", 0, false},
		{"NaN", 0, false},
		{"-", 0, false},
	}
	for _, tt := range tests {
		got, err := payload.ParseTime(tt.in)
		if tt.ok && (err != nil || got != tt.want) {
			t.Errorf("ParseTime(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
		if !tt.ok && !errors.Is(err, payload.ErrBadTime) {
			t.Errorf("ParseTime(%q) = %d, %v; want ErrBadTime", tt.in, got, err)
		}
	}
}

func TestFinish(t *testing.T) {
	f := func(k string, v float64) models.Field { return models.Field{Key: k, Value: models.Float(v)} }
	tests := []struct {
		name string
		p    models.Point
		err  error
		want []models.Field
		tags []models.Tag
	}{
		{name: "sorted", p: models.Point{Device: "d", Stream: "s", Fields: []models.Field{f("a", 1), f("b", 2)}},
			want: []models.Field{f("a", 1), f("b", 2)}},
		{name: "sorts and keeps last duplicate", p: models.Point{Device: "d", Stream: "s",
			Fields: []models.Field{f("c", 1), f("a", 1), f("c", 2), f("b", 1), f("a", 3)},
			Tags:   []models.Tag{{Key: "z", Value: "1"}, {Key: "y", Value: "2"}, {Key: "z", Value: "3"}}},
			want: []models.Field{f("a", 3), f("b", 1), f("c", 2)},
			tags: []models.Tag{{Key: "y", Value: "2"}, {Key: "z", Value: "3"}}},
		{name: "no fields", p: models.Point{Device: "d", Stream: "s"}, err: payload.ErrNoFields},
		{name: "no device", p: models.Point{Stream: "s", Fields: []models.Field{f("a", 1)}}, err: payload.ErrNoDevice},
		{name: "no stream", p: models.Point{Device: "d", Fields: []models.Field{f("a", 1)}}, err: payload.ErrNoStream},
		{name: "bad stream", p: models.Point{Device: "d", Stream: "a.b", Fields: []models.Field{f("a", 1)}}, err: models.ErrBadID},
		{name: "bad device", p: models.Point{Device: "d\n", Stream: "s", Fields: []models.Field{f("a", 1)}}, err: models.ErrBadID},
		{name: "empty key", p: models.Point{Device: "d", Stream: "s", Fields: []models.Field{f("", 1)}}, err: payload.ErrBadKey},
		{name: "long key", p: models.Point{Device: "d", Stream: "s", Fields: []models.Field{f(strings.Repeat("k", 257), 1)}}, err: payload.ErrBadKey},
		{name: "empty tag key", p: models.Point{Device: "d", Stream: "s", Fields: []models.Field{f("a", 1)}, Tags: []models.Tag{{}}}, err: payload.ErrBadKey},
		{name: "invalid value", p: models.Point{Device: "d", Stream: "s", Fields: []models.Field{{Key: "a"}}}, err: payload.ErrBadValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := payload.Finish(&tt.p)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				var pe *payload.Error
				if !errors.As(err, &pe) {
					t.Fatalf("err %T is not a *payload.Error", err)
				}
				return
			}
			if !equalFields(tt.p.Fields, tt.want) {
				t.Errorf("fields = %v, want %v", tt.p.Fields, tt.want)
			}
			if len(tt.p.Tags) != len(tt.tags) {
				t.Errorf("tags = %v, want %v", tt.p.Tags, tt.tags)
			}
			for i := range tt.tags {
				if tt.p.Tags[i] != tt.tags[i] {
					t.Errorf("tags = %v, want %v", tt.p.Tags, tt.tags)
				}
			}
		})
	}
}

func TestFinishManyFields(t *testing.T) {
	// More fields than the insertion sort handles.
	p := models.Point{Device: "d", Stream: "s"}
	for i := 99; i >= 0; i-- {
		p.Fields = append(p.Fields, models.Field{Key: string(rune('A'+i%50)) + string(rune('a'+i/50)), Value: models.Int(int64(i))})
	}
	p.Fields = append(p.Fields, models.Field{Key: "Aa", Value: models.Int(-1)})
	if err := payload.Finish(&p); err != nil {
		t.Fatal(err)
	}
	if len(p.Fields) != 100 {
		t.Fatalf("%d fields, want 100", len(p.Fields))
	}
	for i := 1; i < len(p.Fields); i++ {
		if p.Fields[i-1].Key >= p.Fields[i].Key {
			t.Fatalf("not sorted at %d: %q >= %q", i, p.Fields[i-1].Key, p.Fields[i].Key)
		}
	}
	if v, _ := p.Field("Aa"); v.IntV() != -1 {
		t.Errorf("Aa = %v, want the last value -1", v)
	}
}

func equalFields(a, b []models.Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		e    payload.Error
		want string
	}{
		{payload.Error{Format: "json", Offset: 12, Err: payload.ErrSyntax, Reason: "expected ':'"}, "json: offset 12: syntax error: expected ':'"},
		{payload.Error{Format: "line protocol", Line: 3, Offset: 40, Err: payload.ErrNoFields}, "line protocol: line 3: no fields"},
		{payload.Error{Format: "msgpack", Offset: -1, Err: payload.ErrNoPoints}, "msgpack: no points"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(&tt.e, tt.e.Err) {
			t.Errorf("errors.Is(%v, %v) = false", &tt.e, tt.e.Err)
		}
	}
}

// TestFinishSortMatchesReference holds Finish's sort to a plain stable
// sort that keeps the last of equal keys, for random points of both sizes
// (index sort and fallback) with shared prefixes and duplicates.
func TestFinishSortMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	prefixes := []string{"", "a", "engine_", "engine_x", "z\x00", "b"}
	for round := range 2000 {
		n := 1 + rng.IntN(80)
		p := models.Point{Device: "d", Stream: "s"}
		for i := range n {
			k := prefixes[rng.IntN(len(prefixes))] + string(rune('a'+rng.IntN(6)))
			if rng.IntN(4) == 0 {
				k += "\x00"
			}
			p.Fields = append(p.Fields, models.Field{Key: k, Value: models.Int(int64(i))})
			p.Tags = append(p.Tags, models.Tag{Key: k, Value: strconv.Itoa(i)})
		}
		wantF := slices.Clone(p.Fields)
		slices.SortStableFunc(wantF, func(a, b models.Field) int { return strings.Compare(a.Key, b.Key) })
		wantF = lastOfRuns(wantF, func(f models.Field) string { return f.Key })
		wantT := slices.Clone(p.Tags)
		slices.SortStableFunc(wantT, func(a, b models.Tag) int { return strings.Compare(a.Key, b.Key) })
		wantT = lastOfRuns(wantT, func(t models.Tag) string { return t.Key })
		if err := payload.Finish(&p); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Fields, wantF) || !slices.Equal(p.Tags, wantT) {
			t.Fatalf("round %d (n=%d):\n got %v %v\nwant %v %v", round, n, p.Fields, p.Tags, wantF, wantT)
		}
	}
}

func lastOfRuns[T any](s []T, key func(T) string) []T {
	var out []T
	for i := range s {
		if i+1 < len(s) && key(s[i+1]) == key(s[i]) {
			continue
		}
		out = append(out, s[i])
	}
	return out
}

func TestWrap(t *testing.T) {
	placed := &payload.Error{Format: "x", Offset: 3, Err: payload.ErrSyntax}
	tests := []struct {
		name   string
		err    error
		want   error
		reason string
		same   bool
	}{
		{"placed error kept", placed, payload.ErrSyntax, "", true},
		{"unplaced error", &payload.Error{Offset: -1, Err: payload.ErrNoFields, Reason: "r"}, payload.ErrNoFields, "r", false},
		{"wrapped sentinel", fmt.Errorf("%w: 5 out of range", payload.ErrBadTime), payload.ErrBadTime, "5 out of range", false},
		{"bare sentinel", payload.ErrTooDeep, payload.ErrTooDeep, "", false},
		{"bad id", fmt.Errorf("%w: empty device id", models.ErrBadID), models.ErrBadID, "empty device id", false},
		{"foreign error", errors.New("short bytes"), payload.ErrSyntax, "short bytes", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := payload.Wrap("json", 0, 7, tt.err)
			if tt.same {
				if e != placed {
					t.Fatalf("placed error replaced: %v", e)
				}
				return
			}
			if e.Format != "json" || e.Offset != 7 || e.Err != tt.want || e.Reason != tt.reason {
				t.Errorf("Wrap = %+v, want Err %v Reason %q at 7", *e, tt.want, tt.reason)
			}
		})
	}
}
