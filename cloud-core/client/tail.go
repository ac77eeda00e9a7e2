package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"time"

	"github.com/tributary-iot/tributary/models"
)

// maxLine bounds one line of a tail.
const maxLine = 16 << 20

// Event is one element of a tail: a point, or a cut.
type Event struct {
	// Point is the point (valid until the next event), or nil for a cut.
	Point *models.Point
	// Segment and Position locate the point.
	Segment  string
	Position uint64
	// Cut, on a cut event, resumes right after every point before it:
	// pass it as TailOptions.From.
	Cut string
}

// TailOptions say where a tail starts and what it keeps.
type TailOptions struct {
	// From is "now" (or ""), "start" (everything retained) or a cut.
	From string
	// Device keeps only that device's points.
	Device string
	// Start keeps only points with a device time at or after it.
	Start time.Time
	// CutEvery is how often a busy tail sends a cut (0: the server's
	// default; negative: after every run of points).
	CutEvery time.Duration
}

func (o TailOptions) values() url.Values {
	v := url.Values{}
	if o.From != "" {
		v.Set("from", o.From)
	}
	if o.Device != "" {
		v.Set("device", o.Device)
	}
	if !o.Start.IsZero() {
		v.Set("start", fmt.Sprint(o.Start.UnixNano()))
	}
	switch {
	case o.CutEvery < 0:
		v.Set("cut_every", "0s")
	case o.CutEvery > 0:
		v.Set("cut_every", o.CutEvery.String())
	}
	return v
}

// Tail follows stream from opts.From: the points as they arrive, and
// cuts now and then. It ends with (Event{}, err) on a failure, and
// without an error when ctx is done or the caller stops.
func (c *Client) Tail(ctx context.Context, stream string, opts TailOptions) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		resp, err := c.send(ctx, http.MethodGet, streamPath(stream, "tail"), opts.values(), nil, "")
		if err != nil {
			if ctx.Err() == nil {
				yield(Event{}, err)
			}
			return
		}
		defer resp.Body.Close()
		r := newLineReader(resp)
		for {
			ev, l, err := r.next()
			if err != nil {
				if ctx.Err() == nil {
					yield(Event{}, err)
				}
				return
			}
			switch l.kind {
			case lineError:
				yield(Event{}, fmt.Errorf("client: tail of %s: %s", stream, l.text))
				return
			case lineRebalance, lineAssigned:
				continue
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// errEnded is returned by lineReader.next when the answer ended.
var errEnded = errors.New("the tail ended")

// lineReader reads the lines of a tail.
type lineReader struct {
	sc  *bufio.Scanner
	dec lineDecoder
	p   models.Point
	l   line
}

func newLineReader(resp *http.Response) *lineReader {
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	return &lineReader{sc: sc}
}

// next decodes the next line; the event's point is reused.
func (r *lineReader) next() (Event, *line, error) {
	for r.sc.Scan() {
		b := r.sc.Bytes()
		if len(b) == 0 {
			continue
		}
		if err := r.dec.decode(b, &r.p, &r.l); err != nil {
			return Event{}, nil, fmt.Errorf("client: %w", err)
		}
		switch r.l.kind {
		case linePoint:
			return Event{Point: &r.p, Segment: r.l.seg, Position: r.l.pos}, &r.l, nil
		case lineCut:
			return Event{Cut: r.l.text}, &r.l, nil
		}
		return Event{}, &r.l, nil
	}
	if err := r.sc.Err(); err != nil {
		return Event{}, nil, fmt.Errorf("client: %w", err)
	}
	return Event{}, nil, errEnded
}
