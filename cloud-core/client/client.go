package client

import (
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

// Errors an *APIError matches with errors.Is, by HTTP status.
var (
	// ErrBadRequest matches 400 answers: bad parameters or tokens.
	ErrBadRequest = errors.New("bad request")
	// ErrUnauthorized matches 401 answers: no token or a bad one.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden matches 403 answers: the token does not cover the stream.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound matches 404 answers: no such stream, group or endpoint.
	ErrNotFound = errors.New("not found")
	// ErrConflict matches 409 answers: a cut or split that can no longer
	// be read exactly, a position deleted by retention.
	ErrConflict = errors.New("conflict")
)

// APIError is an error answer of the API.
type APIError struct {
	// Status is the HTTP status.
	Status int
	// Message is the answer's "error".
	Message string
}

// Error implements error.
func (e *APIError) Error() string {
	return fmt.Sprintf("tributary: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// Is matches the sentinel errors of the status.
func (e *APIError) Is(target error) bool {
	switch e.Status {
	case http.StatusBadRequest:
		return target == ErrBadRequest
	case http.StatusUnauthorized:
		return target == ErrUnauthorized
	case http.StatusForbidden:
		return target == ErrForbidden
	case http.StatusNotFound:
		return target == ErrNotFound
	case http.StatusConflict:
		return target == ErrConflict
	}
	return false
}

// Options configure New.
type Options struct {
	// Token is the bearer token (cloud-core tokens add); "" sends none.
	Token string
	// HTTPClient sends the requests; nil uses a client without an overall
	// timeout (tails run for ever), with the default transport.
	HTTPClient *http.Client
}

// Client talks to one cloud core. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// New returns a client of the API at baseURL (e.g. http://host:8080).
func New(baseURL string, opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q: want http://host:port", baseURL)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: u, token: opts.Token, hc: hc}, nil
}

// url returns the URL of path (already escaped) with query q.
func (c *Client) url(path string, q url.Values) string {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	return u.String()
}

// send sends a request and returns the response of a 2xx answer; any
// other answer becomes an *APIError.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, body io.Reader, contentType string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.url(path, q), body)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(data))
	if json.Unmarshal(data, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	return nil, &APIError{Status: resp.StatusCode, Message: msg}
}

// getJSON decodes the JSON answer of a GET into v.
func (c *Client) getJSON(ctx context.Context, path string, q url.Values, v any) error {
	return c.doJSON(ctx, http.MethodGet, path, q, nil, v)
}

// doJSON sends in as JSON (when not nil) and decodes the answer into out.
func (c *Client) doJSON(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	ct := ""
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("client: %w", err)
		}
		body, ct = strings.NewReader(string(data)), "application/json"
	}
	resp, err := c.send(ctx, method, path, q, body, ct)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("client: %s %s: cannot decode the answer: %w", method, path, err)
	}
	return nil
}

// streamPath returns /v1/streams/{stream} plus rest, escaped.
func streamPath(stream string, rest ...string) string {
	p := "/v1/streams/" + url.PathEscape(stream)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

// Query selects points of a stream.
type Query struct {
	// Start and End bound the points' device times to [Start, End); the
	// zero time leaves a side open.
	Start, End time.Time
	// Device keeps only that device's points.
	Device string
	// Limit stops after that many points (0: no limit).
	Limit int64
	// NDJSON reads the points as NDJSON instead of MessagePack (the same
	// points, more bytes and more work; for comparison and debugging).
	NDJSON bool
}

func (q Query) values() url.Values {
	v := url.Values{}
	if !q.Start.IsZero() {
		v.Set("start", fmt.Sprint(q.Start.UnixNano()))
	}
	if !q.End.IsZero() {
		v.Set("end", fmt.Sprint(q.End.UnixNano()))
	}
	if q.Device != "" {
		v.Set("device", q.Device)
	}
	if q.Limit > 0 {
		v.Set("limit", fmt.Sprint(q.Limit))
	}
	return v
}

// Streams returns the names of the streams.
func (c *Client) Streams(ctx context.Context) ([]string, error) {
	var out struct {
		Streams []string `json:"streams"`
	}
	err := c.getJSON(ctx, "/v1/streams", nil, &out)
	return out.Streams, err
}

// Segment describes one segment of a stream.
type Segment struct {
	ID           string   `json:"id"`
	CreatedEpoch uint64   `json:"created_epoch"`
	SealedEpoch  uint64   `json:"sealed_epoch,omitempty"`
	Predecessors []string `json:"predecessors,omitempty"`
	Successors   []string `json:"successors,omitempty"`
	Tiered       uint64   `json:"tiered"`
	Points       int64    `json:"points"`
}

// StreamInfo describes a stream (a part of GET /v1/streams/{stream}).
type StreamInfo struct {
	Name          string    `json:"name"`
	Epoch         uint64    `json:"epoch"`
	Segments      []Segment `json:"segments"`
	Tier1Messages uint64    `json:"tier1_messages"`
	Tier2Chunks   int64     `json:"tier2_chunks"`
	Tier2Points   int64     `json:"tier2_points"`
}

// Stream describes a stream.
func (c *Client) Stream(ctx context.Context, stream string) (StreamInfo, error) {
	var out StreamInfo
	err := c.getJSON(ctx, streamPath(stream), nil, &out)
	return out, err
}

// Count returns how many points of stream q selects (q.Limit is ignored).
func (c *Client) Count(ctx context.Context, stream string, q Query) (int64, error) {
	q.Limit = 0
	var out struct {
		Events int64 `json:"events"`
	}
	err := c.getJSON(ctx, streamPath(stream, "count"), q.values(), &out)
	return out.Events, err
}
