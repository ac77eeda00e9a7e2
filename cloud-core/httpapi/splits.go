package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/models"
)

// splitJSON is one split in a listing: its token and what it holds.
type splitJSON struct {
	Token string `json:"token"`
	store.Split
}

// splitsJSON is the answer of GET /v1/streams/{stream}/splits.
type splitsJSON struct {
	Stream string      `json:"stream"`
	Start  int64       `json:"start,omitempty"`
	End    int64       `json:"end,omitempty"`
	Splits []splitJSON `json:"splits"`
}

// splits lists a stream's splits: GET /v1/streams/{stream}/splits?start=&end=&target=.
func (a *api) splits(w http.ResponseWriter, r *http.Request, stream string) {
	v := r.URL.Query()
	start, end, err := timeRange(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	opts := store.SplitOptions{Start: start, End: end, Lease: a.splitLease}
	if s := v.Get("target"); s != "" {
		if opts.TargetPoints, err = strconv.ParseInt(s, 10, 64); err != nil || opts.TargetPoints <= 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("target %q: want a number of points", s))
			return
		}
	}
	list, err := a.st.Splits(r.Context(), stream, opts)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := splitsJSON{Stream: stream, Start: start, End: end, Splits: make([]splitJSON, len(list))}
	for i, sp := range list {
		out.Splits[i] = splitJSON{Token: sp.Token(), Split: sp}
	}
	writeJSON(w, http.StatusOK, out)
}

// readSplit reads one split: GET /v1/splits/{token}?format=&limit=&fields=.
func (a *api) readSplit(w http.ResponseWriter, r *http.Request) {
	sp, err := store.ParseSplitToken(r.PathValue("token"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	p, err := parseReadParams(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a.stream(w, r, p, "split", func(fn func(*models.Point) error) error {
		return a.st.ReadSplit(r.Context(), sp, fn)
	})
}
