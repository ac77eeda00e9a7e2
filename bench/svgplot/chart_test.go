package svgplot_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/bench/svgplot"
)

// elements parses doc as XML and counts its elements by name; it fails
// the test if doc is not well-formed.
func elements(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	n := map[string]int{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		if se, ok := tok.(xml.StartElement); ok {
			n[se.Name.Local]++
		}
	}
}

func TestChartSVG(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name          string
		chart         svgplot.Chart
		wantPolylines int
		wantCircles   int
		wantText      []string
	}{
		{
			name: "two panels, a mark, escaped text",
			chart: svgplot.Chart{
				Title: "throughput <&> lag", XLabel: "seconds",
				Panels: []svgplot.Panel{
					{Title: "points/s", Series: []svgplot.Series{
						{Name: "cloud", X: []float64{0, 1, 2, 3}, Y: []float64{0, 1e5, 2e5, 1.5e5}},
						{Name: "edge", X: []float64{0, 1, 2, 3}, Y: []float64{0, 1.2e5, 2e5, 1.4e5}},
					}},
					{Title: "lag", Series: []svgplot.Series{{Name: "points", X: []float64{0, 1, 2, 3}, Y: []float64{0, 5, 9, 2}}}},
				},
				Marks: []svgplot.Mark{{X: 1.5, Label: "half load"}},
			},
			wantPolylines: 3,
			wantText:      []string{"throughput &lt;&amp;&gt; lag", "half load", "200k", "seconds"},
		},
		{
			name: "NaN breaks a line; a lone point is a circle",
			chart: svgplot.Chart{Panels: []svgplot.Panel{{Series: []svgplot.Series{
				{Name: "s", X: []float64{0, 1, 2, 3, 4}, Y: []float64{1, 2, nan, 3, 4}},
				{Name: "lone", X: []float64{2}, Y: []float64{7}},
			}}}},
			wantPolylines: 2,
			wantCircles:   1,
		},
		{
			name:  "no data at all",
			chart: svgplot.Chart{Title: "empty", Panels: []svgplot.Panel{{Title: "nothing"}}},
		},
		{
			name: "flat series",
			chart: svgplot.Chart{Panels: []svgplot.Panel{{Series: []svgplot.Series{
				{Name: "zero", X: []float64{5, 5}, Y: []float64{0, 0}},
			}}}},
			wantPolylines: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.chart.SVG()
			n := elements(t, doc)
			if n["svg"] != 1 || n["polyline"] != tc.wantPolylines || n["circle"] != tc.wantCircles {
				t.Errorf("svg %d polylines %d circles %d, want 1, %d, %d", n["svg"], n["polyline"], n["circle"], tc.wantPolylines, tc.wantCircles)
			}
			if n["g"] != len(tc.chart.Panels) {
				t.Errorf("%d panel groups, want %d", n["g"], len(tc.chart.Panels))
			}
			for _, s := range tc.wantText {
				if !bytes.Contains(doc, []byte(s)) {
					t.Errorf("output lacks %q", s)
				}
			}
			if bytes.Contains(doc, []byte("NaN")) || bytes.Contains(doc, []byte("Inf")) {
				t.Errorf("output has a non-finite number:\n%s", doc)
			}
			if again := tc.chart.SVG(); !bytes.Equal(doc, again) {
				t.Error("output differs between two calls")
			}
		})
	}
}

func TestPointsInsidePlot(t *testing.T) {
	c := svgplot.Chart{Width: 500, PanelHeight: 100, Panels: []svgplot.Panel{{Series: []svgplot.Series{
		{Name: "s", X: []float64{10, 20, 30}, Y: []float64{3, 97, 50}},
	}}}}
	doc := string(c.SVG())
	_, rest, ok := strings.Cut(doc, `points="`)
	if !ok {
		t.Fatal("no polyline")
	}
	pts, _, _ := strings.Cut(rest, `"`)
	for _, p := range strings.Fields(pts) {
		var x, y float64
		xs, ys, _ := strings.Cut(p, ",")
		x, y = parse(t, xs), parse(t, ys)
		// Plot area: x in [70, 480], y in [64, 164].
		if x < 70 || x > 480 || y < 64 || y > 164 {
			t.Errorf("point %v,%v outside the plot area", x, y)
		}
	}
}

func parse(t *testing.T, s string) float64 {
	t.Helper()
	var f float64
	if err := xml.Unmarshal([]byte("<v>"+s+"</v>"), &f); err != nil {
		t.Fatalf("number %q: %v", s, err)
	}
	return f
}

func TestTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 97, 5, []float64{0, 20, 40, 60, 80, 100}},
		{0, 1, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{-3, 3, 3, []float64{-4, -2, 0, 2, 4}},
		{0, 180000, 5, []float64{0, 50000, 100000, 150000, 200000}},
		{5, 5, 5, nil},
		{0, math.Inf(1), 5, nil},
		{0, 10, 0, nil},
	}
	for _, tc := range tests {
		got := svgplot.Ticks(tc.lo, tc.hi, tc.n)
		if !slices.EqualFunc(got, tc.want, func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }) {
			t.Errorf("Ticks(%v, %v, %d) = %v, want %v", tc.lo, tc.hi, tc.n, got, tc.want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := map[float64]string{0: "0", 0.25: "0.25", 1500: "1.5k", 2e6: "2M", -3e3: "-3k", 120000: "120k", 3.5e9: "3.5G"}
	for v, want := range tests {
		if got := svgplot.Format(v); got != want {
			t.Errorf("Format(%v) = %q, want %q", v, got, want)
		}
	}
}
