package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/jsonpoint"
)

// Defaults of the tail endpoints.
const (
	// DefaultCutEvery is how often a busy tail writes a cut line.
	DefaultCutEvery = time.Second
	// DefaultHeartbeat is how often an idle tail writes a cut line (that
	// also keeps proxies from closing the connection).
	DefaultHeartbeat = 5 * time.Second
)

// tailOptions reads from, device and start of a tail from the URL:
// from is "now" (or empty), "start" (everything retained) or a cut
// ("SEG:POS,..."), start a time.
func tailOptions(v url.Values, stream string) (store.TailOptions, error) {
	var opts store.TailOptions
	var err error
	if opts.From, err = parseFrom(stream, v.Get("from")); err != nil {
		return opts, err
	}
	if d := v.Get("device"); d != "" {
		if err := models.ValidateDevice(d); err != nil {
			return opts, err
		}
		opts.Device = d
	}
	if opts.Start, err = parseTime(v.Get("start")); err != nil {
		return opts, fmt.Errorf("start %q: want RFC 3339 or Unix ns", v.Get("start"))
	}
	return opts, nil
}

// parseCutEvery reads cut_every (a Go duration; 0 writes a cut after
// every run of points).
func parseCutEvery(v url.Values) (time.Duration, error) {
	s := v.Get("cut_every")
	if s == "" {
		return DefaultCutEvery, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("cut_every %q: want a duration such as 1s", s)
	}
	return d, nil
}

// tail follows a stream: GET /v1/streams/{stream}/tail?from=&device=&start=&cut_every=.
func (a *api) tail(w http.ResponseWriter, r *http.Request, stream string) {
	if a.stopped(w) {
		return
	}
	v := r.URL.Query()
	opts, err := tailOptions(v, stream)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	every, err := parseCutEvery(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	tw := &tailWriter{w: w, cutEvery: every, heartbeat: a.heartbeat}
	opts.Progress = tw.progress
	opts.Heartbeat = a.heartbeat
	ctx, cancel := a.tailContext(r)
	defer cancel(nil)
	err = a.st.Tail(ctx, stream, opts, tw.point)
	a.endTail(w, r, ctx, tw, err)
}

// ErrShuttingDown ends the open tails when the server shuts down.
var ErrShuttingDown = errors.New("server shutting down: resume from the last cut")

// stopped reports whether the server began to stop; it then answers 503.
func (a *api) stopped(w http.ResponseWriter) bool {
	select {
	case <-a.stopping:
		a.fail(w, ErrShuttingDown)
		return true
	default:
		return false
	}
}

// tailContext returns the context of a tail: the request's, cancelled
// with ErrShuttingDown when the server begins to stop.
func (a *api) tailContext(r *http.Request) (context.Context, context.CancelCauseFunc) {
	ctx, cancel := context.WithCancelCause(r.Context())
	if a.stopping != nil {
		go func() {
			select {
			case <-a.stopping:
				cancel(ErrShuttingDown)
			case <-ctx.Done():
			}
		}()
	}
	return ctx, cancel
}

// endTail ends a tail's response after Tail, run with ctx from
// tailContext, returned err.
func (a *api) endTail(w http.ResponseWriter, r *http.Request, ctx context.Context, tw *tailWriter, err error) {
	if r.Context().Err() == nil && errors.Is(context.Cause(ctx), ErrShuttingDown) {
		// Say so after the last cut, which resumes exactly.
		err = ErrShuttingDown
		if tw.started() {
			tw.finalCut()
		}
	}
	if !tw.started() {
		if err == nil {
			writeJSON(w, http.StatusOK, map[string]string{"status": "done"})
			return
		}
		a.fail(w, err)
		return
	}
	if r.Context().Err() != nil {
		return // the client left
	}
	if err != nil {
		a.log.Warn("tail failed", "err", err)
		tw.line = appendErrorLine(tw.line[:0], err)
		_, _ = tw.out.Write(tw.line)
	}
	_ = tw.out.flush()
}

// tailWriter writes a tail's NDJSON lines: points, each with its segment
// and position,
//
//	{"device":"veh-1",...,"agent":"gw-7","seq":1042,"seg":"0","pos":17}
//
// and cut lines that resume right after every point above them,
//
//	{"cut":"0:18,1:5"}
//
// The first line is the cut the tail starts at. A cut line follows a run
// of points when the cut moved and cutEvery has passed or nothing else is
// waiting, and comes every heartbeat while nothing arrives.
type tailWriter struct {
	w         http.ResponseWriter
	out       *flushWriter
	cutEvery  time.Duration
	heartbeat time.Duration
	line      []byte
	lastCut   string    // of the last cut line
	lastLine  time.Time // of the last cut line
	cut       string    // the last cut reported
	// head, if not nil, writes lines before the first cut (group tails).
	head func(dst []byte) []byte
}

func (t *tailWriter) started() bool { return t.out != nil }

func (t *tailWriter) start() {
	t.w.Header().Set("Content-Type", "application/x-ndjson")
	t.w.Header().Set("Cache-Control", "no-store")
	t.w.WriteHeader(http.StatusOK)
	t.out = newFlushWriter(t.w)
	if t.head != nil {
		t.line = t.head(t.line[:0])
		_, _ = t.out.Write(t.line)
	}
}

func (t *tailWriter) point(seg string, pos uint64, p *models.Point) error {
	if t.out == nil {
		t.start()
	}
	t.line = appendPointBody(t.line[:0], p)
	t.line = append(t.line, `,"seg":`...)
	t.line = jsonpoint.AppendString(t.line, seg)
	t.line = append(t.line, `,"pos":`...)
	t.line = strconv.AppendUint(t.line, pos, 10)
	t.line = append(t.line, "}\n"...)
	_, err := t.out.Write(t.line)
	return err
}

func (t *tailWriter) progress(cut models.StreamCut, idle bool) error {
	first := t.out == nil
	if first {
		t.start()
	}
	now := time.Now()
	text := store.FormatCut(cut)
	t.cut = text
	since := now.Sub(t.lastLine)
	if first || text != t.lastCut && (idle || since >= t.cutEvery) || t.heartbeat > 0 && since >= t.heartbeat {
		t.line = appendCutLine(t.line[:0], text)
		if _, err := t.out.Write(t.line); err != nil {
			return err
		}
		t.lastCut, t.lastLine = text, now
	}
	if idle {
		return t.out.flush()
	}
	return nil
}

// appendCutLine appends {"cut":"..."} and a newline.
func appendCutLine(dst []byte, cut string) []byte {
	dst = append(dst, `{"cut":`...)
	dst = jsonpoint.AppendString(dst, cut)
	return append(dst, "}\n"...)
}

// finalCut writes the last cut reported unless it was written already.
func (t *tailWriter) finalCut() {
	if t.cut != t.lastCut {
		t.line = appendCutLine(t.line[:0], t.cut)
		_, _ = t.out.Write(t.line)
		t.lastCut = t.cut
	}
}
