package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// errBadScaleRequest is returned (wrapped) by decodeScaleRequest.
var errBadScaleRequest = errors.New(`bad scale request: want {"split":"SEGMENT"} (with an optional "parts") or {"merge":["SEG_A","SEG_B"]}`)

// decodeScaleRequest reads and checks a scale request body.
func decodeScaleRequest(r io.Reader) (scaleRequest, error) {
	var req scaleRequest
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return scaleRequest{}, fmt.Errorf("%w: %w", errBadScaleRequest, err)
	}
	if dec.More() {
		return scaleRequest{}, fmt.Errorf("%w: more than one JSON value", errBadScaleRequest)
	}
	split := req.Split != "" && req.Merge == nil
	merge := req.Split == "" && len(req.Merge) > 0 && req.Parts == 0
	if !split && !merge {
		return scaleRequest{}, errBadScaleRequest
	}
	return req, nil
}

// scale splits or merges segments on an operator's request and answers
// with the stream as GET /v1/streams/{stream} shows it.
func (a *api) scale(w http.ResponseWriter, r *http.Request, stream string) {
	req, err := decodeScaleRequest(http.MaxBytesReader(w, r.Body, a.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.fail(w, err)
			return
		}
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	why := segment.Change{Manual: true}
	if req.Split != "" {
		_, err = a.st.SplitSegment(r.Context(), stream, req.Split, req.Parts, why)
	} else {
		_, err = a.st.MergeSegments(r.Context(), stream, req.Merge, why)
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
