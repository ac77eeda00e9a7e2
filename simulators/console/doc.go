// Package console shows a running simulation to people: a live progress
// line on a terminal (or a log line every few seconds when the output is
// not one), and a summary at the end.
package console
