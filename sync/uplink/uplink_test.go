package uplink_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/tributary-iot/tributary/edge-agent/locallog"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/sync/ingest"
	"github.com/tributary-iot/tributary/sync/uplink"
)

func runNATS(t *testing.T) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(s.Shutdown)
	return s
}

// cloud is ingest over a NATS server with an in-memory store.
type cloud struct {
	t      *testing.T
	url    string
	store  *ingest.MemStore
	cancel context.CancelFunc
	done   chan struct{}
}

func (c *cloud) start() {
	c.t.Helper()
	nc, err := nats.Connect(c.url)
	if err != nil {
		c.t.Fatal(err)
	}
	srv, err := ingest.New(ingest.Options{Conn: nc, Store: c.store, Marks: c.store, FlushInterval: 20 * time.Millisecond})
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan struct{})
	go func() {
		defer close(c.done)
		defer nc.Close()
		if err := srv.Run(ctx); err != nil {
			c.t.Errorf("ingest: %v", err)
		}
	}()
}

func (c *cloud) stop() {
	c.cancel()
	<-c.done
}

func openLog(t *testing.T, dir string) *locallog.Log {
	t.Helper()
	l, err := locallog.Open(context.Background(), locallog.Options{Path: filepath.Join(dir, "log.db"), Agent: "gw-1", MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type agentRun struct {
	cancel context.CancelFunc
	done   chan struct{}
	up     *uplink.Uplink
}

func startUplink(t *testing.T, url string, l *locallog.Log) *agentRun {
	t.Helper()
	up, err := uplink.New(uplink.Options{URL: url, Agent: "gw-1", Log: l, MaxBatchPoints: 300,
		Linger: 5 * time.Millisecond, AckTimeout: 2 * time.Second, MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &agentRun{cancel: cancel, done: make(chan struct{}), up: up}
	go func() {
		defer close(r.done)
		if err := up.Run(ctx); err != nil {
			t.Errorf("uplink: %v", err)
		}
	}()
	return r
}

func (r *agentRun) stop() { r.cancel(); <-r.done }

// appendPoints appends n points spread over devices and all classes.
func appendPoints(t *testing.T, l *locallog.Log, from, n int) {
	t.Helper()
	for i := from; i < from+n; i += 50 {
		for _, c := range models.Priorities() {
			var pts []models.Point
			for j := i; j < min(i+50, from+n); j++ {
				if j%3 != int(c) {
					continue
				}
				pts = append(pts, models.Point{Device: fmt.Sprintf("dev-%d", j%7), Stream: "s", Time: int64(j),
					Fields: []models.Field{{Key: "i", Value: models.Int(int64(j))}}})
			}
			if len(pts) == 0 {
				continue
			}
			if r, err := l.Append(context.Background(), c, pts); err != nil || r.Rejected > 0 {
				t.Fatalf("append: %v %+v", err, r)
			}
		}
	}
}

// checkExactlyOnce verifies every value 0..n-1 arrived exactly once, each
// (agent, seq) once, and per-device order by seq.
func checkExactlyOnce(t *testing.T, pts []models.Point, n int) {
	t.Helper()
	seen := map[int64]int{}
	seqs := map[uint64]bool{}
	last := map[string]uint64{}
	for _, p := range pts {
		v, _ := p.Field("i")
		seen[v.IntV()]++
		if seqs[p.Seq] {
			t.Errorf("seq %d arrived twice", p.Seq)
		}
		seqs[p.Seq] = true
		key := p.Device + "/" + fmt.Sprint(int(v.IntV())%3)
		if p.Seq <= last[key] {
			t.Errorf("device %s out of order: seq %d after %d", key, p.Seq, last[key])
		}
		last[key] = p.Seq
	}
	for i := 0; i < n; i++ {
		if seen[int64(i)] != 1 {
			t.Errorf("value %d arrived %d times", i, seen[int64(i)])
		}
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReplicatesExactlyOnceThroughFaults(t *testing.T) {
	ns := runNATS(t)
	c := &cloud{t: t, url: ns.ClientURL(), store: ingest.NewMemStore()}
	c.start()
	dir := t.TempDir()
	l := openLog(t, dir)
	up := startUplink(t, c.url, l)

	appendPoints(t, l, 0, 1000)
	waitFor(t, "first 1000", func() bool { return len(c.store.Points()) >= 1000 })

	// Appends that half-succeed, then fail, while later batches are in
	// flight behind them: the retry writes only the rest, and no later
	// batch may be written before the failed one is whole.
	up.stop()
	appendPoints(t, l, 1000, 3000)
	c.store.FailNextAppends(1)
	up = startUplink(t, c.url, l)
	waitFor(t, "4000 after a failed append", func() bool { return len(c.store.Points()) >= 4000 })

	// The cloud restarts (its committed marks were saved lazily).
	c.stop()
	appendPoints(t, l, 4000, 1000)
	c.start()
	waitFor(t, "5000 after a cloud restart", func() bool { return len(c.store.Points()) >= 5000 })

	// The agent restarts while sending.
	appendPoints(t, l, 5000, 2000)
	up.stop()
	up = startUplink(t, c.url, l)
	waitFor(t, "7000 after an agent restart", func() bool { return len(c.store.Points()) >= 7000 })
	waitFor(t, "log trimmed", func() bool { return l.Stats().PointsBuffered == 0 })
	if got := up.up.State(); got != uplink.Connected {
		t.Errorf("state %v, want connected", got)
	}
	up.stop()
	c.stop()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, c.store.Points(), 7000)
	if st := l.Stats(); st.PointsSynced != 7000 {
		t.Errorf("points synced %d, want 7000", st.PointsSynced)
	}
}
