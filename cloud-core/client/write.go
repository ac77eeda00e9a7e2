package client

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tributary-iot/tributary/models"
)

// Write stores points in stream through the write endpoint, as writer
// (an id such as "scorer-1.normal"): each point's Seq must be set and
// strictly increasing, and a batch is sent only after the previous one
// was stored. Sending the same points again (a retry after an error) is
// safe: the store keeps each writer's points exactly once. Device, Time
// and Fields are sent; floats that JSON cannot hold are left out.
func (c *Client) Write(ctx context.Context, stream, writer string, points []models.Point) error {
	if len(points) == 0 {
		return nil
	}
	var b []byte
	for i := range points {
		b = appendWriteLine(b, &points[i])
		b = append(b, '\n')
	}
	v := url.Values{"writer": {writer}}
	resp, err := c.send(ctx, http.MethodPost, streamPath(stream, "points"), v, bytes.NewReader(b), "application/x-ndjson")
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// WriteBatches stores the batches' points in stream, each as its batch's
// Writer, in one request, with the guarantees of Write.
func (c *Client) WriteBatches(ctx context.Context, stream string, batches []models.Batch) error {
	var b []byte
	for i := range batches {
		for j := range batches[i].Points {
			b = append(b, `{"writer":`...)
			b = appendJSONString(b, batches[i].Writer)
			b = append(b, ',')
			n := len(b)
			b = appendWriteLine(b, &batches[i].Points[j])
			b = append(b[:n], b[n+1:]...) // the line's '{' is written above
			b = append(b, '\n')
		}
	}
	if len(b) == 0 {
		return nil
	}
	resp, err := c.send(ctx, http.MethodPost, streamPath(stream, "points"), nil, bytes.NewReader(b), "application/x-ndjson")
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// appendWriteLine appends p as a line of the write endpoint.
func appendWriteLine(dst []byte, p *models.Point) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendUint(dst, p.Seq, 10)
	dst = append(dst, `,"device":`...)
	dst = appendJSONString(dst, p.Device)
	dst = append(dst, `,"time":`...)
	dst = strconv.AppendInt(dst, p.Time, 10)
	dst = append(dst, `,"fields":{`...)
	n := 0
	for _, f := range p.Fields {
		v := f.Value
		if !v.IsValid() || v.Kind() == models.KindFloat && (math.IsNaN(v.FloatV()) || math.IsInf(v.FloatV(), 0)) {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = appendJSONString(dst, f.Key)
		dst = append(dst, ':')
		switch v.Kind() {
		case models.KindFloat:
			dst = appendFloat(dst, v.FloatV())
		case models.KindString:
			dst = appendJSONString(dst, v.Str())
		default:
			dst = v.AppendText(dst)
		}
	}
	dst = append(dst, `},"tags":{`...)
	for i, t := range p.Tags {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, t.Key)
		dst = append(dst, ':')
		dst = appendJSONString(dst, t.Value)
	}
	return append(dst, "}}"...)
}

// appendFloat appends a finite x so that it reads back as a float.
func appendFloat(dst []byte, x float64) []byte {
	n0 := len(dst)
	dst = strconv.AppendFloat(dst, x, 'g', -1, 64)
	for _, c := range dst[n0:] {
		if c == '.' || c == 'e' {
			return dst
		}
	}
	return append(dst, '.', '0')
}

// appendJSONString appends s as a JSON string.
func appendJSONString(dst []byte, s string) []byte {
	out, err := jsonString(s)
	if err != nil {
		return append(dst, `""`...)
	}
	return append(dst, out...)
}

func jsonString(s string) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(s) + 2)
	buf.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			buf.WriteByte('\\')
			buf.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&buf, `\u%04x`, c)
		default:
			buf.WriteByte(c)
		}
	}
	buf.WriteByte('"')
	return buf.Bytes(), nil
}
