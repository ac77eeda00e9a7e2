package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestScaleEndpoint(t *testing.T) {
	hs := newServer(t)
	code, body := do(t, hs, "PUT", "/v1/streams/vt", `{"segments":2,"scaling":{"by":"points","target":5000,"factor":2,"min_segments":1}}`)
	if code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, body)
	}
	code, body = do(t, hs, "POST", "/v1/streams/vt/points?writer=gw.normal",
		`{"seq":1,"device":"veh-1","time":"2026-11-25T12:00:00Z","fields":{"v":1}}`+"\n"+
			`{"seq":2,"device":"veh-2","time":"2026-11-25T12:00:01Z","fields":{"v":2}}`+"\n")
	if code != http.StatusOK {
		t.Fatalf("points: %d %s", code, body)
	}
	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"split":"1","parts":3}`, http.StatusOK}, // 1 -> 2, 3, 4
		{`{"merge":["3","4"]}`, http.StatusOK},     // 3 + 4 -> 5
		{`{"split":"1"}`, http.StatusConflict},     // sealed
		{`{"split":"9"}`, http.StatusNotFound},
		{`{"merge":["0","5"]}`, http.StatusBadRequest}, // not adjacent
		{`{"merge":["0"]}`, http.StatusBadRequest},
		{`{"split":"0","parts":40}`, http.StatusBadRequest},
		{`{"split":"0","merge":["0","2"]}`, http.StatusBadRequest},
		{`{}`, http.StatusBadRequest},
		{`{"split":"0","extra":1}`, http.StatusBadRequest},
		{`not json`, http.StatusBadRequest},
	} {
		code, body := do(t, hs, "POST", "/v1/streams/vt/scale", tc.body)
		if code != tc.code {
			t.Errorf("scale %s: %d %s, want %d", tc.body, code, body, tc.code)
		}
	}
	if code, body := do(t, hs, "POST", "/v1/streams/nope/scale", `{"split":"0"}`); code != http.StatusNotFound {
		t.Errorf("scale of an unknown stream: %d %s", code, body)
	}

	code, body = do(t, hs, "GET", "/v1/streams/vt", "")
	if code != http.StatusOK {
		t.Fatalf("GET: %d %s", code, body)
	}
	var info struct {
		Epoch  uint64 `json:"epoch"`
		Epochs []struct {
			Number   uint64   `json:"number"`
			Segments []string `json:"segments"`
		} `json:"epochs"`
		Segments []struct {
			ID           string                  `json:"id"`
			Range        struct{ Lo, Hi uint64 } `json:"range"`
			SealedEpoch  uint64                  `json:"sealed_epoch"`
			Predecessors []string                `json:"predecessors"`
		} `json:"segments"`
		Scaling struct {
			Auto    bool `json:"auto"`
			History []struct {
				Epoch   uint64   `json:"epoch"`
				Kind    string   `json:"kind"`
				Sealed  []string `json:"sealed"`
				Created []string `json:"created"`
				Manual  bool     `json:"manual"`
			} `json:"history"`
		} `json:"scaling"`
	}
	if err := json.Unmarshal([]byte(body), &info); err != nil {
		t.Fatal(err)
	}
	h := info.Scaling.History
	if info.Epoch != 3 || len(info.Epochs) != 3 || len(info.Segments) != 6 || !info.Scaling.Auto || len(h) != 2 {
		t.Fatalf("stream after two changes: %s", body)
	}
	if h[0].Kind != "split" || h[0].Epoch != 2 || len(h[0].Created) != 3 || !h[0].Manual ||
		h[1].Kind != "merge" || strings.Join(h[1].Sealed, ",") != "3,4" || strings.Join(h[1].Created, ",") != "5" {
		t.Errorf("history %+v", h)
	}
	if got := strings.Join(info.Epochs[2].Segments, ","); got != "0,2,5" {
		t.Errorf("current epoch segments %s", got)
	}

	code, body = do(t, hs, "GET", "/metrics", "")
	for _, want := range []string{
		`tributary_store_segments{stream="vt"} 3`,
		`tributary_scaling_events_total{kind="split",stream="vt"} 1`,
		`tributary_scaling_events_total{kind="merge",stream="vt"} 1`,
	} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
