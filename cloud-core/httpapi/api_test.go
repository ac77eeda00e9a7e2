package httpapi_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/tributary-iot/tributary/cloud-core/httpapi"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/internal/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newServer runs the API on a store with its real parts.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	hs, _ := newTestServer(t, nil, nil)
	return hs
}

// newTestServer runs the API on a store with its real parts (an embedded
// nats-server, a bbolt file, a tier-2 directory), with options changed
// by the optional functions.
func newTestServer(t testing.TB, apiOpts func(*httpapi.Options), storeOpts func(*store.Options)) (*httptest.Server, *store.Store) {
	t.Helper()
	env := storetest.Open(t, storeOpts)
	ao := httpapi.Options{Store: env.Store, Gatherer: env.Registry}
	if apiOpts != nil {
		apiOpts(&ao)
	}
	hs := httptest.NewServer(httpapi.New(ao))
	t.Cleanup(hs.Close)
	return hs, env.Store
}

func do(t testing.TB, hs *httptest.Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// checkAnswer sends a request and checks the answer: its status, that
// its body holds contains, and that an error's body is {"error":...}.
func checkAnswer(t *testing.T, hs *httptest.Server, name, method, path, reqBody string, wantStatus int, contains string) {
	t.Helper()
	status, body := do(t, hs, method, path, reqBody)
	if status != wantStatus || !strings.Contains(body, contains) {
		t.Errorf("%s: %d %s\nwant %d with %q", name, status, body, wantStatus, contains)
	}
	if status >= 400 {
		var e struct{ Error string }
		if json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
			t.Errorf("%s: error body is not {\"error\":...}: %s", name, body)
		}
	}
}

// points returns NDJSON lines of writer w's seqs first..last.
func points(w string, first, last int) string {
	var sb strings.Builder
	for s := first; s <= last; s++ {
		fmt.Fprintf(&sb, `{"writer":%q,"seq":%d,"device":"veh-%d","time":"2026-11-25T12:00:%02d.5Z","fields":{"speed_kmh":%d.5,"gear":%d,"on":true,"mode":"eco"},"tags":{"model":"sedan"}}`+"\n",
			w, s, s%3, s%60, s, s%6)
	}
	return sb.String()
}

func TestAPI(t *testing.T) {
	hs := newServer(t)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"health", "GET", "/healthz", "", 200, `"ok"`},
		{"no streams", "GET", "/v1/streams", "", 200, `"streams": []`},
		{"create", "PUT", "/v1/streams/vt", `{"segments":2,"retention":{"max_age":"720h"}}`, 201, `"max_age": "720h0m0s"`},
		{"update", "PUT", "/v1/streams/vt", `{"segments":2,"retention":{"max_age":"1h"}}`, 200, `"max_age": "1h0m0s"`},
		{"bad policy", "PUT", "/v1/streams/vt", `{"segments":0}`, 400, `invalid stream policy`},
		{"unknown policy key", "PUT", "/v1/streams/vt", `{"shards":3}`, 400, `unknown field`},
		{"bad name", "PUT", "/v1/streams/a.b", `{}`, 400, `invalid id`},
		{"write", "POST", "/v1/streams/vt/points", points("gw-1.normal", 1, 30), 200, `"points": 30`},
		{"write again (a retry)", "POST", "/v1/streams/vt/points", points("gw-1.normal", 1, 30), 200, `"points": 30`},
		{"write with query writer", "POST", "/v1/streams/vt/points?writer=gw-2.high",
			`{"seq":1,"device":"d","time":1764072000000000000,"fields":{"x":1}}`, 200, `"batches": 1`},
		{"write bad line", "POST", "/v1/streams/vt/points", `{"seq":1,"device":"d","time":"x"}`, 400, `line 1`},
		{"write no writer", "POST", "/v1/streams/vt/points", `{"seq":1,"device":"d","time":1,"fields":{"x":1}}`, 400, `no writer`},
		{"write other stream", "POST", "/v1/streams/vt/points", `{"writer":"w","stream":"zz","seq":1,"device":"d","time":1,"fields":{"x":1}}`, 400, `posted to stream`},
		{"write seq backwards", "POST", "/v1/streams/vt/points", points("gw-3.normal", 5, 5) + points("gw-3.normal", 4, 4), 400, `invalid batch`},
		{"stream", "GET", "/v1/streams/vt", "", 200, `"segments"`},
		{"unknown stream", "GET", "/v1/streams/nope", "", 404, `unknown stream`},
		{"count all", "GET", "/v1/streams/vt/count", "", 200, `"events": 31`},
		{"count device", "GET", "/v1/streams/vt/count?device=veh-1", "", 200, `"events": 10`},
		{"count time", "GET", "/v1/streams/vt/count?start=2026-11-25T12:00:10Z&end=2026-11-25T12:00:20Z", "", 200, `"events": 10`},
		{"count unix ns", "GET", "/v1/streams/vt/count?start=1795608010000000000&end=1795608020000000000", "", 200, `"events": 10`},
		{"count bad start", "GET", "/v1/streams/vt/count?start=yesterday", "", 400, `start`},
		{"count end before start", "GET", "/v1/streams/vt/count?start=5&end=4", "", 400, `end before start`},
		{"count unknown stream", "GET", "/v1/streams/nope/count", "", 404, `unknown stream`},
		{"events limit", "GET", "/v1/streams/vt/events?limit=2&device=veh-2", "", 200, `"device":"veh-2"`},
		{"events csv", "GET", "/v1/streams/vt/events?format=csv", "", 200, "time,device,agent,seq,received,"},
		{"events bad format", "GET", "/v1/streams/vt/events?format=xml", "", 400, `want one of`},
		{"events bad limit", "GET", "/v1/streams/vt/events?limit=-1", "", 400, `limit`},
		{"events unknown stream", "GET", "/v1/streams/nope/events", "", 404, `unknown stream`},
		{"tier", "POST", "/v1/streams/vt/tier", "", 200, `"points": 31`},
		{"count after tiering", "GET", "/v1/streams/vt/count", "", 200, `"events": 31`},
		{"tier unknown", "POST", "/v1/streams/nope/tier", "", 404, `unknown stream`},
		{"list", "GET", "/v1/streams", "", 200, `"vt"`},
		{"metrics", "GET", "/metrics", "", 200, `tributary_store_appended_points_total 31`},
		{"no such endpoint", "GET", "/v2/x", "", 404, `no such endpoint`},
		{"wrong method", "DELETE", "/v1/streams/vt", "", 404, `no such endpoint`},
	} {
		checkAnswer(t, hs, tc.name, tc.method, tc.path, tc.body, tc.status, tc.contains)
	}
}

func TestEventsAreNDJSONPointsInOrder(t *testing.T) {
	hs := newServer(t)
	if status, body := do(t, hs, "POST", "/v1/streams/vt/points", points("gw-1.normal", 1, 40)); status != 200 {
		t.Fatalf("write: %d %s", status, body)
	}
	if status, body := do(t, hs, "POST", "/v1/streams/vt/tier", ""); status != 200 {
		t.Fatalf("tier: %d %s", status, body)
	}
	if status, body := do(t, hs, "POST", "/v1/streams/vt/points", points("gw-1.normal", 41, 59)); status != 200 {
		t.Fatalf("write: %d %s", status, body)
	}
	resp, err := hs.Client().Get(hs.URL + "/v1/streams/vt/events?format=ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("content type %q", ct)
	}
	type point struct {
		Device string             `json:"device"`
		Stream string             `json:"stream"`
		Time   string             `json:"time"`
		Fields map[string]any     `json:"fields"`
		Tags   map[string]string  `json:"tags"`
		Agent  string             `json:"agent"`
		Seq    uint64             `json:"seq"`
		Extra  map[string]float64 `json:"-"`
	}
	seen := map[uint64]bool{}
	last := map[string]uint64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var p point
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if p.Stream != "vt" || p.Agent != "gw-1" || p.Fields["mode"] != "eco" || p.Tags["model"] != "sedan" || p.Time == "" {
			t.Errorf("point %+v", p)
		}
		if seen[p.Seq] {
			t.Errorf("seq %d twice", p.Seq)
		}
		seen[p.Seq] = true
		if p.Seq <= last[p.Device] {
			t.Errorf("device %s: seq %d after %d", p.Device, p.Seq, last[p.Device])
		}
		last[p.Device] = p.Seq
	}
	if len(seen) != 59 {
		t.Errorf("read %d points, want 59", len(seen))
	}
}
