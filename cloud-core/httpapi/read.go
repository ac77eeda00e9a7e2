package httpapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/models"
)

// errLimit stops a read at its limit.
var errLimit = errors.New("limit reached")

// query reads start, end and device from the URL.
func query(v url.Values) (store.Query, error) {
	var q store.Query
	var err error
	if q.Start, q.End, err = timeRange(v); err != nil {
		return q, err
	}
	if d := v.Get("device"); d != "" {
		if err := models.ValidateDevice(d); err != nil {
			return q, err
		}
		q.Device = d
	}
	return q, nil
}

// timeRange reads start and end (RFC 3339 or Unix ns) from the URL.
func timeRange(v url.Values) (start, end int64, err error) {
	if start, err = parseTime(v.Get("start")); err != nil {
		return 0, 0, fmt.Errorf("start %q: want RFC 3339 or Unix ns", v.Get("start"))
	}
	if end, err = parseTime(v.Get("end")); err != nil {
		return 0, 0, fmt.Errorf("end %q: want RFC 3339 or Unix ns", v.Get("end"))
	}
	if start != 0 && end != 0 && end < start {
		return 0, 0, errors.New("end before start")
	}
	return start, end, nil
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

// readParams are the parameters of a streamed read.
type readParams struct {
	format format
	limit  int64
	export exportOptions
}

// parseReadParams reads format, limit and fields from the URL.
func parseReadParams(v url.Values) (readParams, error) {
	p := readParams{limit: math.MaxInt64}
	var err error
	if p.format, err = parseFormat(v.Get("format")); err != nil {
		return p, err
	}
	if s := v.Get("limit"); s != "" {
		if p.limit, err = strconv.ParseInt(s, 10, 64); err != nil || p.limit < 0 {
			return p, fmt.Errorf("limit %q: want a count", s)
		}
	}
	p.export.fields = parseFields(v.Get("fields"))
	return p, nil
}

func (a *api) events(w http.ResponseWriter, r *http.Request, stream string) {
	v := r.URL.Query()
	q, err := query(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	p, err := parseReadParams(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if p.format == formatCSV || p.format == formatParquet {
		// Only their columns drop the other fields: chunks need not
		// decode them.
		q.Fields = p.export.fields
	}
	a.stream(w, r, p, "events", func(fn func(*models.Point) error) error {
		return a.st.Read(r.Context(), stream, q, fn)
	})
}

// stream writes the points that read produces in the format asked for,
// up to the limit. The status (200) and headers go out with the first
// point, or at the end: a read that fails before it found a point gets
// the error's status. A failure after that ends the body as the format
// allows (pointWriter.fail).
func (a *api) stream(w http.ResponseWriter, r *http.Request, p readParams, what string, read func(fn func(*models.Point) error) error) {
	var (
		pw  pointWriter
		n   int64
		err error
	)
	if p.limit > 0 {
		err = read(func(pt *models.Point) error {
			if pw == nil {
				pw = newPointWriter(p.format, w, p.export)
			}
			if err := pw.write(pt); err != nil {
				return err
			}
			if n++; n >= p.limit {
				return errLimit
			}
			return nil
		})
	}
	if errors.Is(err, errLimit) {
		err = nil
	}
	if pw == nil {
		if err != nil {
			a.fail(w, err)
			return
		}
		pw = newPointWriter(p.format, w, p.export)
	}
	if err == nil {
		err = pw.close()
	}
	if err != nil {
		if r.Context().Err() != nil {
			return // the client left
		}
		a.log.Warn(what+" read failed", "err", err)
		pw.fail(err)
	}
}
