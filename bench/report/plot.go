package report

import (
	"math"

	"github.com/tributary-iot/tributary/bench/svgplot"
)

// pauseGap is the gap between samples taken as a pause of the sampler
// (between phases), across which no rate is drawn.
const pauseGap = 3.0

// Chart plots the series: throughput into the edge agent and into the
// cloud (points/s between samples) on top, the edge backlog below, with
// the phases marked.
func (r *Report) Chart() *svgplot.Chart {
	var (
		t, in, vis, backlog []float64
		marks               []svgplot.Mark
	)
	for i, s := range r.Series {
		if i == 0 || s.Phase != r.Series[i-1].Phase {
			marks = append(marks, svgplot.Mark{X: s.T, Label: s.Phase})
		}
		t = append(t, s.T)
		backlog = append(backlog, float64(s.Backlog))
		if i == 0 {
			in, vis = append(in, math.NaN()), append(vis, math.NaN())
			continue
		}
		p := r.Series[i-1]
		dt := s.T - p.T
		if dt <= 0 || dt > pauseGap {
			// A rate across a pause between phases would be made up.
			in, vis = append(in, math.NaN()), append(vis, math.NaN())
			continue
		}
		in = append(in, float64(s.Received-p.Received)/dt)
		vis = append(vis, float64(s.Visible-p.Visible)/dt)
	}
	return &svgplot.Chart{
		Title:  "make bench: throughput and edge backlog over the run",
		XLabel: "seconds since the pipeline started",
		Panels: []svgplot.Panel{
			{Title: "throughput (points/s)", YLabel: "points/s", Series: []svgplot.Series{
				{Name: "into the edge agent", X: t, Y: in},
				{Name: "visible in the cloud", X: t, Y: vis},
			}},
			{Title: "lag: edge backlog (points durable at the edge, not yet in the cloud)", YLabel: "points", Series: []svgplot.Series{
				{Name: "backlog", X: t, Y: backlog},
			}},
		},
		Marks: marks,
	}
}
