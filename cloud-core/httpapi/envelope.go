package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/tributary-iot/tributary/models"
)

// ErrBadPoint is returned (wrapped) by decodeWrite for a line that is not
// an acceptable point.
var ErrBadPoint = errors.New("invalid point")

// maxLineFields bounds the fields and tags of one written point.
const maxLineFields = 1024

// writeLine is one line of POST /v1/streams/{stream}/points:
//
//	{"writer":"gw-7.normal","agent":"gw-7","seq":1042,"device":"veh-0001",
//	 "time":"2026-11-25T12:00:00.1Z","fields":{"speed_kmh":52.5,"gear":3},
//	 "tags":{"model":"sedan"},"received":1764072000200000000}
//
// writer and agent may be left out (the query's writer fills them in);
// stream, if present, must name the URL's stream; time is RFC 3339 or Unix
// ns. Field numbers without a fraction or exponent are ints (uints past
// int64), others floats.
type writeLine struct {
	Writer   string            `json:"writer"`
	Agent    string            `json:"agent"`
	Seq      uint64            `json:"seq"`
	Device   string            `json:"device"`
	Stream   string            `json:"stream"`
	Time     json.RawMessage   `json:"time"`
	Fields   map[string]any    `json:"fields"`
	Tags     map[string]string `json:"tags"`
	Received int64             `json:"received"`
}

// decodeWrite decodes one line into p (reusing its slices) and returns the
// line's writer ("" if it names none).
func decodeWrite(line []byte, p *models.Point) (string, error) {
	var w writeLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadPoint, err)
	}
	if dec.More() {
		return "", fmt.Errorf("%w: more than one value on a line", ErrBadPoint)
	}
	if len(w.Fields)+len(w.Tags) > maxLineFields {
		return "", fmt.Errorf("%w: more than %d fields and tags", ErrBadPoint, maxLineFields)
	}
	t, err := parseTime(string(bytes.Trim(w.Time, `"`)))
	if err != nil || len(w.Time) == 0 {
		return "", fmt.Errorf("%w: time %s: want RFC 3339 or Unix ns", ErrBadPoint, w.Time)
	}
	p.Reset()
	p.Device, p.Stream, p.Time, p.Agent, p.Seq, p.Received = w.Device, w.Stream, t, w.Agent, w.Seq, w.Received
	for k, x := range w.Fields {
		v, err := fieldValue(x)
		if err != nil {
			return "", fmt.Errorf("%w: field %q: %w", ErrBadPoint, k, err)
		}
		p.Fields = append(p.Fields, models.Field{Key: k, Value: v})
	}
	for k, v := range w.Tags {
		p.Tags = append(p.Tags, models.Tag{Key: k, Value: v})
	}
	p.Normalize()
	return w.Writer, nil
}

// fieldValue converts a field's decoded JSON value (numbers as
// json.Number) to a models.Value.
func fieldValue(v any) (models.Value, error) {
	switch x := v.(type) {
	case bool:
		return models.Bool(x), nil
	case string:
		return models.String(x), nil
	case json.Number:
		s := x.String()
		if !bytes.ContainsAny([]byte(s), ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return models.Int(i), nil
			}
			if u, err := strconv.ParseUint(s, 10, 64); err == nil {
				return models.Uint(u), nil
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) {
			return models.Value{}, fmt.Errorf("number %s out of range", s)
		}
		return models.Float(f), nil
	}
	return models.Value{}, errors.New("want a number, a string or a boolean")
}

// parseTime reads RFC 3339 or a decimal number of Unix nanoseconds; ""
// gives 0.
func parseTime(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, err
	}
	return t.UnixNano(), nil
}
