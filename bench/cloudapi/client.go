package cloudapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrNotServed is returned when the server has no such endpoint (an
// older or newer cloud-core): the caller skips that measurement.
var ErrNotServed = errors.New("endpoint not served")

// Client talks to one cloud-core.
type Client struct {
	// Base is the API root, e.g. "http://127.0.0.1:8080".
	Base string
	// Token is the bearer token; empty sends none.
	Token string
	// HTTP is the client used; nil means a client without timeout.
	HTTP *http.Client
}

// StreamInfo is the part of GET /v1/streams/{stream} that make bench uses.
type StreamInfo struct {
	Name          string `json:"name"`
	Tier1Messages uint64 `json:"tier1_messages"`
	Tier1Bytes    uint64 `json:"tier1_bytes"`
	Tier2Chunks   int64  `json:"tier2_chunks"`
	Tier2Points   int64  `json:"tier2_points"`
	Tier2Bytes    int64  `json:"tier2_bytes"`
}

func (c *Client) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.Base, "/")+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed) &&
		(bytes.Contains(msg, []byte("no such endpoint")) || resp.StatusCode == http.StatusMethodNotAllowed) {
		return nil, fmt.Errorf("%s %s: %w", method, path, ErrNotServed)
	}
	return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(msg))
}

func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: decode: %w", path, err)
	}
	return nil
}

func streamPath(stream, suffix string) string {
	return "/v1/streams/" + url.PathEscape(stream) + suffix
}

// Count returns GET /v1/streams/{stream}/count.
func (c *Client) Count(ctx context.Context, stream string) (int64, error) {
	var v struct {
		Events *int64 `json:"events"`
	}
	if err := c.getJSON(ctx, streamPath(stream, "/count"), &v); err != nil {
		return 0, err
	}
	if v.Events == nil {
		return 0, fmt.Errorf("count %s: no events field", stream)
	}
	return *v.Events, nil
}

// Stream returns GET /v1/streams/{stream}.
func (c *Client) Stream(ctx context.Context, stream string) (StreamInfo, error) {
	var v StreamInfo
	err := c.getJSON(ctx, streamPath(stream, ""), &v)
	return v, err
}

// PutStream creates or updates a stream with a policy (JSON).
func (c *Client) PutStream(ctx context.Context, stream string, policy []byte) error {
	resp, err := c.do(ctx, http.MethodPut, streamPath(stream, ""), policy)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// Tier asks the server to move what tier 1 holds of stream to tier 2 now
// and returns its answer.
func (c *Client) Tier(ctx context.Context, stream string) (json.RawMessage, error) {
	resp, err := c.do(ctx, http.MethodPost, streamPath(stream, "/tier"), []byte("{}"))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("tier %s: %w", stream, err)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("tier %s: answer is not JSON: %.200q", stream, b)
	}
	return json.RawMessage(b), nil
}

// Read is the outcome of a timed read.
type Read struct {
	Points  int64         `json:"points"`
	Bytes   int64         `json:"bytes"`
	Elapsed time.Duration `json:"elapsed_ns"`
}

// PointsPerSecond returns the read rate.
func (r Read) PointsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Points) / r.Elapsed.Seconds()
}

// ReadEvents reads all of stream's events as NDJSON and counts them.
func (c *Client) ReadEvents(ctx context.Context, stream string) (Read, error) {
	return c.readNDJSON(ctx, streamPath(stream, "/events?format=ndjson"))
}

// readNDJSON reads an NDJSON body, counting lines; a last line that is
// {"error": ...} (a read that failed after the status was sent) is an
// error.
func (c *Client) readNDJSON(ctx context.Context, path string) (Read, error) {
	start := time.Now()
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return Read{}, err
	}
	defer resp.Body.Close()
	var r Read
	lc := &LineCounter{}
	n, err := io.Copy(lc, resp.Body)
	r.Bytes = n
	r.Elapsed = time.Since(start)
	if err != nil {
		return r, fmt.Errorf("GET %s: %w", path, err)
	}
	r.Points = lc.Lines()
	if msg, ok := lc.TrailingError(); ok {
		return r, fmt.Errorf("GET %s: read failed after %d points: %s", path, r.Points, msg)
	}
	return r, nil
}
