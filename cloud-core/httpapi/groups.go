package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/jsonpoint"
)

// groupBody is the body of PUT /v1/streams/{stream}/groups/{group}.
type groupBody struct {
	// From is "now" (default), "start" or a cut.
	From string `json:"from"`
	// Reset moves an existing group to From.
	Reset bool `json:"reset"`
}

// checkpointBody is the body of POST .../groups/{group}/checkpoint.
type checkpointBody struct {
	Member string `json:"member"`
	Cut    string `json:"cut"`
}

// withGroup checks the {stream} and {group} path values before calling h.
func (a *api) withGroup(h func(w http.ResponseWriter, r *http.Request, stream, group string)) http.HandlerFunc {
	return a.withStream(func(w http.ResponseWriter, r *http.Request, stream string) {
		group := r.PathValue("group")
		if err := models.ValidateID("group", group); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		h(w, r, stream, group)
	})
}

// parseFrom reads a from value: "now" or "" (nil), "start" (the empty
// cut) or a cut.
func parseFrom(stream, from string) (*models.StreamCut, error) {
	switch from {
	case "", "now":
		return nil, nil
	case "start":
		return &models.StreamCut{Stream: stream}, nil
	}
	cut, err := store.ParseCut(stream, from)
	if err != nil {
		return nil, err
	}
	return &cut, nil
}

func (a *api) listGroups(w http.ResponseWriter, r *http.Request, stream string) {
	gs, err := a.st.Groups(r.Context(), stream)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]store.GroupInfo{"groups": gs})
}

func (a *api) getGroup(w http.ResponseWriter, r *http.Request, stream, group string) {
	info, err := a.st.Group(r.Context(), stream, group)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (a *api) putGroup(w http.ResponseWriter, r *http.Request, stream, group string) {
	var body groupBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, a.maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "group: "+err.Error())
		return
	}
	from, err := parseFrom(stream, body.From)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	info, changed, err := a.st.CreateGroup(r.Context(), stream, group, from, body.Reset)
	if err != nil {
		a.fail(w, err)
		return
	}
	status := http.StatusOK
	if changed && !body.Reset {
		status = http.StatusCreated
	}
	writeJSON(w, status, info)
}

func (a *api) deleteGroup(w http.ResponseWriter, r *http.Request, stream, group string) {
	if err := a.st.DeleteGroup(r.Context(), stream, group); err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"deleted": group})
}

func (a *api) checkpoint(w http.ResponseWriter, r *http.Request, stream, group string) {
	var body checkpointBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, a.maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "checkpoint: "+err.Error())
		return
	}
	if err := models.ValidateID("member", body.Member); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	cut, err := store.ParseCut(stream, body.Cut)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	info, err := a.st.Checkpoint(r.Context(), stream, group, body.Member, cut)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

// groupTail reads a stream as a member of a reader group:
// GET /v1/streams/{stream}/groups/{group}/tail?member=&from=&cut_every=.
// A group that does not exist is created at from (default now). The
// lines are a tail's (see tailWriter), after a first line
//
//	{"group":"scorers","member":"m1","assigned":["0","2"]}
//
// and, when the group's segments are handed out again, a last cut line
// and {"rebalance":true}: the member checkpoints that cut and reconnects.
func (a *api) groupTail(w http.ResponseWriter, r *http.Request, stream, group string) {
	if a.stopped(w) {
		return
	}
	v := r.URL.Query()
	member := v.Get("member")
	if err := models.ValidateID("member", member); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	from, err := parseFrom(stream, v.Get("from"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	every, err := parseCutEvery(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if _, _, err := a.st.CreateGroup(r.Context(), stream, group, from, false); err != nil {
		a.fail(w, err)
		return
	}
	tw := &tailWriter{w: w, cutEvery: every, heartbeat: a.heartbeat}
	opts := store.GroupTailOptions{
		Progress: tw.progress, Heartbeat: a.heartbeat,
		Assigned: func(segs []string) error {
			tw.head = func(dst []byte) []byte {
				dst = append(dst, `{"group":`...)
				dst = jsonpoint.AppendString(dst, group)
				dst = append(dst, `,"member":`...)
				dst = jsonpoint.AppendString(dst, member)
				dst = append(dst, `,"assigned":[`...)
				for i, s := range segs {
					if i > 0 {
						dst = append(dst, ',')
					}
					dst = jsonpoint.AppendString(dst, s)
				}
				return append(dst, "]}\n"...)
			}
			return nil
		},
	}
	ctx, cancel := a.tailContext(r)
	defer cancel(nil)
	err = a.st.GroupTail(ctx, stream, group, member, opts, tw.point)
	if errors.Is(err, store.ErrRebalance) && r.Context().Err() == nil {
		if !tw.started() {
			tw.start()
		}
		tw.finalCut()
		tw.line = append(tw.line[:0], `{"rebalance":true}`+"\n"...)
		_, _ = tw.out.Write(tw.line)
		_ = tw.out.flush()
		return
	}
	a.endTail(w, r, ctx, tw, err)
}
