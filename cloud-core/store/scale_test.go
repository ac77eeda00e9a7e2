package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/models"
)

// tier1Last returns the last tier-1 position of each segment of stream.
func tier1Last(t *testing.T, e *env, stream string) map[string]uint64 {
	t.Helper()
	info, err := e.st.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, sg := range info.Segments {
		out[sg.ID] = sg.Tier1.Last
	}
	return out
}

func TestSplitAndMergeRouteByTheNewEpoch(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, func(o *store.Options) { o.Registerer = reg })
	ctx := context.Background()
	if _, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 1}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "gw.normal", 1, 100, 20))
	why := segment.Change{By: segment.ByPoints, Window: "long", Rate: 12.5, Target: 10}
	st, err := e.st.SplitSegment(ctx, "s", "0", 0, why)
	if err != nil {
		t.Fatal(err)
	}
	if cur := st.Layout.Current(); cur.Number != 2 || !slices.Equal(cur.Segments, []string{"1", "2"}) {
		t.Fatalf("after the split: epoch %+v", cur)
	}
	sealedAt := tier1Last(t, e, "s")["0"]
	e.append(batch("s", "gw.normal", 101, 200, 20))
	after := tier1Last(t, e, "s")
	if after["0"] != sealedAt || after["1"] == 0 || after["2"] == 0 {
		t.Fatalf("appends after the split went to %v (segment 0 sealed at %d)", after, sealedAt)
	}
	if _, err := e.st.MergeSegments(ctx, "s", []string{"2", "1"}, segment.Change{Manual: true}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "gw.normal", 201, 300, 20))
	final := tier1Last(t, e, "s")
	if final["1"] != after["1"] || final["2"] != after["2"] || final["3"] == 0 {
		t.Fatalf("appends after the merge went to %v", final)
	}
	checkExactlyOnce(t, e.read("s", store.Query{}), expect(nil, "gw", 1, 300))
	// A device query follows the device's owners.
	dev := "gw-dev-7"
	var want []uint64
	for s := uint64(7); s <= 300; s += 20 {
		want = append(want, s)
	}
	var got []uint64
	for _, p := range e.read("s", store.Query{Device: dev}) {
		got = append(got, p.Seq)
	}
	if !slices.Equal(got, want) {
		t.Errorf("device %s read %v, want %v", dev, got, want)
	}

	info, err := e.st.Stream(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	h := info.Scaling.History
	if info.Epoch != 3 || len(h) != 2 || h[0].Kind != segment.KindSplit || h[1].Kind != segment.KindMerge {
		t.Fatalf("history %+v", h)
	}
	if h[0].Epoch != 2 || !slices.Equal(h[0].Sealed, []string{"0"}) || !slices.Equal(h[0].Created, []string{"1", "2"}) ||
		h[0].Rate != 12.5 || h[0].Window != "long" || h[0].Manual {
		t.Errorf("split event %+v", h[0])
	}
	if !slices.Equal(h[1].Sealed, []string{"1", "2"}) || !slices.Equal(h[1].Created, []string{"3"}) || !h[1].Manual {
		t.Errorf("merge event %+v", h[1])
	}
	for _, m := range []struct {
		name, kind string
		want       float64
	}{
		{"tributary_store_segments", "", 1},
		{"tributary_scaling_events_total", "split", 1},
		{"tributary_scaling_events_total", "merge", 1},
	} {
		if got := metricValue(t, reg, m.name, "s", m.kind); got != m.want {
			t.Errorf("%s{stream=s,kind=%q} = %v, want %v", m.name, m.kind, got, m.want)
		}
	}
}

// metricValue returns the value of a gauge or counter with labels
// stream (and kind, unless empty).
func metricValue(t *testing.T, reg *prometheus.Registry, name, stream, kind string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			if labels["stream"] != stream || kind != "" && labels["kind"] != kind {
				continue
			}
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s{stream=%q,kind=%q}", name, stream, kind)
	return 0
}

func TestRetryAcrossEpochsIsFiltered(t *testing.T) {
	// Each case stores some of a batch, scales, and then retries the whole
	// batch: the retry must store exactly the points not stored before.
	type step func(t *testing.T, e *env)
	split := func(seg string) step {
		return func(t *testing.T, e *env) {
			if _, err := e.st.SplitSegment(context.Background(), "s", seg, 2, segment.Change{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	merge := func(segs ...string) step {
		return func(t *testing.T, e *env) {
			if _, err := e.st.MergeSegments(context.Background(), "s", segs, segment.Change{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	tierAll := func(t *testing.T, e *env) {
		if _, err := e.st.Tier(context.Background(), "s", store.TierOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	full := batch("s", "gw.normal", 1, 200, 40)
	half := &models.Batch{Writer: full.Writer, Points: full.Points[:100]}
	for _, tc := range []struct {
		name  string
		first *models.Batch
		steps []step
	}{
		{"whole batch, split", full, []step{split("0")}},
		{"first half, split", half, []step{split("0")}},
		{"first half, split twice", half, []step{split("0"), split("1")}},
		{"first half, split and merge back", half, []step{split("0"), merge("1", "2")}},
		{"first half tiered, split", half, []step{tierAll, split("0")}},
		{"whole batch, split, tiered, merge", full, []step{split("0"), tierAll, merge("1", "2")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.append(tc.first)
			for _, s := range tc.steps {
				s(t, e)
			}
			e.append(full)
			e.append(full) // and once more, in the new epoch only
			checkExactlyOnce(t, e.read("s", store.Query{}), expect(nil, "gw", 1, 200))
		})
	}
}

func TestScaleRefusesBadChanges(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.SplitSegment(ctx, "s", "0", 2, segment.Change{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		op   func() error
		want error
	}{
		{"unknown stream", func() error { _, err := e.st.SplitSegment(ctx, "nope", "0", 2, segment.Change{}); return err }, store.ErrUnknownStream},
		{"unknown segment", func() error { _, err := e.st.SplitSegment(ctx, "s", "9", 2, segment.Change{}); return err }, segment.ErrUnknownSegment},
		{"sealed segment", func() error { _, err := e.st.SplitSegment(ctx, "s", "0", 2, segment.Change{}); return err }, segment.ErrSealed},
		{"one part", func() error { _, err := e.st.SplitSegment(ctx, "s", "1", 1, segment.Change{}); return err }, segment.ErrBadLayout},
		{"too many parts", func() error { _, err := e.st.SplitSegment(ctx, "s", "1", 17, segment.Change{}); return err }, segment.ErrBadLayout},
		{"merge sealed", func() error { _, err := e.st.MergeSegments(ctx, "s", []string{"0", "1"}, segment.Change{}); return err }, segment.ErrSealed},
		{"merge apart", func() error { _, err := e.st.MergeSegments(ctx, "s", []string{"3", "2"}, segment.Change{}); return err }, segment.ErrNotAdjacent},
		{"merge one", func() error { _, err := e.st.MergeSegments(ctx, "s", []string{"1"}, segment.Change{}); return err }, segment.ErrBadLayout},
	} {
		if err := tc.op(); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	st, err := e.st.StreamLayout(ctx, "s")
	if err != nil || st.Layout.Current().Number != 2 {
		t.Fatalf("refused changes changed the layout: %+v %v", st.Layout.Current(), err)
	}
}

func TestScalingSurvivesRestart(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	first := batch("s", "gw.normal", 1, 100, 20)
	e.append(first)
	if _, err := e.st.SplitSegment(ctx, "s", "0", 4, segment.Change{By: segment.ByPoints, Rate: 99}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "gw.normal", 101, 150, 20))
	e.restart()
	before := tier1Last(t, e, "s")
	e.append(first) // an old retry: filtered by the sealed segment's marks
	e.append(batch("s", "gw.normal", 151, 200, 20))
	after := tier1Last(t, e, "s")
	if after["0"] != before["0"] {
		t.Errorf("segment 0, sealed before the restart, took appends: %d -> %d", before["0"], after["0"])
	}
	checkExactlyOnce(t, e.read("s", store.Query{}), expect(nil, "gw", 1, 200))
	info, err := e.st.Stream(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if info.Epoch != 2 || len(info.Scaling.History) != 1 || info.Scaling.History[0].Rate != 99 ||
		len(info.Scaling.History[0].Created) != 4 {
		t.Errorf("after a restart: epoch %d, history %+v", info.Epoch, info.Scaling.History)
	}
}

func TestWaitEpoch(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.append(batch("s", "gw.normal", 1, 10, 5))
	got := make(chan uint64, 1)
	go func() {
		st, err := e.st.WaitEpoch(ctx, "s", 1)
		if err != nil {
			t.Error(err)
		}
		got <- st.Layout.Current().Number
	}()
	if _, err := e.st.SplitSegment(ctx, "s", "0", 2, segment.Change{}); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-got:
		if n != 2 {
			t.Errorf("WaitEpoch returned epoch %d", n)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("WaitEpoch did not return after a split")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.st.WaitEpoch(cctx, "s", 2); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitEpoch with a cancelled context: %v", err)
	}
	if st, err := e.st.WaitEpoch(cctx, "s", 1); err != nil || st.Layout.Current().Number != 2 {
		t.Errorf("WaitEpoch for a past epoch: %v", err)
	}
}
