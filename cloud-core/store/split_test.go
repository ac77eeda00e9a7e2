package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/models"
)

// readSplits reads splits with workers goroutines and returns every point.
func readSplits(t *testing.T, e *env, splits []store.Split, workers int) ([]models.Point, error) {
	t.Helper()
	var (
		mu   sync.Mutex
		all  []models.Point
		errs []error
		wg   sync.WaitGroup
		next = make(chan store.Split)
	)
	for range workers {
		wg.Go(func() {
			for sp := range next {
				var got []models.Point
				err := e.st.ReadSplit(context.Background(), sp, func(p *models.Point) error {
					got = append(got, p.Clone())
					return nil
				})
				mu.Lock()
				all = append(all, got...)
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	for _, sp := range splits {
		next <- sp
	}
	close(next)
	wg.Wait()
	return all, errors.Join(errs...)
}

// checkUnion checks that the splits' points are exactly want, each once
// (order across splits is free, so only per-split order is checked by
// the store's own tests).
func checkUnion(t *testing.T, got []models.Point, want map[wseq]bool) {
	t.Helper()
	seen := map[wseq]int{}
	for i := range got {
		k := wseq{got[i].Agent, got[i].Seq}
		if seen[k]++; seen[k] == 2 {
			t.Errorf("point %v read twice", k)
		}
		if !want[k] {
			t.Errorf("point %v read but not wanted", k)
		}
	}
	missing := 0
	for k := range want {
		if seen[k] == 0 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d points never read", missing, len(want))
	}
}

func TestSplitsHoldEveryPointOnce(t *testing.T) {
	e := newEnv(t, func(o *store.Options) { o.ChunkPoints = 200 })
	want := fillAcrossTiers(t, e)
	ctx := context.Background()
	timeOf := func(seq uint64) int64 { return t0 + int64(seq)*1e6 }
	for _, tc := range []struct {
		name    string
		opts    store.SplitOptions
		workers int
		keep    func(seq uint64) bool
	}{
		{"all, one worker", store.SplitOptions{}, 1, func(uint64) bool { return true }},
		{"all, small splits, four workers", store.SplitOptions{TargetPoints: 100}, 4, func(uint64) bool { return true }},
		{"across the tier boundary", store.SplitOptions{Start: timeOf(250), End: timeOf(350)}, 3, func(s uint64) bool { return s >= 250 && s < 350 }},
		{"tier 2 only", store.SplitOptions{End: timeOf(100)}, 2, func(s uint64) bool { return s < 100 }},
		{"nothing", store.SplitOptions{Start: timeOf(5000)}, 2, func(uint64) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			splits, err := e.st.Splits(ctx, "s", tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			tiers := map[int]int{}
			for _, sp := range splits {
				tiers[sp.Tier]++
			}
			if tc.opts.Start == 0 && tc.opts.End == 0 && (tiers[1] < 3 || tiers[2] < 3) {
				t.Errorf("splits by tier %v: want chunks and tier-1 ranges of 3 segments", tiers)
			}
			got, err := readSplits(t, e, splits, tc.workers)
			if err != nil {
				t.Fatal(err)
			}
			sub := map[wseq]bool{}
			for k := range want {
				if tc.keep(k.seq) {
					sub[k] = true
				}
			}
			checkUnion(t, got, sub)
		})
	}
}

// TestSplitsSurviveTiering lists splits, then tiers and appends before
// reading them: the tier-1 splits still hold exactly their positions.
func TestSplitsSurviveTiering(t *testing.T) {
	e := newEnv(t, func(o *store.Options) { o.ChunkPoints = 200 })
	want := fillAcrossTiers(t, e)
	ctx := context.Background()
	splits, err := e.st.Splits(ctx, "s", store.SplitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"a.normal", "b.normal", "c.high"} {
		e.append(batch("s", w, 601, 650, 11)) // after the listing: in no split
	}
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := readSplits(t, e, splits, 2)
	if err != nil {
		t.Fatal(err)
	}
	checkUnion(t, got, want)
}

// TestSplitAfterItsLease: without a lease (or once it is over), a tier-1
// split whose positions went into a chunk of their own, or into one with
// later positions, still reads exactly.
func TestSplitAfterItsLease(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.append(batch("s", "w.normal", 1, 100, 7))
	want := expect(nil, "w", 1, 100)
	splits, err := e.st.Splits(ctx, "s", store.SplitOptions{Lease: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(splits) != 1 || splits[0].Tier != 1 {
		t.Fatalf("splits %+v, want one tier-1 split", splits)
	}
	// Without a lease, tiering moves exactly the split's positions.
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := readSplits(t, e, splits, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkUnion(t, got, want)

	e.append(batch("s", "w.normal", 101, 200, 7))
	splits, err = e.st.Splits(ctx, "s", store.SplitOptions{Lease: -1})
	if err != nil {
		t.Fatal(err)
	}
	last := splits[len(splits)-1]
	if last.Tier != 1 {
		t.Fatalf("last split %+v, want tier 1", last)
	}
	e.append(batch("s", "w.normal", 201, 300, 7))
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	// The chunk that now holds the split's positions holds later ones
	// too: the split reads its rows of the split's positions, exactly.
	got, err = readSplits(t, e, []store.Split{last}, 1)
	if err != nil {
		t.Fatalf("split read after its lease and a tiering past it: %v", err)
	}
	checkUnion(t, got, expect(nil, "w", 101, 200))
}

// TestSplitAfterItsLeaseOldChunks: chunks written before rows kept their
// positions cannot be cut: such a split says it expired.
func TestSplitAfterItsLeaseOldChunks(t *testing.T) {
	e := newEnv(t, func(o *store.Options) {
		if _, ok := o.Tier2.(positionlessChunks); !ok {
			o.Tier2 = positionlessChunks{o.Tier2}
		}
	})
	ctx := context.Background()
	e.append(batch("s", "w.normal", 1, 100, 7))
	splits, err := e.st.Splits(ctx, "s", store.SplitOptions{Lease: -1})
	if err != nil || len(splits) != 1 || splits[0].Tier != 1 {
		t.Fatalf("splits %+v %v, want one tier-1 split", splits, err)
	}
	e.append(batch("s", "w.normal", 101, 200, 7))
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	err = e.st.ReadSplit(ctx, splits[0], func(*models.Point) error { return nil })
	if !errors.Is(err, store.ErrSplitExpired) {
		t.Errorf("split read after its lease and a tiering past it: %v, want ErrSplitExpired", err)
	}
}

func TestSplitTokens(t *testing.T) {
	sp := store.Split{Stream: "vehicle-telemetry", Segment: "12", First: 7, Last: 1 << 40, Start: -5, End: 1764072000000000000, Tier: 2}
	tok := sp.Token()
	if !strings.HasPrefix(tok, "vehicle-telemetry.") || strings.ContainsAny(tok, "/+=?&% ") {
		t.Errorf("token %q is not a URL-safe stream.payload", tok)
	}
	back, err := store.ParseSplitToken(tok)
	if err != nil || back != sp {
		t.Errorf("round trip: %+v %v, want %+v", back, err, sp)
	}
	if s := store.SplitTokenStream(tok); s != "vehicle-telemetry" {
		t.Errorf("stream of token: %q", s)
	}
	other := tok[:len(tok)-2] + "AA"
	for _, bad := range []string{"", "x", "s.", ".AAAA", "s.!!!!", "s.AAAA", "a b." + tok[len("vehicle-telemetry."):], other, strings.Repeat("a", 2000)} {
		if _, err := store.ParseSplitToken(bad); !errors.Is(err, store.ErrBadSplit) {
			t.Errorf("token %q: %v, want ErrBadSplit", bad, err)
		}
	}
	// Another stream's name on the same payload is a different split of
	// that stream, not this one.
	swapped := "other" + tok[len("vehicle-telemetry"):]
	if sp2, err := store.ParseSplitToken(swapped); err != nil || sp2.Stream != "other" {
		t.Errorf("swapped stream: %+v %v", sp2, err)
	}
}

func FuzzParseSplitToken(f *testing.F) {
	f.Add(store.Split{Stream: "s", Segment: "0", First: 1, Last: 9, Tier: 1}.Token())
	f.Add(store.Split{Stream: "vt", Segment: "123", First: 5, Last: 5, Start: 1, End: 2, Tier: 2}.Token())
	f.Add("s.AQ")
	f.Fuzz(func(t *testing.T, tok string) {
		sp, err := store.ParseSplitToken(tok)
		if err != nil {
			if !errors.Is(err, store.ErrBadSplit) {
				t.Fatalf("error %v does not wrap ErrBadSplit", err)
			}
			return
		}
		again, err := store.ParseSplitToken(sp.Token())
		if err != nil || again != sp {
			t.Fatalf("re-encoded %+v: %+v %v", sp, again, err)
		}
	})
}

func TestReadSplitRefusesBadSplits(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.append(batch("s", "w.normal", 1, 10, 3))
	nop := func(*models.Point) error { return nil }
	for _, tc := range []struct {
		sp   store.Split
		want error
	}{
		{store.Split{Stream: "nope", Segment: "0", First: 1, Last: 1, Tier: 1}, store.ErrUnknownStream},
		{store.Split{Stream: "s", Segment: "9", First: 1, Last: 1, Tier: 1}, store.ErrBadSplit},
		{store.Split{Stream: "s", Segment: "0", First: 0, Last: 1, Tier: 1}, store.ErrBadSplit},
		{store.Split{Stream: "s", Segment: "0", First: 3, Last: 2, Tier: 2}, store.ErrBadSplit},
	} {
		if err := e.st.ReadSplit(ctx, tc.sp, nop); !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.sp, err, tc.want)
		}
	}
	// Positions past the end are an empty split, not an error or a hang.
	n := 0
	err := e.st.ReadSplit(ctx, store.Split{Stream: "s", Segment: "0", First: 5, Last: 9, Tier: 1}, func(*models.Point) error { n++; return nil })
	if err != nil || n != 0 {
		t.Errorf("split past the end: %d points, %v", n, err)
	}
}
