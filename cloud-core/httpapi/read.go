package httpapi

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/jsonpoint"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// errLimit stops a read at its limit.
var errLimit = errors.New("limit reached")

// flushEvery is how many points an events response writes between flushes.
const flushEvery = 1024

// query reads start, end and device from the URL.
func query(v url.Values) (store.Query, error) {
	var q store.Query
	var err error
	if q.Start, err = parseTime(v.Get("start")); err != nil {
		return q, fmt.Errorf("start %q: want RFC 3339 or Unix ns", v.Get("start"))
	}
	if q.End, err = parseTime(v.Get("end")); err != nil {
		return q, fmt.Errorf("end %q: want RFC 3339 or Unix ns", v.Get("end"))
	}
	if q.Start != 0 && q.End != 0 && q.End < q.Start {
		return q, fmt.Errorf("end before start")
	}
	if d := v.Get("device"); d != "" {
		if err := models.ValidateDevice(d); err != nil {
			return q, err
		}
		q.Device = d
	}
	return q, nil
}

func (a *api) count(w http.ResponseWriter, r *http.Request, stream string) {
	q, err := query(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	n, err := a.st.Count(r.Context(), stream, q)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"events": n})
}

func (a *api) events(w http.ResponseWriter, r *http.Request, stream string) {
	v := r.URL.Query()
	q, err := query(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	limit := int64(math.MaxInt64)
	if s := v.Get("limit"); s != "" {
		if limit, err = strconv.ParseInt(s, 10, 64); err != nil || limit < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q: want a count", s))
			return
		}
	}
	switch v.Get("format") {
	case "", "ndjson":
	case "csv", "parquet":
		writeError(w, http.StatusBadRequest, "format "+v.Get("format")+" is not served yet (use ndjson)")
		return
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("format %q: want ndjson", v.Get("format")))
		return
	}
	// Check the stream before answering 200.
	if _, err := a.st.Stream(r.Context(), stream); err != nil {
		a.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	flusher, _ := w.(http.Flusher)
	var (
		n    int64
		line []byte
	)
	if limit == 0 {
		return
	}
	err = a.st.Read(r.Context(), stream, q, func(p *models.Point) error {
		line = appendPoint(line[:0], p)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
		n++
		if n%flushEvery == 0 && flusher != nil {
			if err := bw.Flush(); err != nil {
				return err
			}
			flusher.Flush()
		}
		if n >= limit {
			return errLimit
		}
		return nil
	})
	if err != nil && !errors.Is(err, errLimit) {
		// The status is sent: end the body with the error as a last line.
		a.log.Warn("events read failed", "stream", stream, "err", err)
		line = append(line[:0], `{"error":`...)
		line = strconv.AppendQuote(line, err.Error())
		line = append(line, "}\n"...)
		_, _ = bw.Write(line)
	}
	_ = bw.Flush()
}

// appendPoint appends p in the read API's JSON shape. Float fields that
// JSON cannot hold (NaN, ±Inf) are left out.
func appendPoint(dst []byte, p *models.Point) []byte {
	out, err := jsonpoint.Append(dst, p)
	if err == nil {
		return out
	}
	if !errors.Is(err, payload.ErrUnencodable) {
		return dst
	}
	c := *p
	c.Fields = nil
	for _, f := range p.Fields {
		x := f.Value.FloatV()
		if f.Value.Kind() == models.KindFloat && (math.IsNaN(x) || math.IsInf(x, 0)) || !f.Value.IsValid() {
			continue
		}
		c.Fields = append(c.Fields, f)
	}
	out, _ = jsonpoint.Append(dst, &c)
	return out
}
