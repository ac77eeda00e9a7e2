package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/natsembed"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/cloud-core/tier2"
	"github.com/tributary-iot/tributary/models"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is a device time (2025-11-25T12:00:00Z) the test points count from.
const t0 = int64(1764072000000000000)

// env is a store with its real parts: an embedded nats-server, a bbolt
// file and a tier-2 directory, all under one temporary directory.
type env struct {
	t    testing.TB
	dir  string
	mut  func(*store.Options)
	srv  *natsembed.Server
	nc   *nats.Conn
	js   jetstream.JetStream
	db   *meta.DB
	t2   *tier2.Store
	st   *store.Store
	open bool
}

func newEnv(t testing.TB, mut func(*store.Options)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), mut: mut}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *env) start() {
	e.t.Helper()
	ctx := context.Background()
	var err error
	if e.srv, err = natsembed.Start(ctx, natsembed.Options{StoreDir: filepath.Join(e.dir, "jetstream")}); err != nil {
		e.t.Fatal(err)
	}
	if e.nc, err = e.srv.Connect("store-test"); err != nil {
		e.t.Fatal(err)
	}
	if e.js, err = jetstream.New(e.nc); err != nil {
		e.t.Fatal(err)
	}
	if e.db, err = meta.Open(filepath.Join(e.dir, "meta.db"), meta.Options{}); err != nil {
		e.t.Fatal(err)
	}
	if e.t2, err = tier2.Open(ctx, tier2.Options{Root: filepath.Join(e.dir, "tier2"), Compression: tier2.CompressionFastest}); err != nil {
		e.t.Fatal(err)
	}
	opts := store.Options{JetStream: e.js, Meta: e.db, Tier2: e.t2}
	if e.mut != nil {
		e.mut(&opts)
	}
	if e.st, err = store.Open(ctx, opts); err != nil {
		e.t.Fatal(err)
	}
	e.open = true
}

func (e *env) stop() {
	if !e.open {
		return
	}
	e.open = false
	_ = e.st.Close()
	_ = e.db.Close()
	e.nc.Close()
	e.srv.Shutdown()
}

// restart stops every part and starts them again on the same files.
func (e *env) restart() {
	e.t.Helper()
	e.stop()
	e.start()
}

// batch returns writer's points with seqs first..last; device i%devices,
// time increasing with seq.
func batch(stream, writer string, first, last uint64, devices int) *models.Batch {
	agent, _, err := models.ParseWriterID(writer)
	if err != nil {
		agent = writer
	}
	b := &models.Batch{Writer: writer, FirstSeq: first, LastSeq: last}
	for s := first; s <= last; s++ {
		b.Points = append(b.Points, models.Point{
			Device: fmt.Sprintf("%s-dev-%d", agent, s%uint64(devices)), Stream: stream,
			Time:   t0 + int64(s)*1e6,
			Fields: []models.Field{{Key: "v", Value: models.Float(float64(s) + 0.5)}, {Key: "n", Value: models.Int(int64(s))}},
			Tags:   []models.Tag{{Key: "w", Value: writer}},
			Agent:  agent, Seq: s, Received: t0 + int64(s)*1e6 + 7,
		})
	}
	return b
}

func (e *env) append(b *models.Batch) {
	e.t.Helper()
	if err := e.st.Append(context.Background(), b); err != nil {
		e.t.Fatalf("append %s [%d,%d]: %v", b.Writer, b.FirstSeq, b.LastSeq, err)
	}
}

func (e *env) read(stream string, q store.Query) []models.Point {
	e.t.Helper()
	var out []models.Point
	err := e.st.Read(context.Background(), stream, q, func(p *models.Point) error {
		out = append(out, p.Clone())
		return nil
	})
	if err != nil {
		e.t.Fatalf("read %s %+v: %v", stream, q, err)
	}
	return out
}

type wseq struct {
	writer string
	seq    uint64
}

// checkExactlyOnce checks that got holds each of want's (agent, seq)
// exactly once and nothing else, and that each device's points come in
// seq (and time) order.
func checkExactlyOnce(t *testing.T, got []models.Point, want map[wseq]bool) {
	t.Helper()
	seen := map[wseq]int{}
	last := map[string]*models.Point{}
	for i := range got {
		p := &got[i]
		k := wseq{p.Agent, p.Seq}
		seen[k]++
		if seen[k] == 2 {
			t.Errorf("point %s/%d read twice", p.Agent, p.Seq)
		}
		if !want[k] {
			t.Errorf("point %s/%d read but never appended", p.Agent, p.Seq)
		}
		if prev := last[p.Device]; prev != nil && (prev.Seq >= p.Seq || prev.Time > p.Time) {
			t.Errorf("device %s out of order: seq %d after %d", p.Device, p.Seq, prev.Seq)
		}
		last[p.Device] = p
	}
	var missing []wseq
	for k := range want {
		if seen[k] == 0 {
			missing = append(missing, k)
		}
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i].seq < missing[j].seq })
	if len(missing) > 0 {
		t.Errorf("%d points never read, first %v", len(missing), missing[:min(5, len(missing))])
	}
}

// expect returns the (agent, seq) set of agents' seqs first..last.
func expect(into map[wseq]bool, agent string, first, last uint64) map[wseq]bool {
	if into == nil {
		into = map[wseq]bool{}
	}
	for s := first; s <= last; s++ {
		into[wseq{agent, s}] = true
	}
	return into
}
