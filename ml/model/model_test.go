package model_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/ml/model"
	"github.com/tributary-iot/tributary/models"
)

// steady returns n points of device d: speed alternating 50/51, a
// constant-ish coolant, one point in ten with battery.
func steady(d string, n int, t0 int64) []models.Point {
	var out []models.Point
	for i := range n {
		p := models.Point{Device: d, Time: t0 + int64(i)*1e8, Fields: []models.Field{
			{Key: "speed", Value: models.Float(50 + float64(i%7))},
			{Key: "mode", Value: models.String("eco")},
		}}
		if i%10 == 0 {
			p.Fields = append(p.Fields, models.Field{Key: "battery", Value: models.Float(13 + float64(i%3)/10)})
		}
		out = append(out, p)
	}
	return out
}

func trained(t *testing.T) *model.Model {
	t.Helper()
	tr := model.NewTrainer(1)
	a, b := model.NewTrainer(2), model.NewTrainer(3)
	for i, p := range steady("veh-1", 4000, 0) {
		if i < 2000 {
			a.Add(&p)
		} else {
			b.Add(&p)
		}
	}
	tr.Merge(a)
	tr.Merge(b)
	if tr.Points() != 4000 {
		t.Fatalf("merged %d points", tr.Points())
	}
	return tr.Model("s", model.DefaultParams())
}

func TestModelSaveLoad(t *testing.T) {
	m := trained(t)
	s := m.Devices["veh-1"]["speed"]
	if s == nil || s.N != 4000 || s.Lo < 49.9 || s.Hi > 56.1 || s.Rate != 1 {
		t.Fatalf("speed stats %+v", s)
	}
	if b := m.Devices["veh-1"]["battery"]; b == nil || b.Rate < 0.09 || b.Rate > 0.11 {
		t.Fatalf("battery stats %+v", b)
	}
	if _, ok := m.Devices["veh-1"]["mode"]; ok {
		t.Error("a string field got stats")
	}
	path := filepath.Join(t.TempDir(), "model.json")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := model.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	back.Trained = m.Trained
	if !reflect.DeepEqual(back.Devices, m.Devices) || back.Params != m.Params {
		t.Error("model changed through a file")
	}
	for _, bad := range []string{`{}`, `{"version":1,"params":{"margin":-1}}`, `{"version":1,"params":` + params() + `,"fleet":{"x":{"lo":2,"hi":1}}}`, `nope`} {
		if _, err := model.Decode(strings.NewReader(bad)); !errors.Is(err, model.ErrBadModel) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func params() string {
	return `{"margin":0.3,"jump":20,"narrow":1,"stuck_odds":1e-7,"min_stuck":10,"max_stuck":300,"dropout":6,"min_rate":0.05,"min_samples":200,"hold":"10s"}`
}

func TestScorerFindsEachKind(t *testing.T) {
	m := trained(t)
	sc := model.NewScorer(m)
	var got []model.Anomaly
	report := func(a *model.Anomaly) { got = append(got, *a) }
	score := func(ps []models.Point) {
		for i := range ps {
			sc.Score(&ps[i], report)
		}
	}
	t0 := int64(1e12)
	score(steady("veh-1", 100, t0))
	if len(got) != 0 {
		t.Fatalf("normal points gave %+v", got)
	}
	kinds := func() map[string]string {
		out := map[string]string{}
		for _, a := range got {
			out[a.Signal] = a.Kind
		}
		got = nil
		return out
	}
	// Out of range.
	p := steady("veh-1", 1, t0+200e8)
	p[0].Fields[0].Value = models.Float(500)
	score(p)
	if k := kinds(); k["speed"] != model.KindRange {
		t.Errorf("range: %v", k)
	}
	// Stuck: the same speed for a long run.
	ps := steady("veh-1", 400, t0+300e8)
	for i := range ps {
		ps[i].Fields[0].Value = models.Float(52)
	}
	score(ps)
	if k := kinds(); k["speed"] != model.KindStuck {
		t.Errorf("stuck: %v", k)
	}
	// Dropout: no battery for many points.
	ps = steady("veh-1", 400, t0+800e8)
	for i := range ps {
		ps[i].Fields = ps[i].Fields[:2]
	}
	score(ps)
	if k := kinds(); k["battery"] != model.KindDropout {
		t.Errorf("dropout: %v", k)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"version":1,"params":` + params() + `,"fleet":{"x":{"n":5,"lo":1,"hi":2,"rate":0.5}},"devices":{"d":{"x":{"n":5,"lo":1,"hi":2}}}}`))
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := model.Decode(strings.NewReader(string(data)))
		if err != nil {
			if !errors.Is(err, model.ErrBadModel) {
				t.Fatalf("error %v does not wrap ErrBadModel", err)
			}
			return
		}
		// Whatever decodes scores without failing.
		sc := model.NewScorer(m)
		p := models.Point{Device: "d", Time: 1, Fields: []models.Field{{Key: "x", Value: models.Float(3)}}}
		for range 3 {
			sc.Score(&p, func(*model.Anomaly) {})
		}
	})
}
