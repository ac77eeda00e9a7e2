package svgplot

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Chart is one SVG image: panels stacked top to bottom over a shared x
// axis.
type Chart struct {
	Title  string
	XLabel string
	// Width is the image width in pixels (default 900).
	Width int
	// PanelHeight is each panel's plot height in pixels (default 220).
	PanelHeight int
	Panels      []Panel
	// Marks are vertical lines drawn across every panel.
	Marks []Mark
}

// Panel is one plot area with its own y axis. Its y range starts at 0
// (or below, for negative data) and ends at a tick above the largest value.
type Panel struct {
	Title  string
	YLabel string
	Series []Series
}

// Series is one line. X and Y pair up; points where either is NaN or
// infinite break the line.
type Series struct {
	Name string
	// Color is any SVG color; empty picks one from a fixed palette.
	Color string
	X, Y  []float64
}

// Mark is a labelled vertical line at X.
type Mark struct {
	X     float64
	Label string
}

// paletteColor returns the i-th color of a fixed palette, cycling.
func paletteColor(i int) string {
	colors := [...]string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}
	return colors[i%len(colors)]
}

const (
	marginLeft   = 70
	marginRight  = 20
	marginTop    = 64
	panelGap     = 64
	marginBottom = 50
)

// WriteTo writes the chart as an SVG document.
func (c *Chart) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(c.SVG())
	return int64(n), err
}

// SVG returns the chart as an SVG document.
func (c *Chart) SVG() []byte {
	width := c.Width
	if width <= 0 {
		width = 900
	}
	ph := c.PanelHeight
	if ph <= 0 {
		ph = 220
	}
	height := marginTop + len(c.Panels)*ph + max(len(c.Panels)-1, 0)*panelGap + marginBottom
	plotW := float64(width - marginLeft - marginRight)

	xlo, xhi := c.xRange()
	xticks := Ticks(xlo, xhi, 8)
	if len(xticks) > 0 {
		xlo, xhi = min(xlo, xticks[0]), max(xhi, xticks[len(xticks)-1])
	}
	xpos := func(x float64) float64 { return marginLeft + (x-xlo)/(xhi-xlo)*plotW }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	if c.Title != "" {
		fmt.Fprintf(&b, `<text x="%d" y="22" font-size="14" font-weight="bold">%s</text>`+"\n", marginLeft, esc(c.Title))
	}
	for i, p := range c.Panels {
		top := float64(marginTop + i*(ph+panelGap))
		c.panel(&b, &p, i, top, float64(ph), plotW, xlo, xhi, xticks, xpos, i == len(c.Panels)-1)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// panel draws one panel whose plot area starts at y = top.
func (c *Chart) panel(b *bytes.Buffer, p *Panel, index int, top, ph, plotW, xlo, xhi float64, xticks []float64,
	xpos func(float64) float64, last bool) {
	ylo, yhi := yRange(p)
	yticks := Ticks(ylo, yhi, 5)
	if len(yticks) > 0 {
		ylo, yhi = min(ylo, yticks[0]), max(yhi, yticks[len(yticks)-1])
	}
	ypos := func(y float64) float64 { return top + ph - (y-ylo)/(yhi-ylo)*ph }
	left, right := float64(marginLeft), float64(marginLeft)+plotW

	fmt.Fprintf(b, `<g id="panel-%d">`+"\n", index)
	if p.Title != "" {
		fmt.Fprintf(b, `<text x="%s" y="%s" font-size="12" font-weight="bold">%s</text>`+"\n", num(left), num(top-24), esc(p.Title))
	}
	for _, t := range yticks {
		y := ypos(t)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e0e0e0"/>`+"\n", num(left), num(y), num(right), num(y))
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end">%s</text>`+"\n", num(left-6), num(y+4), esc(Format(t)))
	}
	for _, t := range xticks {
		x := xpos(t)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#f0f0f0"/>`+"\n", num(x), num(top), num(x), num(top+ph))
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num(x), num(top+ph+14), esc(Format(t)))
	}
	fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#444"/>`+"\n", num(left), num(top), num(plotW), num(ph))
	if p.YLabel != "" {
		fmt.Fprintf(b, `<text transform="translate(14 %s) rotate(-90)" text-anchor="middle">%s</text>`+"\n", num(top+ph/2), esc(p.YLabel))
	}
	if last && c.XLabel != "" {
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num(left+plotW/2), num(top+ph+34), esc(c.XLabel))
	}
	for mi, m := range c.Marks {
		if m.X < xlo || m.X > xhi || math.IsNaN(m.X) {
			continue
		}
		x := xpos(m.X)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#888" stroke-dasharray="4 3"/>`+"\n", num(x), num(top), num(x), num(top+ph))
		if index == 0 && m.Label != "" {
			// Labels alternate between two rows, so close marks stay
			// legible; near the right edge they go left of the line.
			lx, anchor := x+3, "start"
			if right-x < 60 {
				lx, anchor = x-3, "end"
			}
			fmt.Fprintf(b, `<text x="%s" y="%s" fill="#555" text-anchor="%s">%s</text>`+"\n",
				num(lx), num(top+12+float64(mi%2)*12), anchor, esc(m.Label))
		}
	}
	// Legend: one row above the plot, right-aligned (text width estimated).
	legendX := right
	for si := len(p.Series) - 1; si >= 0; si-- {
		legendX -= 28 + 6.2*float64(len(p.Series[si].Name))
	}
	for si, s := range p.Series {
		color := s.Color
		if color == "" {
			color = paletteColor(si)
		}
		ly := top - 8
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"/>`+"\n",
			num(legendX), num(ly-4), num(legendX+16), num(ly-4), esc(color))
		fmt.Fprintf(b, `<text x="%s" y="%s">%s</text>`+"\n", num(legendX+20), num(ly), esc(s.Name))
		legendX += 28 + 6.2*float64(len(s.Name))
		for _, run := range runs(s, xpos, ypos) {
			if len(run) == 1 {
				fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="2" fill="%s"/>`+"\n", num(run[0][0]), num(run[0][1]), esc(color))
				continue
			}
			b.WriteString(`<polyline fill="none" stroke-width="1.5" stroke="` + esc(color) + `" points="`)
			for j, pt := range run {
				if j > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(num(pt[0]) + "," + num(pt[1]))
			}
			b.WriteString("\"/>\n")
		}
	}
	b.WriteString("</g>\n")
}

// runs splits a series into runs of drawable points in pixel coordinates.
func runs(s Series, xpos, ypos func(float64) float64) [][][2]float64 {
	var out [][][2]float64
	var cur [][2]float64
	for i := range min(len(s.X), len(s.Y)) {
		x, y := s.X[i], s.Y[i]
		if !finite(x) || !finite(y) {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, [2]float64{xpos(x), ypos(y)})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func (c *Chart) xRange() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range c.Panels {
		for _, s := range p.Series {
			for i := range min(len(s.X), len(s.Y)) {
				if finite(s.X[i]) && finite(s.Y[i]) {
					lo, hi = min(lo, s.X[i]), max(hi, s.X[i])
				}
			}
		}
	}
	for _, m := range c.Marks {
		if finite(m.X) {
			lo, hi = min(lo, m.X), max(hi, m.X)
		}
	}
	return span(lo, hi)
}

func yRange(p *Panel) (lo, hi float64) {
	lo, hi = 0, math.Inf(-1)
	for _, s := range p.Series {
		for i := range min(len(s.X), len(s.Y)) {
			if finite(s.X[i]) && finite(s.Y[i]) {
				lo, hi = min(lo, s.Y[i]), max(hi, s.Y[i])
			}
		}
	}
	return span(lo, hi)
}

// span makes [lo, hi] a usable, non-empty range.
func span(lo, hi float64) (float64, float64) {
	switch {
	case lo > hi: // no data
		return 0, 1
	case lo == hi:
		return lo, lo + math.Max(1, math.Abs(lo)*0.1)
	}
	return lo, hi
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// num formats a pixel coordinate.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
