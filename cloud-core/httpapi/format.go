package httpapi

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"

	"github.com/tinylib/msgp/msgp"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/jsonpoint"
)

// format is an output format of the events and split endpoints.
type format uint8

// The output formats.
const (
	// formatNDJSON is one JSON point a line (appendPoint).
	formatNDJSON format = iota
	// formatCSV is a header row and one point a row (csvWriter).
	formatCSV
	// formatParquet is one Parquet file (parquetWriter).
	formatParquet
	// formatMsgpack is a sequence of MessagePack values: each point as
	// models.Point encodes itself (an 8-element array), and on a failure
	// after the status was sent, a last map {"error": "..."}.
	formatMsgpack
)

var formatNames = [...]string{formatNDJSON: "ndjson", formatCSV: "csv", formatParquet: "parquet", formatMsgpack: "msgpack"}

// String returns the format's name as the format parameter spells it.
func (f format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("format(%d)", uint8(f))
}

// parseFormat reads the format parameter ("" is NDJSON).
func parseFormat(s string) (format, error) {
	if s == "" {
		return formatNDJSON, nil
	}
	for i, name := range formatNames {
		if s == name {
			return format(i), nil
		}
	}
	return 0, fmt.Errorf("format %q: want one of %s", s, strings.Join(formatNames[:], ", "))
}

func (f format) contentType() string {
	switch f {
	case formatCSV:
		return "text/csv; charset=utf-8"
	case formatParquet:
		return "application/vnd.apache.parquet"
	case formatMsgpack:
		return "application/x-msgpack"
	}
	return "application/x-ndjson"
}

// pointWriter writes points in one format to a response whose status was
// sent. Memory is bounded: CSV and Parquet hold the first points until
// they know their columns, Parquet one row group; the rest is streamed.
type pointWriter interface {
	// write writes one point; p is only valid during the call.
	write(p *models.Point) error
	// close ends the body.
	close() error
	// fail ends the body after err: NDJSON and MessagePack with a last
	// record that carries the error; CSV and Parquet, which cannot say
	// it in band, by aborting the response so the client sees a broken
	// transfer and not a short file.
	fail(err error)
}

// exportOptions tune the column formats.
type exportOptions struct {
	// fields, when not nil, are the only field columns (CSV, Parquet).
	fields []string
}

// flushEvery is how many points a streamed response writes between
// flushes to the client.
const flushEvery = 1024

// newPointWriter writes the status and headers and returns the writer of
// the body.
func newPointWriter(f format, w http.ResponseWriter, opts exportOptions) pointWriter {
	w.Header().Set("Content-Type", f.contentType())
	if f == formatParquet || f == formatCSV {
		w.Header().Set("Content-Disposition", `attachment; filename="points.`+f.String()+`"`)
	}
	w.WriteHeader(http.StatusOK)
	out := newFlushWriter(w)
	switch f {
	case formatCSV:
		return newCSVWriter(out, opts)
	case formatParquet:
		return newParquetWriter(out, opts)
	case formatMsgpack:
		return &msgpackWriter{out: out, mw: msgp.NewWriter(out)}
	}
	return &ndjsonWriter{out: out}
}

// flushWriter buffers a response body and flushes it to the client.
type flushWriter struct {
	*bufio.Writer
	flusher http.Flusher
}

func newFlushWriter(w http.ResponseWriter) *flushWriter {
	f, _ := w.(http.Flusher)
	return &flushWriter{Writer: bufio.NewWriterSize(w, 64<<10), flusher: f}
}

// flush sends what is buffered to the client now.
func (f *flushWriter) flush() error {
	if err := f.Flush(); err != nil {
		return err
	}
	if f.flusher != nil {
		f.flusher.Flush()
	}
	return nil
}

// abort ends a response that cannot be finished properly: the client
// sees the transfer broken off.
func abort() {
	panic(http.ErrAbortHandler)
}

// ndjsonWriter writes one JSON point a line.
type ndjsonWriter struct {
	out  *flushWriter
	line []byte
	n    int
}

func (w *ndjsonWriter) write(p *models.Point) error {
	w.line = appendPoint(w.line[:0], p)
	w.line = append(w.line, '\n')
	if _, err := w.out.Write(w.line); err != nil {
		return err
	}
	if w.n++; w.n%flushEvery == 0 {
		return w.out.flush()
	}
	return nil
}

func (w *ndjsonWriter) close() error { return w.out.flush() }

func (w *ndjsonWriter) fail(err error) {
	w.line = appendErrorLine(w.line[:0], err)
	_, _ = w.out.Write(w.line)
	_ = w.out.flush()
}

// appendErrorLine appends {"error":"..."} and a newline.
func appendErrorLine(dst []byte, err error) []byte {
	dst = append(dst, `{"error":`...)
	dst = jsonpoint.AppendString(dst, err.Error())
	return append(dst, "}\n"...)
}

// msgpackWriter writes MessagePack points.
type msgpackWriter struct {
	out *flushWriter
	mw  *msgp.Writer
	n   int
}

func (w *msgpackWriter) write(p *models.Point) error {
	if err := p.EncodeMsg(w.mw); err != nil {
		return err
	}
	if w.n++; w.n%flushEvery == 0 {
		if err := w.mw.Flush(); err != nil {
			return err
		}
		return w.out.flush()
	}
	return nil
}

func (w *msgpackWriter) close() error {
	if err := w.mw.Flush(); err != nil {
		return err
	}
	return w.out.flush()
}

func (w *msgpackWriter) fail(err error) {
	_ = w.mw.WriteMapHeader(1)
	_ = w.mw.WriteString("error")
	_ = w.mw.WriteString(err.Error())
	_ = w.close()
}
