package locallog_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-iot/tributary/edge-agent/locallog"
	"github.com/tributary-iot/tributary/models"
)

func TestAppendReadTrimInOrderPerClass(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, testOptions(t))
	rng := rand.New(rand.NewPCG(1, 1))
	want := map[models.Priority][]models.Point{}
	var lastSeq uint64
	for i := range 30 {
		class := models.Priority(i % models.NumPriorities)
		pts := makePoints(rng, 1+rng.IntN(20), i*100, 0, 300)
		res, err := l.Append(ctx, class, pts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Accepted != len(pts) || res.Rejected != 0 {
			t.Fatalf("append %d: %+v", i, res)
		}
		for j, p := range pts {
			if p.Agent != "gw-test" || p.Received == 0 || p.Seq <= lastSeq || p.Seq != res.FirstSeq+uint64(j) {
				t.Fatalf("append %d: point %d: agent %q received %d seq %d (last %d, first %d)", i, j, p.Agent, p.Received, p.Seq, lastSeq, res.FirstSeq)
			}
			lastSeq = p.Seq
		}
		if res.LastSeq != lastSeq {
			t.Fatalf("LastSeq %d, want %d", res.LastSeq, lastSeq)
		}
		want[class] = append(want[class], pts...)
	}
	for _, class := range models.Priorities() {
		got := readAll(t, l, class)
		if len(got) != len(want[class]) {
			t.Fatalf("%s: read %d points, want %d", class, len(got), len(want[class]))
		}
		for i := range got {
			if !got[i].Equal(&want[class][i]) {
				t.Fatalf("%s: point %d = %+v, want %+v", class, i, got[i], want[class][i])
			}
		}
	}

	// Read's limits: maxPoints, and maxBytes (but always one point).
	high := want[models.PriorityHigh]
	if got, _ := l.Read(ctx, models.PriorityHigh, 0, 3, 0, nil); len(got) != 3 {
		t.Errorf("maxPoints 3: got %d", len(got))
	}
	if got, _ := l.Read(ctx, models.PriorityHigh, 0, 0, 1, nil); len(got) != 1 {
		t.Errorf("maxBytes 1: got %d, want the first point alone", len(got))
	}
	if got, _ := l.Read(ctx, models.PriorityHigh, high[len(high)-1].Seq, 10, 0, nil); len(got) != 0 {
		t.Errorf("after the last seq: got %d", len(got))
	}

	// Trim half of high: the rest remains, in order, and is counted.
	mid := high[len(high)/2].Seq
	if err := l.Trim(ctx, models.PriorityHigh, mid); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, l, models.PriorityHigh)
	if len(got) == 0 || got[0].Seq <= mid || len(got) != len(high)-len(high)/2-1 {
		t.Fatalf("after trim to %d: %d points, first %d", mid, len(got), got[0].Seq)
	}
	st := l.Stats()
	hs := st.Classes[models.PriorityHigh]
	if hs.PointsSynced != int64(len(high)/2+1) || hs.PointsBuffered != int64(len(got)) || hs.FirstSeq != got[0].Seq {
		t.Errorf("high stats %+v", hs)
	}
	if st.OldestUnsynced.IsZero() || st.PointsBuffered != st.Classes[0].PointsBuffered+st.Classes[1].PointsBuffered+hs.PointsBuffered {
		t.Errorf("stats %+v", st)
	}
	// Trimming again, or below what is held, changes nothing.
	if err := l.Trim(ctx, models.PriorityHigh, mid); err != nil {
		t.Fatal(err)
	}
	if l.Stats().Classes[models.PriorityHigh].PointsSynced != hs.PointsSynced {
		t.Error("a repeated trim counted points again")
	}
	// Trim everything: the class is empty and has no oldest time.
	for _, class := range models.Priorities() {
		if err := l.Trim(ctx, class, ^uint64(0)); err != nil {
			t.Fatal(err)
		}
	}
	st = l.Stats()
	if st.PointsBuffered != 0 || st.BytesBuffered != 0 || !st.OldestUnsynced.IsZero() || st.PointsSynced != st.PointsAppended {
		t.Errorf("after trimming all: %+v", st)
	}
}

func TestAppendRejectsOversizedPointsAndBadInput(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, testOptions(t))
	big := makePoints(rand.New(rand.NewPCG(2, 2)), 3, 0, 0, 0)
	big[1].SetField("blob", models.String(string(make([]byte, l.MaxPointSize()))))
	if _, err := l.Append(ctx, models.PriorityNormal, big); !errors.Is(err, locallog.ErrPointTooLarge) {
		t.Fatalf("oversized point: err %v, want ErrPointTooLarge", err)
	}
	bad := []models.Point{{Device: "d", Stream: "s", Fields: []models.Field{{Key: "x"}}}}
	if _, err := l.Append(ctx, models.PriorityNormal, bad); err == nil {
		t.Fatal("a field without a value was appended")
	}
	if _, err := l.Append(ctx, models.Priority(7), big[:1]); !errors.Is(err, locallog.ErrBadClass) {
		t.Fatalf("bad class: err %v", err)
	}
	if st := l.Stats(); st.PointsBuffered != 0 || st.Commits != 0 {
		t.Fatalf("something was stored: %+v", st)
	}
	if res, err := l.Append(ctx, models.PriorityNormal, nil); err != nil || res.Accepted != 0 {
		t.Fatalf("empty append: %+v %v", res, err)
	}
}

func TestGroupCommitMergesConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	opts := testOptions(t)
	opts.NoSync = false
	l := openLog(t, opts)
	const writers, each = 16, 20
	var wg sync.WaitGroup
	seqs := make(chan uint64, writers*each*5)
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			for i := range each {
				pts := makePoints(rng, 5, w*1000+i*5, 0, 100)
				res, err := l.Append(ctx, models.Priority(w%3), pts)
				if err != nil || res.Accepted != 5 {
					t.Errorf("append: %+v %v", res, err)
					return
				}
				for _, p := range pts {
					seqs <- p.Seq
				}
			}
		})
	}
	wg.Wait()
	close(seqs)
	seen := map[uint64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Fatalf("seq %d given twice", s)
		}
		seen[s] = true
	}
	st := l.Stats()
	if st.PointsBuffered != writers*each*5 {
		t.Fatalf("buffered %d, want %d", st.PointsBuffered, writers*each*5)
	}
	if st.Commits >= writers*each {
		t.Errorf("%d commits for %d appends: nothing was merged", st.Commits, writers*each)
	}
	t.Logf("%d appends in %d commits", writers*each, st.Commits)
}

func TestReopenKeepsEverythingAndSeqsContinue(t *testing.T) {
	ctx := context.Background()
	opts := testOptions(t)
	opts.NoSync = false
	rng := rand.New(rand.NewPCG(4, 4))
	l, err := locallog.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	var want [models.NumPriorities][]models.Point
	for i := range 12 {
		class := models.Priority(i % 3)
		pts := makePoints(rng, 10, i*10, 0, 200)
		if _, err := l.Append(ctx, class, pts); err != nil {
			t.Fatal(err)
		}
		want[class] = append(want[class], pts...)
	}
	if err := l.Trim(ctx, models.PriorityLow, want[0][4].Seq); err != nil {
		t.Fatal(err)
	}
	want[0] = want[0][5:]
	if err := l.AddDeadLetter(ctx, locallog.DeadLetter{Topic: "t", Reason: "undecodable", Payload: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	before := l.Stats()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l = openLog(t, opts)
	after := l.Stats()
	for c := range models.NumPriorities {
		b, a := before.Classes[c], after.Classes[c]
		if a.PointsBuffered != b.PointsBuffered || a.BytesBuffered != b.BytesBuffered || a.PointsSynced != b.PointsSynced ||
			a.PointsAppended != b.PointsAppended || a.FirstSeq != b.FirstSeq || a.LastSeq != b.LastSeq || !a.OldestReceived.Equal(b.OldestReceived) {
			t.Errorf("class %d: before %+v after %+v", c, b, a)
		}
		got := readAll(t, l, models.Priority(c))
		if len(got) != len(want[c]) {
			t.Fatalf("class %d: %d points after reopen, want %d", c, len(got), len(want[c]))
		}
		for i := range got {
			if !got[i].Equal(&want[c][i]) {
				t.Fatalf("class %d point %d differs after reopen", c, i)
			}
		}
	}
	if after.DeadLetters != 1 || after.DeadLettersStored != 1 || after.DeadLettersByReason["undecodable"] != 1 || !after.Created.Equal(before.Created) {
		t.Errorf("after reopen: %+v", after)
	}
	pts := makePoints(rng, 1, 0, 0, 0)
	if _, err := l.Append(ctx, models.PriorityHigh, pts); err != nil {
		t.Fatal(err)
	}
	if pts[0].Seq < before.NextSeq {
		t.Fatalf("seq after reopen %d, before close next was %d", pts[0].Seq, before.NextSeq)
	}
}

func TestSeqsNeverGoBack(t *testing.T) {
	epoch := func() time.Time { return time.Unix(1, 0) } // a clock with no information
	tests := []struct {
		name       string
		removeLog  bool
		keepLease  bool
		clock      func() time.Time // for the second open; nil: real clock
		wantSource string
	}{
		{name: "log replaced, lease kept", removeLog: true, keepLease: true, clock: epoch, wantSource: "lease"},
		{name: "lease lost, log kept", removeLog: false, keepLease: false, clock: epoch, wantSource: "log"},
		{name: "log replaced, lease lost", removeLog: true, keepLease: false, wantSource: "clock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			opts := testOptions(t)
			l, err := locallog.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			pts := makePoints(rand.New(rand.NewPCG(5, 5)), 3, 0, 0, 0)
			if _, err := l.Append(ctx, models.PriorityNormal, pts); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if tt.removeLog {
				if err := os.Remove(opts.Path); err != nil {
					t.Fatal(err)
				}
			}
			if !tt.keepLease {
				if err := os.Remove(opts.Path + ".seq"); err != nil {
					t.Fatal(err)
				}
			}
			o := opts
			o.Now = tt.clock
			l = openLog(t, o)
			more := makePoints(rand.New(rand.NewPCG(6, 6)), 1, 0, 0, 0)
			if _, err := l.Append(ctx, models.PriorityNormal, more); err != nil {
				t.Fatal(err)
			}
			if more[0].Seq <= pts[2].Seq {
				t.Fatalf("seq %d after reopening, the earlier log gave %d (source: %s)", more[0].Seq, pts[2].Seq, tt.wantSource)
			}
		})
	}
}

func TestCloseStopsEverything(t *testing.T) {
	ctx := context.Background()
	l, err := locallog.Open(ctx, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- l.Wait(ctx, models.PriorityHigh, 1<<62) }()
	notify := l.Notify()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-waitErr; !errors.Is(err, locallog.ErrClosed) {
		t.Errorf("Wait across Close: %v", err)
	}
	<-notify
	if _, err := l.Append(ctx, models.PriorityHigh, makePoints(rand.New(rand.NewPCG(7, 7)), 1, 0, 0, 0)); !errors.Is(err, locallog.ErrClosed) {
		t.Errorf("Append after Close: %v", err)
	}
	if _, err := l.Read(ctx, models.PriorityHigh, 0, 1, 0, nil); !errors.Is(err, locallog.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	for name, err := range map[string]error{
		"Trim":          l.Trim(ctx, models.PriorityHigh, 1),
		"AddDeadLetter": l.AddDeadLetter(ctx, locallog.DeadLetter{}),
		"Sweep":         l.Sweep(ctx),
		"Close":         l.Close(),
	} {
		if !errors.Is(err, locallog.ErrClosed) {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
	if _, err := l.DeadLetters(ctx, 1); !errors.Is(err, locallog.ErrClosed) {
		t.Errorf("DeadLetters after Close: %v", err)
	}
}

func TestWaitAndNotifyWakeOnAppend(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := openLog(t, testOptions(t))
	notify := l.Notify()
	woke := make(chan error, 1)
	go func() { woke <- l.Wait(ctx, models.PriorityNormal, 0) }()
	pts := makePoints(rand.New(rand.NewPCG(8, 8)), 2, 0, 0, 0)
	if _, err := l.Append(ctx, models.PriorityNormal, pts); err != nil {
		t.Fatal(err)
	}
	if err := <-woke; err != nil {
		t.Fatalf("Wait: %v", err)
	}
	select {
	case <-notify:
	case <-ctx.Done():
		t.Fatal("Notify channel not closed by an append")
	}
	// Wait returns at once when there is data, and honours its context.
	if err := l.Wait(ctx, models.PriorityNormal, pts[0].Seq); err != nil {
		t.Fatal(err)
	}
	short, cancel2 := context.WithCancel(ctx)
	cancel2()
	if err := l.Wait(short, models.PriorityNormal, pts[1].Seq); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a cancelled context: %v", err)
	}
}

func TestAppendHonoursContext(t *testing.T) {
	l := openLog(t, testOptions(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := l.Append(ctx, models.PriorityNormal, makePoints(rand.New(rand.NewPCG(9, 9)), 3, 0, 0, 0))
	// The committer may have taken the request before the waiter saw the
	// cancelled context; then the points are durable and reported.
	switch {
	case errors.Is(err, context.Canceled):
		if res.Accepted != 0 {
			t.Fatalf("cancelled append reports %+v", res)
		}
	case err == nil:
		if res.Accepted != 3 {
			t.Fatalf("append %+v", res)
		}
	default:
		t.Fatal(err)
	}
	if got := l.Stats().PointsBuffered; got != int64(res.Accepted) {
		t.Fatalf("buffered %d, append reported %d", got, res.Accepted)
	}
}

func TestMetrics(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	opts := testOptions(t)
	opts.Registerer = reg
	l, err := locallog.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	other := opts
	other.Path += "-other"
	if l2, err := locallog.Open(ctx, other); err == nil {
		l2.Close()
		t.Fatal("a second log registered the same metrics")
	}
	if _, err := l.Append(ctx, models.PriorityHigh, makePoints(rand.New(rand.NewPCG(10, 10)), 4, 0, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := l.AddDeadLetter(ctx, locallog.DeadLetter{Reason: "oversized"}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{
		"tributary_edge_log_appended_points_total":   3,
		"tributary_edge_log_dropped_points_total":    12,
		"tributary_edge_log_synced_points_total":     3,
		"tributary_edge_log_dead_letters_total":      1,
		"tributary_edge_log_buffered_points":         3,
		"tributary_edge_log_buffered_bytes":          3,
		"tributary_edge_log_file_bytes":              1,
		"tributary_edge_log_max_bytes":               1,
		"tributary_edge_log_commit_duration_seconds": 1,
		"tributary_edge_log_commit_batch_points":     1,
	} {
		if n := seriesCount(t, reg, name); n != want {
			t.Errorf("%s: %d series, want %d", name, n, want)
		}
	}
	if v := metricValue(t, reg, "tributary_edge_log_appended_points_total", "high"); v != 4 {
		t.Errorf("appended{class=high} = %v", v)
	}
	if v := metricValue(t, reg, "tributary_edge_log_buffered_points", "high"); v != 4 {
		t.Errorf("buffered_points{class=high} = %v", v)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Close unregisters, so the log can be opened again with the registry.
	l = openLog(t, opts)
	if n := seriesCount(t, reg, "tributary_edge_log_buffered_points"); n != 3 {
		t.Errorf("after reopen: %d series", n)
	}
}

// seriesCount returns the number of series of name in reg.
func seriesCount(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

// metricValue returns the value of the counter or gauge name{class=class}.
func metricValue(t *testing.T, reg *prometheus.Registry, name, class string) float64 {
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
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "class" && lp.GetValue() == class {
					if c := m.GetCounter(); c != nil {
						return c.GetValue()
					}
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{class=%q}", name, class)
	return 0
}

func TestOptionsAndPolicy(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want locallog.Policy
		ok   bool
	}{
		{"drop-oldest", locallog.DropOldest, true},
		{"reject-new", locallog.RejectNew, true},
		{"", 0, false},
		{"drop", 0, false},
	} {
		got, err := locallog.ParsePolicy(tt.in)
		if (err == nil) != tt.ok || (tt.ok && (got != tt.want || got.String() != tt.in)) {
			t.Errorf("ParsePolicy(%q) = %v, %v", tt.in, got, err)
		}
	}
	base := testOptions(t)
	for _, tt := range []struct {
		name string
		mut  func(*locallog.Options)
		want error
	}{
		{"no path", func(o *locallog.Options) { o.Path = "" }, locallog.ErrBadOptions},
		{"bad agent", func(o *locallog.Options) { o.Agent = "a.b" }, locallog.ErrBadOptions},
		{"no cap", func(o *locallog.Options) { o.MaxBytes = 0 }, locallog.ErrBadOptions},
		{"bad policy", func(o *locallog.Options) { o.WhenFull = 9 }, locallog.ErrBadOptions},
		{"negative ttl", func(o *locallog.Options) { o.TTL[1] = -time.Second }, locallog.ErrBadOptions},
		{"tiny cap", func(o *locallog.Options) { o.MaxBytes = locallog.MinMaxBytes() - 64<<10 }, locallog.ErrMaxBytesTooSmall},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			tt.mut(&o)
			l, err := locallog.Open(context.Background(), o)
			if err == nil {
				l.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
		})
	}
	o := base
	o.MaxBytes = locallog.MinMaxBytes()
	openLog(t, o)
}

func TestSecondOpenFailsWithErrLocked(t *testing.T) {
	opts := testOptions(t)
	openLog(t, opts)
	opts.LockTimeout = 50 * time.Millisecond
	l, err := locallog.Open(context.Background(), opts)
	if err == nil {
		l.Close()
	}
	if !errors.Is(err, locallog.ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
}
