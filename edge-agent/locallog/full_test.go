package locallog_test

import (
	"context"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/edge-agent/locallog"
	"github.com/tributary-iot/tributary/models"
)

// fill appends batches of class until the log is full: until a batch is
// rejected or points of evictClass get evicted. It returns the points
// offered.
func fill(t *testing.T, l *locallog.Log, rng *rand.Rand, class, evictClass models.Priority) int64 {
	t.Helper()
	var offered int64
	for i := 0; ; i++ {
		if i > 100_000 {
			t.Fatal("the log never filled up")
		}
		pts := makePoints(rng, 20, i*20, 100, 300)
		res, err := l.Append(context.Background(), class, pts)
		if err != nil {
			t.Fatal(err)
		}
		offered += int64(len(pts))
		if res.Rejected > 0 || l.Stats().Classes[evictClass].Dropped["evicted"] > 0 {
			return offered
		}
	}
}

func TestFullLogPolicies(t *testing.T) {
	low, normal, high := models.PriorityLow, models.PriorityNormal, models.PriorityHigh
	const (
		rejected = -1
		either   = 0
		accepted = 1
	)
	tests := []struct {
		name   string
		policy locallog.Policy
		fillAs models.Priority // the log is filled with this class
		add    models.Priority // then batches of this class arrive
		want   int             // the first batch that does not fit is ...
		evicts models.Priority // ... accepted by evicting this class
	}{
		{"drop-oldest/higher evicts lower", locallog.DropOldest, low, high, accepted, low},
		{"drop-oldest/same class evicts its oldest", locallog.DropOldest, normal, normal, accepted, normal},
		// A low point may evict only low points: those that came after the
		// high ones filled the log, if any; otherwise it is rejected.
		{"drop-oldest/lower never evicts higher", locallog.DropOldest, high, low, either, low},
		{"reject-new/higher evicts lower", locallog.RejectNew, low, normal, accepted, low},
		{"reject-new/same class is rejected", locallog.RejectNew, normal, normal, rejected, 0},
		{"reject-new/lower is rejected", locallog.RejectNew, high, normal, rejected, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			opts := testOptions(t)
			opts.MaxBytes = 2 << 20
			opts.WhenFull = tt.policy
			l := openLog(t, opts)
			rng := rand.New(rand.NewPCG(11, uint64(tt.policy)))
			var offered [models.NumPriorities]int64
			offered[tt.fillAs] += fill(t, l, rng, tt.fillAs, tt.fillAs)
			oldest := l.Stats().Classes[tt.fillAs].FirstSeq

			// Add batches until one does not fit in the free room.
			var res locallog.AppendResult
			var before, after locallog.Stats
			for i := 0; ; i++ {
				if i == 1000 {
					t.Fatal("no batch ever needed room")
				}
				before = l.Stats()
				var err error
				res, err = l.Append(ctx, tt.add, makePoints(rng, 20, 0, 100, 300))
				if err != nil {
					t.Fatal(err)
				}
				offered[tt.add] += 20
				after = l.Stats()
				if res.Rejected > 0 || after.PointsDropped != before.PointsDropped {
					break
				}
			}
			if res.Policy != tt.policy {
				t.Errorf("result policy %s", res.Policy)
			}
			evicted := func(c models.Priority) int64 {
				return after.Classes[c].Dropped["evicted"] - before.Classes[c].Dropped["evicted"]
			}
			switch {
			case res.Accepted == 20 && tt.want != rejected:
				if evicted(tt.evicts) == 0 {
					t.Fatalf("accepted without evicting %s", tt.evicts)
				}
				if got := readAll(t, l, tt.add); got[len(got)-1].Seq != res.LastSeq {
					t.Fatal("the new points are not at the end of their class")
				}
				if tt.evicts == tt.fillAs && after.Classes[tt.fillAs].FirstSeq <= oldest {
					t.Fatal("the oldest points were not the ones evicted")
				}
			case res.Rejected == 20 && tt.want != accepted:
				if r := after.Classes[tt.add].Dropped["rejected"] - before.Classes[tt.add].Dropped["rejected"]; r != 20 {
					t.Fatalf("%d counted rejected, want 20", r)
				}
			default:
				t.Fatalf("result %+v, want %d", res, tt.want)
			}
			for _, c := range models.Priorities() {
				allowed := c < tt.add || c == tt.add && tt.policy == locallog.DropOldest
				if !allowed && evicted(c) != 0 {
					t.Errorf("a %s point evicted %d %s points under %s", tt.add, evicted(c), c, tt.policy)
				}
			}
			checkCounts(t, after, offered)
		})
	}
}

// workload is one way of feeding a log for TestDiskNeverPassesCap.
type workload struct {
	name           string
	maxBytes       int64
	appends        int
	batchMin       int
	batchMax       int
	padMin, padMax int
	writers        int
	trims          bool // trim a class now and then, like the uplink
	deadLetters    bool
}

func TestDiskNeverPassesCap(t *testing.T) {
	scale := 1
	if testing.Short() {
		scale = 4
	}
	workloads := []workload{
		{name: "mixed", maxBytes: 2 << 20, appends: 3000 / scale, batchMin: 1, batchMax: 60, padMin: 0, padMax: 1900, writers: 1, trims: true, deadLetters: true},
		{name: "big-batches-small-points", maxBytes: 4 << 20, appends: 300 / scale, batchMin: 500, batchMax: 1000, padMin: 0, padMax: 80, writers: 1},
		{name: "single-points-worst-fill", maxBytes: 2 << 20, appends: 8000 / scale, batchMin: 1, batchMax: 1, padMin: 400, padMax: 520, writers: 1},
		{name: "concurrent", maxBytes: 3 << 20, appends: 500 / scale, batchMin: 1, batchMax: 100, padMin: 0, padMax: 1000, writers: 8, trims: true, deadLetters: true},
	}
	for _, w := range workloads {
		for _, policy := range []locallog.Policy{locallog.DropOldest, locallog.RejectNew} {
			t.Run(w.name+"/"+policy.String(), func(t *testing.T) {
				runCapWorkload(t, w, policy)
			})
		}
	}
}

func runCapWorkload(t *testing.T, w workload, policy locallog.Policy) {
	ctx := context.Background()
	opts := testOptions(t)
	opts.MaxBytes = w.maxBytes
	opts.WhenFull = policy
	opts.MaxDeadLetters = 50
	l, err := locallog.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	var worst atomic.Int64 // largest allocated/need, in percent
	locallog.SetCommitHook(l, func(need, allocated int64) {
		if allocated > need {
			t.Errorf("a commit allocated %d pages, bound %d", allocated, need)
		}
		if pct := allocated * 100 / need; pct > worst.Load() {
			worst.Store(pct)
		}
	})
	var (
		mu      sync.Mutex
		offered [models.NumPriorities]int64
		maxFile int64
		dls     int64
	)
	checkFile := func() {
		fi, err := os.Stat(opts.Path)
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		maxFile = max(maxFile, fi.Size())
		mu.Unlock()
		if fi.Size() > w.maxBytes {
			t.Errorf("file is %d bytes, cap %d", fi.Size(), w.maxBytes)
		}
	}
	var wg sync.WaitGroup
	for wr := range w.writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(wr), uint64(policy)+100))
			for i := wr; i < w.appends; i += w.writers {
				class := models.Priority(rng.IntN(models.NumPriorities))
				n := w.batchMin + rng.IntN(w.batchMax-w.batchMin+1)
				pts := makePoints(rng, n, i*1000, w.padMin, w.padMax)
				res, err := l.Append(ctx, class, pts)
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				if res.Accepted+res.Rejected != n {
					t.Errorf("append of %d: %+v", n, res)
				}
				mu.Lock()
				offered[class] += int64(n)
				mu.Unlock()
				checkFile()
				if w.trims && rng.IntN(10) == 0 {
					cs := l.Stats().Classes[class]
					if cs.PointsBuffered > 0 {
						upto := cs.FirstSeq + uint64(rng.IntN(int(cs.PointsBuffered)))
						if err := l.Trim(ctx, class, upto); err != nil {
							t.Errorf("trim: %v", err)
						}
					}
				}
				if w.deadLetters && rng.IntN(5) == 0 {
					err := l.AddDeadLetter(ctx, locallog.DeadLetter{Topic: "lp/x", Reason: "undecodable", Payload: make([]byte, rng.IntN(3000))})
					if err != nil {
						t.Errorf("dead letter: %v", err)
					}
					mu.Lock()
					dls++
					mu.Unlock()
					checkFile()
				}
			}
		})
	}
	wg.Wait()
	st := l.Stats()
	checkCounts(t, st, offered)
	if st.PointsDropped == 0 {
		t.Error("the log never filled up: the test proves nothing")
	}
	if st.SpaceRetries != 0 {
		t.Errorf("%d transactions were refused by bbolt for lack of room", st.SpaceRetries)
	}
	if st.DeadLetters != dls || st.DeadLettersStored > 50 {
		t.Errorf("dead letters: %d recorded (want %d), %d stored (cap 50)", st.DeadLetters, dls, st.DeadLettersStored)
	}
	if st.FileBytes > w.maxBytes {
		t.Errorf("Stats.FileBytes %d over the cap", st.FileBytes)
	}
	t.Logf("cap %d: file reached %d, holds %d points (%d bytes, %.0f%% of the cap), dropped %d, commits %d, worst alloc/bound %d%%",
		w.maxBytes, maxFile, st.PointsBuffered, st.BytesBuffered, 100*float64(st.BytesBuffered)/float64(w.maxBytes),
		st.PointsDropped, st.Commits, worst.Load())
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// The file is whole, and the counts survive a reopen.
	f, err := os.Open(opts.Path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	if err := locallog.CheckFile(f, fi.Size()); err != nil {
		t.Fatalf("CheckFile after the workload: %v", err)
	}
	f.Close()
	l = openLog(t, opts)
	re := l.Stats()
	checkCounts(t, re, offered)
	if re.Recovered != nil || re.PointsBuffered != st.PointsBuffered || re.BytesBuffered != st.BytesBuffered {
		t.Errorf("after reopen: %+v, before %+v", re, st)
	}
}

// fakeClock is a settable clock for TTL tests.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() time.Time       { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Add(d time.Duration)  { c.ns.Add(int64(d)) }
func newFakeClock(t time.Time) *fakeClock { c := &fakeClock{}; c.ns.Store(t.UnixNano()); return c }

func TestTTLExpiresOldPoints(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	opts := testOptions(t)
	opts.Now = clock.Now
	opts.TTL[models.PriorityLow] = time.Hour
	opts.TTL[models.PriorityNormal] = 2 * time.Hour
	l := openLog(t, opts)
	rng := rand.New(rand.NewPCG(12, 12))
	add := func(class models.Priority, n int) []models.Point {
		pts := makePoints(rng, n, 0, 0, 50)
		if _, err := l.Append(ctx, class, pts); err != nil {
			t.Fatal(err)
		}
		return pts
	}
	add(models.PriorityLow, 10)
	add(models.PriorityNormal, 7)
	add(models.PriorityHigh, 5)
	clock.Add(30 * time.Minute)
	fresh := add(models.PriorityLow, 4)
	clock.Add(31 * time.Minute) // the first low batch is 61 minutes old
	if err := l.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	st := l.Stats()
	if got := st.Classes[models.PriorityLow].Dropped["expired"]; got != 10 {
		t.Fatalf("low: %d expired, want 10", got)
	}
	if got := readAll(t, l, models.PriorityLow); len(got) != 4 || got[0].Seq != fresh[0].Seq {
		t.Fatalf("low after sweep: %d points", len(got))
	}
	if !st.Classes[models.PriorityLow].OldestReceived.Equal(time.Unix(0, fresh[0].Received)) {
		t.Errorf("oldest low %v, want %v", st.Classes[models.PriorityLow].OldestReceived, time.Unix(0, fresh[0].Received))
	}
	if st.Classes[models.PriorityNormal].PointsDropped != 0 || st.Classes[models.PriorityHigh].PointsDropped != 0 {
		t.Fatalf("points expired before their TTL: %+v", st.Classes)
	}
	// The committer also sweeps on its own timer.
	clock.Add(5 * time.Hour)
	opts2 := opts
	opts2.Path = opts.Path + "-2"
	opts2.SweepInterval = 10 * time.Millisecond
	l2 := openLog(t, opts2)
	if _, err := l2.Append(ctx, models.PriorityNormal, makePoints(rng, 3, 0, 0, 0)); err != nil {
		t.Fatal(err)
	}
	clock.Add(3 * time.Hour)
	deadline := time.Now().Add(30 * time.Second)
	for l2.Stats().Classes[models.PriorityNormal].Dropped["expired"] != 3 {
		if time.Now().After(deadline) {
			t.Fatal("the periodic sweep did not expire the points")
		}
		time.Sleep(5 * time.Millisecond)
	}
	checkCounts(t, l2.Stats(), [models.NumPriorities]int64{0, 3, 0})
}

func TestLoweredCapCompactsTheFile(t *testing.T) {
	ctx := context.Background()
	opts := testOptions(t)
	opts.MaxBytes = 8 << 20
	opts.MaxDeadLetters = 100
	l, err := locallog.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(14, 14))
	var offered [models.NumPriorities]int64
	var lastHigh uint64
	for i := range 600 {
		class := models.Priority(i % models.NumPriorities)
		res, err := l.Append(ctx, class, makePoints(rng, 20, i*20, 100, 600))
		if err != nil {
			t.Fatal(err)
		}
		offered[class] += 20
		if class == models.PriorityHigh {
			lastHigh = res.LastSeq
		}
		if i%10 == 0 {
			if err := l.AddDeadLetter(ctx, locallog.DeadLetter{Reason: "x", Payload: make([]byte, 900)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := l.Stats()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if before.FileBytes <= 2<<20 {
		t.Fatalf("file only %d bytes: the test needs a bigger one", before.FileBytes)
	}

	opts.MaxBytes = 2 << 20
	l = openLog(t, opts)
	st := l.Stats()
	if st.FileBytes > opts.MaxBytes {
		t.Fatalf("after reopening with a %d-byte cap the file is %d bytes", opts.MaxBytes, st.FileBytes)
	}
	checkCounts(t, st, offered)
	if st.Classes[models.PriorityHigh].LastSeq != lastHigh || st.Classes[models.PriorityHigh].PointsBuffered == 0 {
		t.Errorf("the newest high points were not kept: %+v", st.Classes[models.PriorityHigh])
	}
	if st.Classes[models.PriorityLow].Dropped["evicted"] == 0 {
		t.Error("nothing was evicted")
	}
	if st.DeadLetters != before.DeadLetters || st.DeadLettersStored+st.DeadLettersDropped != st.DeadLetters {
		t.Errorf("dead letters: before %+v after %+v", before, st)
	}
	// The compacted log works, within its new cap.
	for i := range 200 {
		class := models.Priority(i % models.NumPriorities)
		pts := makePoints(rng, 10, 0, 100, 600)
		res, err := l.Append(ctx, class, pts)
		if err != nil {
			t.Fatal(err)
		}
		offered[class] += 10
		if res.Accepted > 0 && res.FirstSeq <= before.NextSeq-1 {
			t.Fatalf("seq %d reused after compaction (next was %d)", res.FirstSeq, before.NextSeq)
		}
		if fi, _ := os.Stat(opts.Path); fi.Size() > opts.MaxBytes {
			t.Fatalf("file %d bytes over the cap", fi.Size())
		}
	}
	checkCounts(t, l.Stats(), offered)
	if l.Stats().SpaceRetries != 0 {
		t.Error("bbolt refused a transaction after compaction")
	}
}
