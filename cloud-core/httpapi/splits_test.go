package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tinylib/msgp/msgp"

	"github.com/tributary-iot/tributary/models"
)

type pointKey struct {
	agent string
	seq   uint64
}

// decodeMsgpack returns the points of a msgpack body.
func decodeMsgpack(t testing.TB, body []byte) []models.Point {
	t.Helper()
	r := msgp.NewReader(bytes.NewReader(body))
	var out []models.Point
	for {
		var p models.Point
		err := p.DecodeMsg(r)
		if msgp.Cause(err) == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("msgpack body: %v", err)
		}
		out = append(out, p)
	}
}

// fillThreeWriters writes 3 writers' seqs 1..600 over 11 devices each to
// stream vt (3 segments), tiering the first half.
func fillThreeWriters(t *testing.T, hs *httptest.Server) {
	t.Helper()
	if status, body := do(t, hs, "PUT", "/v1/streams/vt", `{"segments":3}`); status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	body := func(w string, first, last int) string {
		var sb strings.Builder
		for s := first; s <= last; s++ {
			fmt.Fprintf(&sb, `{"writer":%q,"seq":%d,"device":"%s-dev-%d","time":%d,"fields":{"v":%d.5}}`+"\n", w, s, w[:1], s%11, t0+int64(s)*1e6, s)
		}
		return sb.String()
	}
	for _, half := range [][2]int{{1, 300}, {301, 600}} {
		for _, w := range []string{"a.normal", "b.normal", "c.high"} {
			for first := half[0]; first <= half[1]; first += 50 {
				if status, b := do(t, hs, "POST", "/v1/streams/vt/points", body(w, first, first+49)); status != 200 {
					t.Fatalf("write: %d %s", status, b)
				}
			}
		}
		if half[0] == 1 {
			if status, b := do(t, hs, "POST", "/v1/streams/vt/tier", ""); status != 200 {
				t.Fatalf("tier: %d %s", status, b)
			}
		}
	}
}

type splitList struct {
	Splits []struct {
		Token   string `json:"token"`
		Segment string `json:"segment"`
		Tier    int    `json:"tier"`
	} `json:"splits"`
}

// TestSplitsEqualOneQuery: a range read as one query holds exactly the
// points of its splits read by parallel workers, across the tier boundary.
func TestSplitsEqualOneQuery(t *testing.T) {
	hs := newServer(t)
	fillThreeWriters(t, hs)
	ts := func(seq int) string { return fmt.Sprint(t0 + int64(seq)*1e6) }
	for _, tc := range []struct {
		name, params string
		workers      int
		want         int
	}{
		{"everything, one worker", "", 1, 1800},
		{"everything, small splits, four workers", "target=40", 4, 1800},
		{"across the tier boundary", "start=" + ts(250) + "&end=" + ts(350), 3, 300},
		{"tier 2 only", "end=" + ts(100), 2, 297},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.params)
			q.Del("target")
			one := decodeMsgpack(t, get(t, hs, "/v1/streams/vt/events?format=msgpack&"+q.Encode()))
			if len(one) != tc.want {
				t.Fatalf("query read %d points, want %d", len(one), tc.want)
			}
			var list splitList
			if err := json.Unmarshal(get(t, hs, "/v1/streams/vt/splits?"+tc.params), &list); err != nil {
				t.Fatal(err)
			}
			tiers := map[int]int{}
			for _, sp := range list.Splits {
				tiers[sp.Tier]++
			}
			if tc.params == "" && (tiers[1] != 3 || tiers[2] < 3) {
				t.Errorf("splits by tier %v: want chunks and a tier-1 range per segment", tiers)
			}
			var (
				mu     sync.Mutex
				merged []models.Point
				wg     sync.WaitGroup
				jobs   = make(chan string)
			)
			for w := range tc.workers {
				wg.Go(func() {
					for tok := range jobs {
						var got []models.Point
						if w%2 == 0 {
							got = decodeMsgpack(t, get(t, hs, "/v1/splits/"+tok+"?format=msgpack"))
						} else {
							got = decodeNDJSON(t, get(t, hs, "/v1/splits/"+tok))
						}
						mu.Lock()
						merged = append(merged, got...)
						mu.Unlock()
					}
				})
			}
			for _, sp := range list.Splits {
				jobs <- sp.Token
			}
			close(jobs)
			wg.Wait()
			want := map[pointKey]bool{}
			for _, p := range one {
				want[pointKey{p.Agent, p.Seq}] = true
			}
			seen := map[pointKey]bool{}
			for _, p := range merged {
				k := pointKey{p.Agent, p.Seq}
				if seen[k] {
					t.Errorf("%v in two splits", k)
				}
				if !want[k] {
					t.Errorf("%v in a split, not in the query", k)
				}
				seen[k] = true
			}
			if len(seen) != len(want) {
				t.Errorf("splits hold %d points, the query %d", len(seen), len(want))
			}
		})
	}
}

// decodeNDJSON returns the agent and seq of each line of an NDJSON body.
func decodeNDJSON(t testing.TB, body []byte) []models.Point {
	t.Helper()
	var out []models.Point
	for _, line := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var p struct {
			Agent string `json:"agent"`
			Seq   uint64 `json:"seq"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(line, &p); err != nil || p.Error != "" {
			t.Fatalf("line %s: %v", line, err)
		}
		out = append(out, models.Point{Agent: p.Agent, Seq: p.Seq})
	}
	return out
}

func TestReadErrors(t *testing.T) {
	hs := newServer(t)
	fillThreeWriters(t, hs)
	var list splitList
	if err := json.Unmarshal(get(t, hs, "/v1/streams/vt/splits"), &list); err != nil {
		t.Fatal(err)
	}
	tok := list.Splits[0].Token
	payload := tok[strings.IndexByte(tok, '.'):]
	for _, tc := range []struct {
		name, path string
		status     int
		contains   string
	}{
		{"splits of an unknown stream", "/v1/streams/nope/splits", 404, "unknown stream"},
		{"splits bad start", "/v1/streams/vt/splits?start=soon", 400, "start"},
		{"splits end before start", "/v1/streams/vt/splits?start=9&end=3", 400, "end before start"},
		{"splits bad target", "/v1/streams/vt/splits?target=-4", 400, "target"},
		{"split garbage token", "/v1/splits/garbage", 400, "invalid split"},
		{"split bad payload", "/v1/splits/vt.AAAA", 400, "invalid split"},
		{"split changed payload", "/v1/splits/" + tok[:len(tok)-3] + "xyz", 400, "checksum"},
		{"split of an unknown stream", "/v1/splits/nope" + payload, 404, "unknown stream"},
		{"split bad format", "/v1/splits/" + tok + "?format=xls", 400, "format"},
		{"split bad limit", "/v1/splits/" + tok + "?limit=x", 400, "limit"},
		{"split limit", "/v1/splits/" + tok + "?limit=1", 200, `"seq"`},
		{"tail unknown stream", "/v1/streams/nope/tail", 404, "unknown stream"},
		{"tail bad cut", "/v1/streams/vt/tail?from=0:x", 400, "invalid stream cut"},
		{"tail cut of an unknown segment", "/v1/streams/vt/tail?from=7:1", 400, "unknown segment"},
		{"tail cut past the end", "/v1/streams/vt/tail?from=0:9999", 400, "past the end"},
		{"tail bad device", "/v1/streams/vt/tail?device=a%01b", 400, "device"},
		{"tail bad start", "/v1/streams/vt/tail?start=x", 400, "start"},
		{"tail bad cut_every", "/v1/streams/vt/tail?cut_every=-1s", 400, "cut_every"},
		{"events bad fields are fine", "/v1/streams/vt/events?format=csv&fields=,,v,&limit=1", 200, "time,device,agent,seq,received,v\n"},
	} {
		checkAnswer(t, hs, tc.name, "GET", tc.path, "", tc.status, tc.contains)
	}
}
