package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"

	"github.com/tinylib/msgp/msgp"

	"github.com/tributary-iot/tributary/models"
)

// Events returns the points of stream that q selects, in the store's
// order (each device's in time order). The point yielded is reused: it is
// valid until the next one. A failure ends the sequence with (nil, err).
func (c *Client) Events(ctx context.Context, stream string, q Query) iter.Seq2[*models.Point, error] {
	if q.NDJSON {
		return c.ndjsonPoints(ctx, streamPath(stream, "events"), q.values())
	}
	return c.points(ctx, streamPath(stream, "events"), q.values())
}

// ndjsonPoints reads an NDJSON body of points.
func (c *Client) ndjsonPoints(ctx context.Context, path string, v url.Values) iter.Seq2[*models.Point, error] {
	return func(yield func(*models.Point, error) bool) {
		v.Set("format", "ndjson")
		resp, err := c.send(ctx, http.MethodGet, path, v, nil, "")
		if err != nil {
			yield(nil, err)
			return
		}
		defer resp.Body.Close()
		r := newLineReader(resp)
		for {
			ev, l, err := r.next()
			if errors.Is(err, errEnded) {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if l.kind == lineError {
				yield(nil, fmt.Errorf("client: %s: the server failed while answering: %s", path, l.text))
				return
			}
			if ev.Point != nil && !yield(ev.Point, nil) {
				return
			}
		}
	}
}

// points reads a MessagePack body of points.
func (c *Client) points(ctx context.Context, path string, v url.Values) iter.Seq2[*models.Point, error] {
	return func(yield func(*models.Point, error) bool) {
		v.Set("format", "msgpack")
		resp, err := c.send(ctx, http.MethodGet, path, v, nil, "")
		if err != nil {
			yield(nil, err)
			return
		}
		defer resp.Body.Close()
		r := msgp.NewReaderSize(resp.Body, 64<<10)
		var p models.Point
		for {
			t, err := r.NextType()
			if errors.Is(msgp.Cause(err), io.EOF) {
				return
			}
			if err != nil {
				yield(nil, fmt.Errorf("client: %s: %w", path, err))
				return
			}
			if t == msgp.MapType {
				yield(nil, readErrorMap(r, path))
				return
			}
			p.Reset()
			if err := p.DecodeMsg(r); err != nil {
				yield(nil, fmt.Errorf("client: %s: %w", path, err))
				return
			}
			if !yield(&p, nil) {
				return
			}
		}
	}
}

// readErrorMap reads the {"error": "..."} map that ends a body after a
// failure.
func readErrorMap(r *msgp.Reader, path string) error {
	n, err := r.ReadMapHeader()
	if err != nil {
		return fmt.Errorf("client: %s: %w", path, err)
	}
	msg := "unknown failure"
	for range n {
		k, err := r.ReadString()
		if err != nil {
			return fmt.Errorf("client: %s: %w", path, err)
		}
		v, err := r.ReadString()
		if err != nil {
			return fmt.Errorf("client: %s: %w", path, err)
		}
		if k == "error" {
			msg = v
		}
	}
	return fmt.Errorf("client: %s: the server failed while answering: %s", path, msg)
}
