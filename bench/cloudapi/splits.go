package cloudapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// ErrNoTokens is returned when /splits answers but no split token can be
// found in its answer.
var ErrNoTokens = errors.New("no split tokens in the answer")

// Splits returns the tokens of GET /v1/streams/{stream}/splits, or
// ErrNotServed. The answer's shape is read loosely: every string under a
// "token" key, at any depth, or a plain array of strings.
func (c *Client) Splits(ctx context.Context, stream string) ([]string, error) {
	resp, err := c.do(ctx, http.MethodGet, streamPath(stream, "/splits"), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("splits %s: %w", stream, err)
	}
	return SplitTokens(b)
}

// SplitTokens finds the split tokens in a /splits answer.
func SplitTokens(answer []byte) ([]string, error) {
	var v any
	if err := json.Unmarshal(answer, &v); err != nil {
		return nil, fmt.Errorf("splits answer: %w", err)
	}
	var out []string
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(e, k)
			}
		case []any:
			for _, e := range x {
				walk(e, key)
			}
		case string:
			if key == "token" || key == "" {
				out = append(out, x)
			}
		}
	}
	walk(v, "")
	if len(out) == 0 {
		return nil, ErrNoTokens
	}
	return out, nil
}

// ReadSplits reads every split with readers parallel readers and returns
// the total (Elapsed is the wall time of the whole read).
func (c *Client) ReadSplits(ctx context.Context, tokens []string, readers int) (Read, error) {
	start := time.Now()
	var (
		mu    sync.Mutex
		total Read
		errs  []error
		next  = make(chan string)
		wg    sync.WaitGroup
	)
	for range max(readers, 1) {
		wg.Go(func() {
			for tok := range next {
				r, err := c.readNDJSON(ctx, "/v1/splits/"+url.PathEscape(tok)+"?format=ndjson")
				mu.Lock()
				total.Points += r.Points
				total.Bytes += r.Bytes
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	for _, tok := range tokens {
		select {
		case next <- tok:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	total.Elapsed = time.Since(start)
	return total, errors.Join(append(errs, ctx.Err())...)
}
