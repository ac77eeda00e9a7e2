package httpapi_test

import (
	"strings"
	"testing"
)

func TestGroupEndpoints(t *testing.T) {
	hs := newServer(t)
	if status, body := do(t, hs, "POST", "/v1/streams/vt/points", points("gw-1.normal", 1, 30)); status != 200 {
		t.Fatalf("write: %d %s", status, body)
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"create from the start", "PUT", "/v1/streams/vt/groups/g", `{"from":"start"}`, 201, `"cut": ""`},
		{"create again", "PUT", "/v1/streams/vt/groups/g", ``, 200, `"name": "g"`},
		{"create bad from", "PUT", "/v1/streams/vt/groups/h", `{"from":"yesterday"}`, 400, `invalid stream cut`},
		{"create bad body", "PUT", "/v1/streams/vt/groups/h", `{"form":"now"}`, 400, `unknown field`},
		{"create bad name", "PUT", "/v1/streams/vt/groups/a.b", `{}`, 400, `invalid id`},
		{"create on an unknown stream", "PUT", "/v1/streams/nope/groups/g", `{}`, 404, `unknown stream`},
		{"get", "GET", "/v1/streams/vt/groups/g", "", 200, `"lag"`},
		{"get unknown", "GET", "/v1/streams/vt/groups/nope", "", 404, `unknown reader group`},
		{"list", "GET", "/v1/streams/vt/groups", "", 200, `"name": "g"`},
		{"checkpoint", "POST", "/v1/streams/vt/groups/g/checkpoint", `{"member":"m1","cut":"0:2"}`, 200, `"cut": "0:2"`},
		{"checkpoint back", "POST", "/v1/streams/vt/groups/g/checkpoint", `{"member":"m1","cut":"0:1"}`, 200, `"cut": "0:2"`},
		{"checkpoint past the end", "POST", "/v1/streams/vt/groups/g/checkpoint", `{"member":"m1","cut":"0:99"}`, 400, `invalid stream cut`},
		{"checkpoint bad cut", "POST", "/v1/streams/vt/groups/g/checkpoint", `{"member":"m1","cut":"zero"}`, 400, `invalid stream cut`},
		{"checkpoint no member", "POST", "/v1/streams/vt/groups/g/checkpoint", `{"cut":"0:2"}`, 400, `empty member`},
		{"checkpoint unknown group", "POST", "/v1/streams/vt/groups/x/checkpoint", `{"member":"m","cut":"0:2"}`, 404, `unknown reader group`},
		{"tail without member", "GET", "/v1/streams/vt/groups/g/tail", "", 400, `empty member`},
		{"tail bad from", "GET", "/v1/streams/vt/groups/new/tail?member=m&from=x", "", 400, `invalid stream cut`},
		{"delete", "DELETE", "/v1/streams/vt/groups/g", "", 200, `"deleted": "g"`},
		{"delete again", "DELETE", "/v1/streams/vt/groups/g", "", 404, `unknown reader group`},
	} {
		checkAnswer(t, hs, tc.name, tc.method, tc.path, tc.body, tc.status, tc.contains)
	}

	// A member's tail: who it is and what it has, the start, the points.
	ch := openTail(t, hs, "/v1/streams/vt/groups/scorers/tail?member=m1&from=start&cut_every=0")
	got, cuts := collect(t, ch, func(p []tailLine) bool { return len(p) >= 30 })
	checkTailed(t, got, 1)
	if len(cuts) == 0 || cuts[0].after != 0 {
		t.Errorf("cuts %v", cuts)
	}
	status, body := do(t, hs, "GET", "/v1/streams/vt/groups/scorers", "")
	if status != 200 || !strings.Contains(body, `"name": "m1"`) || !strings.Contains(body, `"connected": true`) {
		t.Errorf("group with its member: %d %s", status, body)
	}
}
