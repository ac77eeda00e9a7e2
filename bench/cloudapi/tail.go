package cloudapi

import (
	"context"
	"io"
	"net/http"
	"net/url"
)

// Tail opens GET /v1/streams/{stream}/tail?from=FROM and returns its
// NDJSON body (ErrNotServed when the server has no tail). The caller
// closes it; cancelling ctx ends it too. The request has no timeout:
// a client with one (Client.HTTP) cuts the tail when it expires.
func (c *Client) Tail(ctx context.Context, stream, from string) (io.ReadCloser, error) {
	cc := *c
	cc.HTTP = &http.Client{}
	if c.HTTP != nil {
		cc.HTTP.Transport = c.HTTP.Transport
	}
	resp, err := cc.do(ctx, http.MethodGet, streamPath(stream, "/tail?from="+url.QueryEscape(from)), nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
