package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/cloud-core/tier1"
	"github.com/tributary-iot/tributary/models"
)

func TestAppendCreatesStreamsAndReadsBack(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, _, err := e.st.PutStream(ctx, "vt", segment.Policy{Segments: 4}); err != nil {
		t.Fatal(err)
	}
	want := map[wseq]bool{}
	for _, w := range []string{"gw-1.normal", "gw-2.high", "gw-3.low"} {
		agent, _, _ := models.ParseWriterID(w)
		for first := uint64(1); first <= 300; first += 100 {
			e.append(batch("vt", w, first, first+99, 13))
		}
		expect(want, agent, 1, 300)
	}
	got := e.read("vt", store.Query{})
	checkExactlyOnce(t, got, want)

	// A stream named only by its points is created with the default policy.
	e.append(batch("other", "gw-1.normal", 1, 5, 2))
	names, err := e.st.Streams()
	if err != nil || len(names) != 2 {
		t.Fatalf("streams %v %v", names, err)
	}
	info, err := e.st.Stream(ctx, "vt")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Segments) != 4 || info.Epoch != 1 || info.Tier1Messages < 4 {
		t.Errorf("stream info %+v", info)
	}
	for _, seg := range info.Segments {
		if seg.Tier1.Msgs == 0 {
			t.Errorf("segment %s got nothing from 39 devices", seg.ID)
		}
	}
	if _, err := e.st.Stream(ctx, "nope"); !errors.Is(err, store.ErrUnknownStream) {
		t.Errorf("unknown stream: %v", err)
	}
}

func TestAppendRefusesBadBatches(t *testing.T) {
	e := newEnv(t, nil)
	good := func() *models.Batch { return batch("s", "gw.normal", 1, 3, 2) }
	for _, tc := range []struct {
		name string
		mut  func(b *models.Batch)
	}{
		{"bad writer", func(b *models.Batch) { b.Writer = "gw 1" }},
		{"writer with wildcard", func(b *models.Batch) { b.Writer = "gw.>" }},
		{"three-part writer", func(b *models.Batch) { b.Writer = "a.b.normal" }},
		{"seq zero", func(b *models.Batch) { b.Points[0].Seq = 0; b.FirstSeq = 0 }},
		{"seq not increasing", func(b *models.Batch) { b.Points[2].Seq = 2 }},
		{"seq outside batch", func(b *models.Batch) { b.LastSeq = 2 }},
		{"other agent", func(b *models.Batch) { b.Points[1].Agent = "intruder" }},
		{"bad stream", func(b *models.Batch) { b.Points[1].Stream = "a.b" }},
		{"no stream", func(b *models.Batch) { b.Points[1].Stream = "" }},
		{"bad device", func(b *models.Batch) { b.Points[1].Device = "" }},
		{"invalid field", func(b *models.Batch) { b.Points[1].Fields = []models.Field{{Key: "x"}} }},
	} {
		b := good()
		tc.mut(b)
		if err := e.st.Append(context.Background(), b); !errors.Is(err, store.ErrBadBatch) {
			t.Errorf("%s: %v, want ErrBadBatch", tc.name, err)
		}
	}
	if names, _ := e.st.Streams(); len(names) != 0 {
		t.Errorf("refused batches created streams %v", names)
	}
	if err := e.st.Append(context.Background(), &models.Batch{Writer: "gw.normal"}); err != nil {
		t.Errorf("empty batch: %v", err)
	}
	if err := e.st.Append(context.Background(), batch("s", "gw", 1, 2, 1)); err != nil {
		t.Errorf("writer without class: %v", err)
	}
}

// TestRetriedBatchIsNotWrittenTwice retries an acknowledged batch, and
// batches that overlap it, in every state the writer's mark can be in: in
// tier 1, after a restart, after tiering trimmed tier 1 (the mark then
// comes from the chunk index), after all of these together. JetStream's
// duplicate window is set tiny and no message carries a message id, so
// nothing here rests on it.
func TestRetriedBatchIsNotWrittenTwice(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		restart, tier, partial bool
	}{
		{name: "in tier 1"},
		{name: "after restart", restart: true},
		{name: "after tiering", tier: true},
		{name: "after tiering and restart", tier: true, restart: true},
		{name: "after tiering part", tier: true, partial: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *store.Options) { o.Tier1.Duplicates = 100 * time.Millisecond })
			ctx := context.Background()
			if _, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 3}); err != nil {
				t.Fatal(err)
			}
			e.append(batch("s", "gw.normal", 1, 100, 7))
			e.append(batch("s", "gw.normal", 101, 200, 7))
			if tc.tier {
				if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
					t.Fatal(err)
				}
				info, err := e.st.Stream(ctx, "s")
				if err != nil {
					t.Fatal(err)
				}
				if info.Tier1Messages != 0 || info.Tier2Points != 200 {
					t.Fatalf("after tiering: %d messages in tier 1, %d points in tier 2", info.Tier1Messages, info.Tier2Points)
				}
				if tc.partial {
					e.append(batch("s", "gw.normal", 201, 250, 7))
				}
			}
			if tc.restart {
				e.restart()
			}
			last := uint64(200)
			if tc.partial {
				last = 250
			}
			// The same batches again, a batch that straddles the mark, and
			// one that repeats everything.
			e.append(batch("s", "gw.normal", 101, 200, 7))
			e.append(batch("s", "gw.normal", 1, 100, 7))
			e.append(batch("s", "gw.normal", 150, last+30, 7))
			e.append(batch("s", "gw.normal", 1, last+30, 7))
			checkExactlyOnce(t, e.read("s", store.Query{}), expect(nil, "gw", 1, last+30))
			n, err := e.st.Count(ctx, "s", store.Query{})
			if err != nil || n != int64(last+30) {
				t.Errorf("count %d %v, want %d", n, err, last+30)
			}
			checkNoMessageIDs(t, e.js, "s", 3)
		})
	}
}

// checkNoMessageIDs checks that no stored tier-1 message has a
// Nats-Msg-Id: deduplication never rests on JetStream's window.
func checkNoMessageIDs(t *testing.T, js jetstream.JetStream, stream string, segs int) {
	t.Helper()
	ctx := context.Background()
	for seg := range segs {
		name := tier1.StreamName(stream, string(rune('0'+seg)))
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		st := s.CachedInfo().State
		for seq := st.FirstSeq; seq <= st.LastSeq && st.Msgs > 0; seq++ {
			m, err := s.GetMsg(ctx, seq)
			if err != nil {
				t.Fatal(err)
			}
			if id := m.Header.Get(jetstream.MsgIDHeader); id != "" {
				t.Errorf("%s@%d has message id %q", name, seq, id)
			}
		}
	}
}

func TestRacingRetriesStoreOnce(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 4}); err != nil {
		t.Fatal(err)
	}
	want := map[wseq]bool{}
	for round := range 5 {
		first := uint64(round*100 + 1)
		b := batch("s", "gw.normal", first, first+99, 20) // spans all segments
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if err := e.st.Append(ctx, b); err != nil {
					t.Errorf("racing append: %v", err)
				}
			})
		}
		if round == 2 {
			// Tiering and trims race with the appends too.
			wg.Go(func() {
				if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
					t.Errorf("tier: %v", err)
				}
			})
		}
		wg.Wait()
		expect(want, "gw", first, first+99)
	}
	checkExactlyOnce(t, e.read("s", store.Query{}), want)
}

func TestPartlyStoredBatchIsCompletedByItsRetry(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 4}); err != nil {
		t.Fatal(err)
	}
	full := batch("s", "gw.normal", 1, 200, 40)
	// Only the runs of two of the four segments were stored before a
	// failure: the retry must store the other two runs whole.
	info, err := e.st.Stream(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	part := &models.Batch{Writer: full.Writer}
	for _, p := range full.Points {
		h := segment.Hash(p.Device)
		if info.Segments[0].Range.Contains(h) || info.Segments[2].Range.Contains(h) {
			part.Points = append(part.Points, p)
		}
	}
	if len(part.Points) == 0 || len(part.Points) == len(full.Points) {
		t.Fatalf("the partial batch has %d of %d points", len(part.Points), len(full.Points))
	}
	e.append(part)
	e.append(full)
	checkExactlyOnce(t, e.read("s", store.Query{}), expect(nil, "gw", 1, 200))
}
