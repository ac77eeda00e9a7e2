package client

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"sync"
	"time"

	"github.com/tributary-iot/tributary/models"
)

// Split is one independent piece of a stream's history (see
// GET /v1/streams/{stream}/splits).
type Split struct {
	// Token names the split to ReadSplit.
	Token   string `json:"token"`
	Segment string `json:"segment"`
	First   uint64 `json:"first"`
	Last    uint64 `json:"last"`
	// Tier is 2 for chunks, 1 for a tier-1 range.
	Tier int `json:"tier"`
	// Points counts the points of a split of chunks (0 when not known).
	Points int64 `json:"points,omitempty"`
}

// SplitQuery selects what Splits cuts up.
type SplitQuery struct {
	// Start and End bound the points' device times to [Start, End).
	Start, End time.Time
	// Target is about how many points a split of chunks holds (0: the
	// server's default).
	Target int64
}

// Splits lists the splits of stream for q: together they hold every
// point of the range stored when they were listed, each exactly once.
func (c *Client) Splits(ctx context.Context, stream string, q SplitQuery) ([]Split, error) {
	v := url.Values{}
	if !q.Start.IsZero() {
		v.Set("start", fmt.Sprint(q.Start.UnixNano()))
	}
	if !q.End.IsZero() {
		v.Set("end", fmt.Sprint(q.End.UnixNano()))
	}
	if q.Target > 0 {
		v.Set("target", fmt.Sprint(q.Target))
	}
	var out struct {
		Splits []Split `json:"splits"`
	}
	err := c.getJSON(ctx, streamPath(stream, "splits"), v, &out)
	return out.Splits, err
}

// ReadSplit returns the points of one split; the point yielded is valid
// until the next one.
func (c *Client) ReadSplit(ctx context.Context, sp Split) iter.Seq2[*models.Point, error] {
	return c.points(ctx, "/v1/splits/"+url.PathEscape(sp.Token), url.Values{})
}

// ReadSplits reads splits with workers goroutines (at least 1), calling
// fn from worker number w (0..workers-1) for each point of splits[split];
// fn runs concurrently in different workers, but one worker's calls come
// one at a time and each split's points in order, one split after
// another. The point is only valid during the call. The first error (of
// a read, wrapped with the split's segment and range, or of fn) stops
// every worker and is returned.
func (c *Client) ReadSplits(ctx context.Context, splits []Split, workers int, fn func(w, split int, p *models.Point) error) error {
	workers = max(workers, 1)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range jobs {
				sp := splits[i]
				for p, err := range c.ReadSplit(ctx, sp) {
					if err != nil {
						cancel(fmt.Errorf("split %s/%d-%d: %w", sp.Segment, sp.First, sp.Last, err))
						return
					}
					if err := fn(w, i, p); err != nil {
						cancel(err)
						return
					}
				}
			}
		})
	}
feed:
	for i := range splits {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && err != context.Canceled {
		return err
	}
	return ctx.Err()
}
