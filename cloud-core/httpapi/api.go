package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/models"
)

// DefaultMaxBodyBytes bounds a request body (a policy or written points).
const DefaultMaxBodyBytes = 64 << 20

// Options configure New.
type Options struct {
	// Store is the segment store served; required.
	Store *store.Store
	// Gatherer serves /metrics; nil serves an empty page.
	Gatherer prometheus.Gatherer
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// SplitLease is how long the tier-1 ranges of a split listing stay
	// exactly readable (0: store.DefaultSplitLease).
	SplitLease time.Duration
	// Heartbeat is how often an idle tail writes a cut line (0:
	// DefaultHeartbeat).
	Heartbeat time.Duration
	// Stopping, when closed, ends every open tail with its last cut line
	// and an error line saying the server is shutting down, so that a
	// graceful shutdown does not wait for tails (which never end on their
	// own). Connect it to http.Server.RegisterOnShutdown.
	Stopping <-chan struct{}
}

// api holds the handlers' dependencies.
type api struct {
	st         *store.Store
	log        *slog.Logger
	maxBody    int64
	splitLease time.Duration
	heartbeat  time.Duration
	stopping   <-chan struct{}
}

// New returns the HTTP handler of the API.
func New(opts Options) http.Handler {
	a := &api{st: opts.Store, log: opts.Logger, maxBody: opts.MaxBodyBytes, splitLease: opts.SplitLease, heartbeat: opts.Heartbeat, stopping: opts.Stopping}
	if a.heartbeat <= 0 {
		a.heartbeat = DefaultHeartbeat
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	g := opts.Gatherer
	if g == nil {
		g = prometheus.NewRegistry()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /v1/streams", a.listStreams)
	mux.HandleFunc("GET /v1/streams/{stream}", a.withStream(a.getStream))
	mux.HandleFunc("PUT /v1/streams/{stream}", a.withStream(a.putStream))
	mux.HandleFunc("GET /v1/streams/{stream}/count", a.withStream(a.count))
	mux.HandleFunc("GET /v1/streams/{stream}/events", a.withStream(a.events))
	mux.HandleFunc("GET /v1/streams/{stream}/splits", a.withStream(a.splits))
	mux.HandleFunc("GET /v1/splits/{token}", a.readSplit)
	mux.HandleFunc("GET /v1/streams/{stream}/tail", a.withStream(a.tail))
	mux.HandleFunc("GET /v1/streams/{stream}/groups", a.withStream(a.listGroups))
	mux.HandleFunc("GET /v1/streams/{stream}/groups/{group}", a.withGroup(a.getGroup))
	mux.HandleFunc("PUT /v1/streams/{stream}/groups/{group}", a.withGroup(a.putGroup))
	mux.HandleFunc("DELETE /v1/streams/{stream}/groups/{group}", a.withGroup(a.deleteGroup))
	mux.HandleFunc("GET /v1/streams/{stream}/groups/{group}/tail", a.withGroup(a.groupTail))
	mux.HandleFunc("POST /v1/streams/{stream}/groups/{group}/checkpoint", a.withGroup(a.checkpoint))
	mux.HandleFunc("POST /v1/streams/{stream}/tier", a.withStream(a.tier))
	mux.HandleFunc("POST /v1/streams/{stream}/scale", a.withStream(a.scale))
	mux.HandleFunc("POST /v1/streams/{stream}/points", a.withStream(a.writePoints))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// withStream checks the {stream} path value before calling h.
func (a *api) withStream(h func(w http.ResponseWriter, r *http.Request, stream string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		stream := r.PathValue("stream")
		if err := models.ValidateID("stream", stream); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		h(w, r, stream)
	}
}

func (a *api) listStreams(w http.ResponseWriter, _ *http.Request) {
	names, err := a.st.Streams()
	if err != nil {
		a.fail(w, err)
		return
	}
	if names == nil {
		names = []string{}
	}
	writeJSON(w, http.StatusOK, map[string][]string{"streams": names})
}

func (a *api) getStream(w http.ResponseWriter, r *http.Request, stream string) {
	info, err := a.st.Stream(r.Context(), stream)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (a *api) putStream(w http.ResponseWriter, r *http.Request, stream string) {
	p := segment.DefaultPolicy()
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, a.maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		writeError(w, http.StatusBadRequest, "policy: "+err.Error())
		return
	}
	info, created, err := a.st.PutStream(r.Context(), stream, p)
	if err != nil {
		a.fail(w, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, info)
}

func (a *api) tier(w http.ResponseWriter, r *http.Request, stream string) {
	res, err := a.st.Tier(r.Context(), stream, store.TierOptions{})
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// fail answers with the status that err calls for.
func (a *api) fail(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, store.ErrUnknownStream), errors.Is(err, store.ErrUnknownGroup):
		status = http.StatusNotFound
	case errors.Is(err, store.ErrBadBatch), errors.Is(err, store.ErrBadCut), errors.Is(err, segment.ErrBadPolicy),
		errors.Is(err, models.ErrBadID), errors.Is(err, ErrBadPoint), errors.Is(err, store.ErrBadSplit):
		status = http.StatusBadRequest
	case errors.Is(err, store.ErrCutTiered), errors.Is(err, store.ErrSplitExpired), errors.Is(err, store.ErrBehindRetention),
		errors.Is(err, store.ErrRebalance):
		status = http.StatusConflict
	case errors.Is(err, ErrShuttingDown):
		status = http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		return // the client left
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		status = http.StatusRequestEntityTooLarge
	}
	if status == http.StatusInternalServerError {
		a.log.Error("request failed", "err", err)
	}
	writeError(w, status, err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
