package truth_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/simulators/truth"
)

func sample() []truth.Record {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 100e6, time.UTC)
	return []truth.Record{
		{Device: "veh-00001", Profile: "passenger-car", Stream: "vehicle-telemetry", Kind: truth.KindStuck,
			Signal: "rpm", Start: t0, End: t0.Add(30 * time.Second), Points: 301},
		{Device: "veh-00002", Profile: "passenger-car", Stream: "vehicle-telemetry", Kind: truth.KindGPSJump,
			Signal: "lat", Related: []string{"lon"}, Start: t0, End: t0, Points: 1, Truncated: true},
	}
}

func TestWriteRead(t *testing.T) {
	for _, f := range []truth.Format{truth.FormatLines, truth.FormatArray} {
		t.Run(f.String(), func(t *testing.T) {
			for _, recs := range [][]truth.Record{nil, sample()} {
				var buf bytes.Buffer
				w := truth.NewWriter(&buf, f)
				for i := range recs {
					if err := w.Write(&recs[i]); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if w.Count() != len(recs) {
					t.Errorf("Count = %d, want %d", w.Count(), len(recs))
				}
				got, err := truth.Read(&buf)
				if err != nil {
					t.Fatalf("Read: %v\n%s", err, buf.String())
				}
				if len(got) != len(recs) || (len(recs) > 0 && !reflect.DeepEqual(got, recs)) {
					t.Errorf("Read = %+v, want %+v", got, recs)
				}
			}
		})
	}
}

func TestLinesLayout(t *testing.T) {
	var buf bytes.Buffer
	w := truth.NewWriter(&buf, truth.FormatLines)
	recs := sample()
	_ = w.Write(&recs[0])
	_ = w.Close()
	want := `{"device":"veh-00001","profile":"passenger-car","stream":"vehicle-telemetry","kind":"stuck","signal":"rpm","start":"2026-11-25T12:00:00.1Z","end":"2026-11-25T12:00:30.1Z","points":301}` + "\n"
	if buf.String() != want {
		t.Errorf("got  %s\nwant %s", buf.String(), want)
	}
}

func TestReadRejects(t *testing.T) {
	for name, in := range map[string]string{
		"unknown kind": `{"device":"d","signal":"s","kind":"melted","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}`,
		"no device":    `{"signal":"s","kind":"stuck","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}`,
		"end first":    `{"device":"d","signal":"s","kind":"stuck","start":"2026-01-01T00:00:01Z","end":"2026-01-01T00:00:00Z"}`,
		"syntax":       `{"device":`,
		"after array":  `[] {}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := truth.Read(strings.NewReader(in)); err == nil {
				t.Fatal("Read accepted it")
			}
		})
	}
	_, err := truth.Read(strings.NewReader(`{"signal":"s","kind":"stuck","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}`))
	if !errors.Is(err, truth.ErrBadRecord) {
		t.Errorf("err = %v, want ErrBadRecord", err)
	}
}

func TestKinds(t *testing.T) {
	for _, k := range truth.Kinds() {
		got, err := truth.ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k, got, err)
		}
	}
	if len(truth.Kinds()) != 9 {
		t.Errorf("%d kinds, want 9", len(truth.Kinds()))
	}
	if _, err := truth.Kind(0).MarshalText(); err == nil {
		t.Error("invalid kind marshalled")
	}
}

func TestFormatFor(t *testing.T) {
	for path, want := range map[string]truth.Format{
		"a.json": truth.FormatArray, "a.JSON": truth.FormatArray, "a.jsonl": truth.FormatLines,
		"truth.ndjson": truth.FormatLines, "truth": truth.FormatLines,
	} {
		if got := truth.FormatFor(path); got != want {
			t.Errorf("FormatFor(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestContains(t *testing.T) {
	r := sample()[0]
	for _, c := range []struct {
		d    time.Duration
		want bool
	}{{-time.Nanosecond, false}, {0, true}, {30 * time.Second, true}, {30*time.Second + 1, false}} {
		if got := r.Contains(r.Start.Add(c.d)); got != c.want {
			t.Errorf("Contains(start%+v) = %v", c.d, got)
		}
	}
}
