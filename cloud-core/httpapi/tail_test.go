package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/httpapi"
)

// tailLine is one line of a tail: a point or a cut.
type tailLine struct {
	Device string `json:"device"`
	Agent  string `json:"agent"`
	Seq    uint64 `json:"seq"`
	Seg    string `json:"seg"`
	Pos    uint64 `json:"pos"`
	Cut    *string
	Error  string `json:"error"`
	// Assigned is set on a group member's first line.
	Assigned []string `json:"assigned"`
}

// openTail starts a tail request; its lines arrive on the channel, which
// is closed when the response ends. The request is cancelled at cleanup.
func openTail(t *testing.T, hs *httptest.Server, path string) <-chan tailLine {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", hs.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	ch := make(chan tailLine, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var l struct {
				tailLine
				Cut *string `json:"cut"`
			}
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Errorf("tail line %q: %v", sc.Text(), err)
				return
			}
			l.tailLine.Cut = l.Cut
			select {
			case ch <- l.tailLine:
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return ch
}

// collect reads a tail's lines until stop says so, failing after 30 s.
func collect(t *testing.T, ch <-chan tailLine, stop func(points []tailLine) bool) (points []tailLine, cuts []cutAt) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !stop(points) {
		select {
		case l, ok := <-ch:
			if !ok {
				t.Fatalf("tail ended after %d points", len(points))
			}
			switch {
			case l.Error != "":
				t.Fatalf("tail error: %s", l.Error)
			case l.Cut != nil:
				cuts = append(cuts, cutAt{cut: *l.Cut, after: len(points)})
			case l.Assigned != nil:
			default:
				points = append(points, l)
			}
		case <-deadline:
			t.Fatalf("tail delivered %d points in 30 s", len(points))
		}
	}
	return points, cuts
}

// cutAt is a cut line and the number of points before it.
type cutAt struct {
	cut   string
	after int
}

// TestTailDuringIngest starts tails while points are written and tiered:
// one from the start catches up through both tiers and follows the live
// end, one from now follows it; each sees every point exactly once in
// per-device order, and a tail resumed from a cut line sees exactly the
// points after it.
func TestTailDuringIngest(t *testing.T) {
	hs := newServer(t)
	if status, body := do(t, hs, "PUT", "/v1/streams/vt", `{"segments":2}`); status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	const total, per, devices = 3000, 50, 10
	var written atomic.Int64
	write := func(first int) {
		var sb strings.Builder
		for s := first; s < first+per; s++ {
			fmt.Fprintf(&sb, `{"writer":"gw-1.normal","seq":%d,"device":"veh-%d","time":%d,"fields":{"v":%d}}`+"\n", s, s%devices, t0+int64(s)*1e6, s)
		}
		if status, body := do(t, hs, "POST", "/v1/streams/vt/points", sb.String()); status != 200 {
			t.Errorf("write: %d %s", status, body)
		}
		written.Store(int64(first + per - 1))
	}
	next := 1
	for ; next <= 500; next += per {
		write(next)
	}
	var wg sync.WaitGroup
	startTails := make(chan struct{})
	wg.Go(func() {
		<-startTails
		for ; next <= total; next += per {
			write(next)
			if next%500 == 1 {
				do(t, hs, "POST", "/v1/streams/vt/tier", "")
			}
		}
	})
	fromStart := openTail(t, hs, "/v1/streams/vt/tail?from=start&cut_every=0")
	fromNow := openTail(t, hs, "/v1/streams/vt/tail?from=now&cut_every=0")
	close(startTails)

	all, cuts := collect(t, fromStart, func(p []tailLine) bool { return len(p) >= total })
	wg.Wait()
	checkTailed(t, all, 1)
	if len(cuts) < 2 || cuts[0].after != 0 {
		t.Errorf("cut lines %v: want one first and more after", cuts)
	}

	// From now: for each device a suffix of its points, up to its last.
	last := map[string]uint64{}
	for s := total - devices + 1; s <= total; s++ {
		last[fmt.Sprintf("veh-%d", s%devices)] = uint64(s)
	}
	live, _ := collect(t, fromNow, func(p []tailLine) bool {
		seen := map[string]bool{}
		for _, l := range p {
			if l.Seq == last[l.Device] {
				seen[l.Device] = true
			}
		}
		return len(seen) == devices
	})
	first := checkTailed(t, live, 0)
	for dev, s := range first {
		if got := countDevice(live, dev); uint64(got) != (last[dev]-s)/devices+1 {
			t.Errorf("device %s: %d points from seq %d, want every one up to %d", dev, got, s, last[dev])
		}
	}

	// Resume from a cut line: 500 more points, untiered, and a cut in
	// their middle (tier 1 holds its positions).
	for next = total + 1; next <= total+500; next += per {
		write(next)
	}
	more, moreCuts := collect(t, fromStart, func(p []tailLine) bool { return len(p) >= 500 })
	var mid cutAt
	for _, c := range moreCuts {
		if c.after >= 200 && c.after <= 300 {
			mid = c
		}
	}
	if mid.cut == "" {
		t.Fatalf("no cut line in the middle of the last points: %v", moreCuts)
	}
	resume := func(how string) {
		t.Helper()
		rest, _ := collect(t, openTail(t, hs, "/v1/streams/vt/tail?from="+mid.cut), func(p []tailLine) bool { return len(p) >= 500-mid.after })
		want := map[uint64]bool{}
		for _, l := range more[mid.after:] {
			want[l.Seq] = true
		}
		for _, l := range rest {
			if !want[l.Seq] {
				t.Errorf("%s: resumed tail delivered seq %d, which came before the cut or twice", how, l.Seq)
			}
			delete(want, l.Seq)
		}
		if len(want) > 0 {
			t.Errorf("%s: resumed tail missed %d points", how, len(want))
		}
	}
	resume("from tier 1")

	// And again once tiering moved the cut's positions into the middle of
	// a chunk and trimmed tier 1: the chunk's rows from those positions on.
	if status, body := do(t, hs, "POST", "/v1/streams/vt/tier", ""); status != 200 {
		t.Fatalf("tier: %d %s", status, body)
	}
	var info struct {
		Tier1Messages uint64 `json:"tier1_messages"`
	}
	if err := json.Unmarshal(get(t, hs, "/v1/streams/vt"), &info); err != nil || info.Tier1Messages != 0 {
		t.Fatalf("tier 1 still holds %d messages (%v)", info.Tier1Messages, err)
	}
	resume("from inside a chunk")
}

func countDevice(ls []tailLine, dev string) int {
	n := 0
	for _, l := range ls {
		if l.Device == dev {
			n++
		}
	}
	return n
}

// checkTailed checks that no seq comes twice, that each device's seqs
// increase, and, when from is not 0, that seqs from..len are all there.
// It returns each device's first seq.
func checkTailed(t *testing.T, ls []tailLine, from uint64) map[string]uint64 {
	t.Helper()
	seen := map[uint64]bool{}
	prev := map[string]uint64{}
	first := map[string]uint64{}
	for _, l := range ls {
		if seen[l.Seq] {
			t.Errorf("seq %d twice", l.Seq)
		}
		seen[l.Seq] = true
		if l.Seq <= prev[l.Device] {
			t.Errorf("device %s: seq %d after %d", l.Device, l.Seq, prev[l.Device])
		}
		if _, ok := first[l.Device]; !ok {
			first[l.Device] = l.Seq
		}
		prev[l.Device] = l.Seq
		if l.Seg == "" || l.Pos == 0 || l.Agent != "gw-1" {
			t.Errorf("line without segment, position or agent: %+v", l)
		}
	}
	if from > 0 {
		for s := from; s < from+uint64(len(ls)); s++ {
			if !seen[s] {
				t.Errorf("seq %d missing", s)
			}
		}
	}
	return first
}

// TestTailEndsAtShutdown: when the server begins to stop, an open tail
// ends at once with its last cut and an error line saying why, rather
// than holding the shutdown up; the cut resumes exactly.
func TestTailEndsAtShutdown(t *testing.T) {
	stopping := make(chan struct{})
	hs, st := newTestServer(t, func(o *httpapi.Options) { o.Stopping = stopping }, nil)
	body := `{"writer":"gw-1.normal","seq":1,"device":"veh-1","time":1764072000000000000,"fields":{"v":1}}` + "\n" +
		`{"writer":"gw-1.normal","seq":2,"device":"veh-1","time":1764072001000000000,"fields":{"v":2}}` + "\n"
	if status, resp := do(t, hs, "POST", "/v1/streams/vt/points", body); status != 200 {
		t.Fatalf("write: %d %s", status, resp)
	}
	// cut_every=1h: the tail's cut after the points waits, so only the
	// shutdown can write it.
	ch := openTail(t, hs, "/v1/streams/vt/tail?from=start&cut_every=1h")
	points, _ := collect(t, ch, func(p []tailLine) bool { return len(p) == 2 })
	close(stopping)
	var last []tailLine
	timeout := time.After(10 * time.Second)
	for done := false; !done; {
		select {
		case l, ok := <-ch:
			if !ok {
				done = true
				break
			}
			last = append(last, l)
		case <-timeout:
			t.Fatalf("tail still open 10 s after the shutdown began (lines %+v)", last)
		}
	}
	if len(last) < 2 || last[len(last)-2].Cut == nil || !strings.Contains(last[len(last)-1].Error, "shutting down") {
		t.Fatalf("tail ended with %+v, want a cut line and a shutting-down error", last)
	}
	cut := *last[len(last)-2].Cut
	// New tails are refused now; the next server on the store resumes
	// the cut after both points.
	if status, _ := do(t, hs, "GET", "/v1/streams/vt/tail?from=start", ""); status != http.StatusServiceUnavailable {
		t.Fatalf("tail while stopping: %d", status)
	}
	hs = httptest.NewServer(httpapi.New(httpapi.Options{Store: st}))
	t.Cleanup(hs.Close) // after the tail below is cancelled
	if status, resp := do(t, hs, "POST", "/v1/streams/vt/points",
		`{"writer":"gw-1.normal","seq":3,"device":"veh-1","time":1764072002000000000,"fields":{"v":3}}`+"\n"); status != 200 {
		t.Fatalf("write: %d %s", status, resp)
	}
	more, _ := collect(t, openTail(t, hs, "/v1/streams/vt/tail?from="+url.QueryEscape(cut)), func(p []tailLine) bool { return len(p) == 1 })
	if more[0].Seq != 3 || points[0].Seq != 1 || points[1].Seq != 2 {
		t.Fatalf("points %+v then, from cut %q, %+v", points, cut, more)
	}
}
