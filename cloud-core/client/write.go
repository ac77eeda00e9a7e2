package client

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/jsonpoint"
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
		b = appendWriteLine(b, "", &points[i])
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
			b = appendWriteLine(b, batches[i].Writer, &batches[i].Points[j])
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

// appendWriteLine appends p as a line of the write endpoint, naming
// writer on the line unless it is "" (the request's ?writer= then
// applies).
func appendWriteLine(dst []byte, writer string, p *models.Point) []byte {
	dst = append(dst, '{')
	if writer != "" {
		dst = append(dst, `"writer":`...)
		dst = jsonpoint.AppendString(dst, writer)
		dst = append(dst, ',')
	}
	dst = append(dst, `"seq":`...)
	dst = strconv.AppendUint(dst, p.Seq, 10)
	dst = append(dst, `,"device":`...)
	dst = jsonpoint.AppendString(dst, p.Device)
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
		dst = jsonpoint.AppendString(dst, f.Key)
		dst = append(dst, ':')
		switch v.Kind() {
		case models.KindFloat:
			dst = jsonpoint.AppendFloat(dst, v.FloatV())
		case models.KindString:
			dst = jsonpoint.AppendString(dst, v.Str())
		default:
			dst = v.AppendText(dst)
		}
	}
	dst = append(dst, `},"tags":{`...)
	for i, t := range p.Tags {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonpoint.AppendString(dst, t.Key)
		dst = append(dst, ':')
		dst = jsonpoint.AppendString(dst, t.Value)
	}
	return append(dst, "}}"...)
}
