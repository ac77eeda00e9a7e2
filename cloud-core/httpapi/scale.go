package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
)

// scaleRequest is the body of POST /v1/streams/{stream}/scale: exactly
// one of Split and Merge.
type scaleRequest struct {
	// Split names the segment to split; Parts is how many successors it
	// gets (0: the policy's scaling factor).
	Split string `json:"split,omitempty"`
	Parts int    `json:"parts,omitempty"`
	// Merge names adjacent active segments to merge into one.
	Merge []string `json:"merge,omitempty"`
}

// scale splits or merges segments on an operator's request and answers
// with the stream as GET /v1/streams/{stream} shows it.
func (a *api) scale(w http.ResponseWriter, r *http.Request, stream string) {
	var req scaleRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, a.maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "scale request: "+err.Error())
		return
	}
	why := segment.Change{Manual: true}
	var err error
	switch {
	case req.Split != "" && req.Merge == nil:
		_, err = a.st.SplitSegment(r.Context(), stream, req.Split, req.Parts, why)
	case req.Split == "" && req.Merge != nil && req.Parts == 0:
		_, err = a.st.MergeSegments(r.Context(), stream, req.Merge, why)
	default:
		writeError(w, http.StatusBadRequest, `scale request: want {"split":"SEGMENT"} (with an optional "parts") or {"merge":["SEG_A","SEG_B"]}`)
		return
	}
	if err != nil {
		a.failScale(w, err)
		return
	}
	info, err := a.st.Stream(r.Context(), stream)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

// failScale answers a refused split or merge.
func (a *api) failScale(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, segment.ErrUnknownSegment):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, segment.ErrSealed), errors.Is(err, store.ErrScaleConflict):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, segment.ErrNotAdjacent), errors.Is(err, segment.ErrBadLayout):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		a.fail(w, err)
	}
}
