// Package svgplot draws line charts as standalone SVG: stacked panels that
// share an x axis, each with its own y axis, series as polylines, and
// vertical marks across all panels (make bench marks its phases with
// them). It has no dependencies beyond the standard library and writes
// deterministic output for the same input.
package svgplot
