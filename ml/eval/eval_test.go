package eval_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/ml/eval"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func TestReadTruth(t *testing.T) {
	lines := `{"device":"veh-1","profile":"passenger-car","stream":"vt","kind":"spike","signal":"rpm","start":"2026-11-25T12:00:10Z","end":"2026-11-25T12:00:10Z","points":1}

{"device":"veh-2","kind":"gps_jump","signal":"lat","related":["lon"],"start":"2026-11-25T12:00:20Z","end":"2026-11-25T12:00:25Z","points":3,"truncated":true}
`
	for _, in := range []string{lines, "[" + strings.ReplaceAll(strings.TrimSpace(strings.ReplaceAll(lines, "\n\n", "\n")), "\n", ",") + "]"} {
		got, err := eval.ReadTruth(strings.NewReader(in))
		if err != nil || len(got) != 2 || got[1].Related[0] != "lon" || !got[0].Start.Equal(at(10)) {
			t.Errorf("%q: %+v %v", in, got, err)
		}
	}
	if got, err := eval.ReadTruth(strings.NewReader("  \n")); err != nil || len(got) != 0 {
		t.Errorf("empty: %v %v", got, err)
	}
	for _, bad := range []string{`{"device":"d"}`, `{`, `[{"device":"d","kind":"spike","signal":"s","start":"2026-11-25T12:00:10Z","end":"2026-11-25T12:00:09Z"}]`} {
		if _, err := eval.ReadTruth(strings.NewReader(bad)); !errors.Is(err, eval.ErrBadTruth) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestEvaluate(t *testing.T) {
	truth := []eval.Truth{
		{Device: "a", Kind: "spike", Signal: "rpm", Start: at(100), End: at(100)},
		{Device: "a", Kind: "gps_jump", Signal: "lat", Related: []string{"lon"}, Start: at(200), End: at(203)},
		{Device: "b", Kind: "stuck", Signal: "speed", Start: at(50), End: at(80)},
		{Device: "b", Kind: "dropout", Signal: "rpm", Start: at(300), End: at(320)},
	}
	dets := []eval.Detection{
		{Device: "a", Signal: "rpm", Kind: "range", Time: at(100)},
		{Device: "a", Signal: "rpm", Kind: "jump", Time: at(101)}, // same event
		{Device: "a", Signal: "lon", Kind: "jump", Time: at(201)}, // a related signal
		{Device: "b", Signal: "speed", Kind: "stuck", Time: at(83)},
		{Device: "b", Signal: "rpm", Kind: "range", Time: at(500)}, // false
		{Device: "c", Signal: "rpm", Kind: "range", Time: at(100)}, // false
	}
	r := eval.Evaluate(truth, dets, eval.Options{})
	if r.Truth != 4 || r.Detected != 3 || r.Events != 5 || r.Matched != 3 {
		t.Fatalf("%+v", r)
	}
	if r.Precision != 0.6 || r.Recall != 0.75 || r.ByKind["dropout"].Recall != 0 || r.ByKind["stuck"].Recall != 1 {
		t.Errorf("%+v", r)
	}
	if r.EventsByKind["range"] != 3 || r.MatchedByKind["range"] != 1 {
		t.Errorf("by kind %v %v", r.EventsByKind, r.MatchedByKind)
	}
	if z := eval.Evaluate(nil, nil, eval.Options{}); z.Precision != 0 || z.Recall != 0 || z.F1 != 0 {
		t.Errorf("nothing: %+v", z)
	}
}

func FuzzReadTruth(f *testing.F) {
	f.Add([]byte(`{"device":"veh-1","kind":"spike","signal":"rpm","start":"2026-11-25T12:00:10Z","end":"2026-11-25T12:00:10Z"}`))
	f.Add([]byte(`[{"device":"d","kind":"k","signal":"s","start":"2026-11-25T12:00:10Z","end":"2026-11-25T12:00:11Z"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := eval.ReadTruth(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for _, tr := range got {
			if tr.Device == "" || tr.Signal == "" || tr.End.Before(tr.Start) {
				t.Fatalf("accepted %+v", tr)
			}
		}
		_ = eval.Evaluate(got, nil, eval.Options{})
	})
}
