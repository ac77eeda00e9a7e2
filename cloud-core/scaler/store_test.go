package scaler_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/scaler"
	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/internal/storetest"
	"github.com/tributary-iot/tributary/models"
)

// openStore opens a segment store with its real parts.
func openStore(t testing.TB) (*store.Store, *meta.DB) {
	t.Helper()
	env := storetest.Open(t, nil)
	return env.Store, env.Meta
}

// TestScalerScalesTheStore drives a scaler over a real store with a
// simulated clock: a load of 4x the target splits the stream's segment
// twice, a load far below it merges the parts back, and every point
// appended meanwhile is read back once.
func TestScalerScalesTheStore(t *testing.T) {
	st, db := openStore(t)
	ctx := context.Background()
	policy := segment.Policy{Segments: 1, Scaling: segment.Scaling{By: segment.ByPoints, Target: 100, Cooldown: segment.Duration(20 * time.Second)}}
	if _, _, err := st.PutStream(ctx, "hot", policy); err != nil {
		t.Fatal(err)
	}
	// The store stamps epochs with the real clock: start the simulated
	// one there (so cooldowns here count from the real start; the
	// simulation tests check them exactly).
	now := time.Now()
	sc, err := scaler.New(scaler.Options{
		Store: st, History: db, Now: func() time.Time { return now },
		Windows: scaler.Windows{Short: 10 * time.Second, Medium: 30 * time.Second, Long: 90 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	const tick = 5 * time.Second
	var seq uint64
	appendFor := func(rate int) {
		n := rate * int(tick/time.Second)
		b := &models.Batch{Writer: "gw.normal"}
		for range n {
			seq++
			b.Points = append(b.Points, models.Point{
				Device: fmt.Sprintf("veh-%03d", seq%64), Stream: "hot", Time: now.UnixNano() + int64(seq),
				Fields: []models.Field{{Key: "v", Value: models.Int(int64(seq))}}, Agent: "gw", Seq: seq,
			})
		}
		if err := st.Append(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	step := func(rate int) int {
		appendFor(rate)
		now = now.Add(tick)
		if err := sc.Step(ctx); err != nil {
			t.Fatal(err)
		}
		l, err := st.StreamLayout(ctx, "hot")
		if err != nil {
			t.Fatal(err)
		}
		return len(l.Layout.Current().Segments)
	}
	peak := 0
	for range 60 { // 5 minutes at 4x the target
		peak = max(peak, step(400))
	}
	if peak < 4 {
		t.Fatalf("%d segments at most under 4x the target", peak)
	}
	active := 0
	for range 200 { // then 17 minutes at a tenth of it
		active = step(10)
	}
	if active != 1 {
		t.Errorf("%d segments after the load dropped", active)
	}

	info, err := st.Stream(ctx, "hot")
	if err != nil {
		t.Fatal(err)
	}
	splits, merges := 0, 0
	for _, h := range info.Scaling.History {
		switch {
		case h.Kind == segment.KindSplit && h.Rate > 100 && h.Window != "":
			splits++
		case h.Kind == segment.KindMerge && h.Rate < 50 && h.Window != "":
			merges++
		default:
			t.Errorf("scaling event %+v", h)
		}
	}
	if splits < 2 || merges < 2 || info.Scaling.RatesAt.IsZero() || len(info.Scaling.Rates) != 1 {
		t.Errorf("%d splits, %d merges, rates %+v", splits, merges, info.Scaling)
	}
	t.Logf("peak %d segments; %d splits, %d merges; %d points", peak, splits, merges, seq)
	n, err := st.Count(ctx, "hot", store.Query{})
	if err != nil || n != int64(seq) {
		t.Errorf("count %d (%v), appended %d", n, err, seq)
	}
	seen := make(map[uint64]bool, seq)
	last := map[string]uint64{}
	err = st.Read(ctx, "hot", store.Query{}, func(p *models.Point) error {
		if seen[p.Seq] {
			t.Errorf("seq %d read twice", p.Seq)
		}
		seen[p.Seq] = true
		if p.Seq <= last[p.Device] {
			t.Errorf("device %s: seq %d after %d", p.Device, p.Seq, last[p.Device])
		}
		last[p.Device] = p.Seq
		return nil
	})
	if err != nil || len(seen) != int(seq) {
		t.Errorf("read %d of %d points (%v)", len(seen), seq, err)
	}
}
