package httpapi

import (
	"strconv"
	"strings"
	"time"

	"github.com/tributary-iot/tributary/models"
)

// csvWriter writes points as CSV (RFC 4180, "\n" line ends): a header of
// the columns, then a row per point. Times are RFC 3339 in UTC; a point
// that lacks a field or tag leaves its cell empty. The columns are fixed
// from the first points (see planColumns), which it holds until then.
type csvWriter struct {
	out  *flushWriter
	opts exportOptions
	peek []models.Point
	cols *columns
	row  []byte
	more []byte
	// cells holds one row's field and tag cells, by column.
	cells [][]byte
	n     int
}

func newCSVWriter(out *flushWriter, opts exportOptions) *csvWriter {
	return &csvWriter{out: out, opts: opts}
}

func (w *csvWriter) write(p *models.Point) error {
	if w.cols == nil {
		w.peek = append(w.peek, p.Clone())
		if len(w.peek) < peekPoints {
			return nil
		}
		return w.start()
	}
	return w.writeRow(p)
}

// start fixes the columns, writes the header and the points held.
func (w *csvWriter) start() error {
	w.cols = planColumns(w.peek, w.opts.fields)
	w.cells = make([][]byte, len(w.cols.fields)+len(w.cols.tags))
	w.row = w.row[:0]
	for i, name := range w.cols.names() {
		if i > 0 {
			w.row = append(w.row, ',')
		}
		w.row = appendCSV(w.row, name)
	}
	w.row = append(w.row, '\n')
	if _, err := w.out.Write(w.row); err != nil {
		return err
	}
	peek := w.peek
	w.peek = nil
	for i := range peek {
		if err := w.writeRow(&peek[i]); err != nil {
			return err
		}
	}
	return nil
}

func (w *csvWriter) writeRow(p *models.Point) error {
	for i := range w.cells {
		w.cells[i] = w.cells[i][:0]
	}
	nf := len(w.cols.fields)
	for _, f := range p.Fields {
		i, v := w.cols.field(f)
		if i < 0 || len(w.cells[i]) > 0 {
			continue
		}
		w.cells[i] = appendCSVValue(w.cells[i], v)
	}
	for _, t := range p.Tags {
		if i := w.cols.tag(t.Key); i >= 0 && len(w.cells[nf+i]) == 0 {
			w.cells[nf+i] = appendCSV(w.cells[nf+i], t.Value)
		}
	}
	r := w.row[:0]
	r = time.Unix(0, p.Time).UTC().AppendFormat(r, time.RFC3339Nano)
	r = append(r, ',')
	r = appendCSV(r, p.Device)
	r = append(r, ',')
	r = appendCSV(r, p.Agent)
	r = append(r, ',')
	r = strconv.AppendUint(r, p.Seq, 10)
	r = append(r, ',')
	if p.Received != 0 {
		r = time.Unix(0, p.Received).UTC().AppendFormat(r, time.RFC3339Nano)
	}
	for _, c := range w.cells {
		r = append(r, ',')
		r = append(r, c...)
	}
	if w.cols.more {
		r = append(r, ',')
		w.more = w.cols.appendMore(w.more[:0], p)
		if len(w.more) > 0 {
			r = appendCSV(r, string(w.more))
		}
	}
	r = append(r, '\n')
	w.row = r
	if _, err := w.out.Write(r); err != nil {
		return err
	}
	if w.n++; w.n%flushEvery == 0 {
		return w.out.flush()
	}
	return nil
}

// appendCSVValue appends a field value as a CSV cell.
func appendCSVValue(dst []byte, v models.Value) []byte {
	if v.Kind() == models.KindString {
		return appendCSV(dst, v.Str())
	}
	return v.AppendText(dst)
}

// appendCSV appends s as a CSV cell, quoted when it needs to be.
func appendCSV(dst []byte, s string) []byte {
	if s == "" || !strings.ContainsAny(s, ",\"\r\n") && s[0] != ' ' && s[len(s)-1] != ' ' {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

func (w *csvWriter) close() error {
	if w.cols == nil {
		if err := w.start(); err != nil {
			return err
		}
	}
	return w.out.flush()
}

func (w *csvWriter) fail(error) {
	_ = w.out.flush()
	abort()
}
