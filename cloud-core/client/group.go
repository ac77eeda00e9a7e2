package client

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"time"
)

// Defaults of GroupTail.
const (
	// DefaultCheckpointEvery is how often GroupTail checkpoints.
	DefaultCheckpointEvery = 5 * time.Second
	// reconnectWait is how long GroupTail waits before it reconnects
	// after the connection broke.
	reconnectWait = time.Second
)

// GroupOptions tune GroupTail.
type GroupOptions struct {
	// From is where the group starts if it does not exist yet: "now" (or
	// ""), "start" or a cut.
	From string
	// CutEvery is as in TailOptions.
	CutEvery time.Duration
	// CheckpointEvery is how often GroupTail checkpoints the last cut the
	// caller went past (0: DefaultCheckpointEvery; negative: only when the
	// group rebalances and when the caller stops).
	CheckpointEvery time.Duration
	// Assigned, if not nil, is called with the member's segments on each
	// connection.
	Assigned func(segments []string)
}

// GroupInfo describes a reader group (a part of its JSON).
type GroupInfo struct {
	Stream      string            `json:"stream"`
	Name        string            `json:"name"`
	Cut         string            `json:"cut"`
	Segments    []string          `json:"segments"`
	Lag         map[string]uint64 `json:"lag"`
	Checkpoints uint64            `json:"checkpoints"`
	Members     []struct {
		Name      string   `json:"name"`
		Segments  []string `json:"segments"`
		Connected bool     `json:"connected"`
	} `json:"members"`
}

// Group describes the reader group of stream.
func (c *Client) Group(ctx context.Context, stream, group string) (GroupInfo, error) {
	var out GroupInfo
	err := c.getJSON(ctx, streamPath(stream, "groups", group), nil, &out)
	return out, err
}

// CreateGroup creates a reader group at from ("now", "start" or a cut),
// or, with reset, moves an existing one there.
func (c *Client) CreateGroup(ctx context.Context, stream, group, from string, reset bool) (GroupInfo, error) {
	var out GroupInfo
	body := map[string]any{"from": from, "reset": reset}
	err := c.doJSON(ctx, http.MethodPut, streamPath(stream, "groups", group), nil, body, &out)
	return out, err
}

// DeleteGroup deletes a reader group.
func (c *Client) DeleteGroup(ctx context.Context, stream, group string) error {
	return c.doJSON(ctx, http.MethodDelete, streamPath(stream, "groups", group), nil, nil, nil)
}

// Checkpoint records that member handled every point before cut.
func (c *Client) Checkpoint(ctx context.Context, stream, group, member, cut string) error {
	body := map[string]string{"member": member, "cut": cut}
	return c.doJSON(ctx, http.MethodPost, streamPath(stream, "groups", group, "checkpoint"), nil, body, nil)
}

// GroupTail reads stream as member of a reader group: the points of the
// segments the group hands the member, from the group's checkpoint on,
// then live. It checkpoints on its own the last cut the caller went past
// (the caller asked for the next event after it: every point before it
// is handled), every CheckpointEvery, when the group rebalances (it then
// reconnects for its new share) and when the caller stops. A broken
// connection is retried; an answer of the API that is an error ends the
// sequence with (Event{}, err). Points since the last checkpoint may come
// again after a rebalance or a restart.
func (c *Client) GroupTail(ctx context.Context, stream, group, member string, opts GroupOptions) iter.Seq2[Event, error] {
	every := opts.CheckpointEvery
	if every == 0 {
		every = DefaultCheckpointEvery
	}
	return func(yield func(Event, error) bool) {
		var passed, saved string
		last := time.Now()
		save := func(ctx context.Context) error {
			if passed == "" || passed == saved {
				return nil
			}
			if err := c.Checkpoint(ctx, stream, group, member, passed); err != nil {
				return err
			}
			saved, last = passed, time.Now()
			return nil
		}
		defer func() {
			// The caller stopped (or ctx ended): keep what it handled.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = save(sctx)
		}()
		v := TailOptions{From: opts.From, CutEvery: opts.CutEvery}.values()
		v.Set("member", member)
		for ctx.Err() == nil {
			resp, err := c.send(ctx, http.MethodGet, streamPath(stream, "groups", group, "tail"), v, nil, "")
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				yield(Event{}, err)
				return
			}
			if err != nil {
				if !sleep(ctx, reconnectWait) {
					return
				}
				continue
			}
			stop, err := c.groupLines(ctx, resp, opts, yield, &passed, func() error {
				if every > 0 && time.Since(last) >= every {
					return save(ctx)
				}
				return nil
			})
			resp.Body.Close()
			if stop {
				return
			}
			if err != nil {
				if ctx.Err() == nil {
					yield(Event{}, err)
				}
				return
			}
			// Rebalanced or disconnected: keep what was handled, go on.
			if err := save(ctx); err != nil && ctx.Err() == nil {
				if !yield(Event{}, err) {
					return
				}
			}
		}
	}
}

// groupLines passes one connection's lines to yield. It returns stop when
// the caller stopped, an error for a failure the API reported, and
// neither when the connection ended (rebalance or a broken connection).
func (c *Client) groupLines(ctx context.Context, resp *http.Response, opts GroupOptions, yield func(Event, error) bool, passed *string, tick func() error) (bool, error) {
	r := newLineReader(resp)
	for {
		ev, l, err := r.next()
		if err != nil {
			return false, nil
		}
		switch l.kind {
		case lineError:
			return false, &APIError{Status: http.StatusConflict, Message: l.text}
		case lineRebalance:
			return false, nil
		case lineAssigned:
			if opts.Assigned != nil {
				opts.Assigned(append([]string(nil), l.assigned...))
			}
			continue
		}
		if !yield(ev, nil) {
			return true, nil
		}
		if ev.Point == nil {
			*passed = ev.Cut
			if err := tick(); err != nil && ctx.Err() == nil {
				if !yield(Event{}, err) {
					return true, nil
				}
			}
		}
	}
}

// sleep waits d or until ctx is done; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
