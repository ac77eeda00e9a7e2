package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/models"
)

// member runs GroupTail for one member in the background.
type member struct {
	mu       sync.Mutex
	points   []models.Point
	cut      models.StreamCut // the last progress cut
	assigned []string
	err      error         // GroupTail's, once finished is closed
	finished chan struct{} // closed when GroupTail returned
	cancel   context.CancelFunc
}

func startMember(t *testing.T, e *env, group, name string) *member {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{finished: make(chan struct{}), cancel: cancel}
	assigned := make(chan struct{})
	go func() {
		defer close(m.finished)
		m.err = e.st.GroupTail(ctx, "s", group, name, store.GroupTailOptions{
			Assigned: func(segs []string) error {
				m.mu.Lock()
				m.assigned = segs
				m.mu.Unlock()
				close(assigned)
				return nil
			},
			Progress: func(cut models.StreamCut, _ bool) error {
				m.mu.Lock()
				m.cut = cut
				m.mu.Unlock()
				return nil
			},
			Grace: time.Hour,
		}, func(_ string, _ uint64, p *models.Point) error {
			m.mu.Lock()
			m.points = append(m.points, p.Clone())
			m.mu.Unlock()
			return nil
		})
	}()
	select {
	case <-assigned:
	case <-m.finished:
		t.Fatalf("member %s: %v", name, m.err)
	}
	t.Cleanup(func() { m.stop() })
	return m
}

// stop ends the member's tail and returns its error.
func (m *member) stop() error {
	m.cancel()
	return m.result()
}

// result waits for the member's tail to end and returns its error.
func (m *member) result() error {
	select {
	case <-m.finished:
		return m.err
	case <-time.After(20 * time.Second):
		return errors.New("member did not stop")
	}
}

// wait waits until the member has n points and returns them with its
// last cut.
func (m *member) wait(t *testing.T, n int) ([]models.Point, models.StreamCut) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m.mu.Lock()
		got, cut := slices.Clone(m.points), m.cut
		m.mu.Unlock()
		if len(got) >= n && len(cut.Positions) > 0 {
			return got, cut
		}
		if time.Now().After(deadline) {
			t.Fatalf("member has %d of %d points", len(got), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestGroupMembersShareSegments(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 4}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "w.normal", 1, 100, 20))
	if _, created, err := e.st.CreateGroup(ctx, "s", "scorers", &models.StreamCut{}, false); err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	a := startMember(t, e, "scorers", "a")
	b := startMember(t, e, "scorers", "b")
	// b's arrival handed the segments out again: a's first tail ends.
	if err := a.result(); !errors.Is(err, store.ErrRebalance) {
		t.Fatalf("member a after b joined: %v, want ErrRebalance", err)
	}
	a = startMember(t, e, "scorers", "a")
	if len(a.assigned) != 2 || len(b.assigned) != 2 || slices.ContainsFunc(a.assigned, func(s string) bool { return slices.Contains(b.assigned, s) }) {
		t.Fatalf("shares a %v, b %v: want two segments each, none shared", a.assigned, b.assigned)
	}
	e.append(batch("s", "w.normal", 101, 200, 20))

	// Each point to one member; together, all, in per-device order.
	info, err := e.st.Group(ctx, "s", "scorers")
	if err != nil || len(info.Members) != 2 || len(info.Segments) != 4 {
		t.Fatalf("group %+v %v", info, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		a.mu.Lock()
		b.mu.Lock()
		n := len(a.points) + len(b.points)
		all := append(slices.Clone(a.points), b.points...)
		b.mu.Unlock()
		a.mu.Unlock()
		if n >= 200 {
			checkExactlyOnce(t, all, expect(nil, "w", 1, 200))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("members have %d of 200 points", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestGroupResumesFromItsCheckpoint: a member checkpoints and goes away;
// tiering then moves everything to tier 2; the member comes back and goes
// on exactly after the checkpoint.
func TestGroupResumesFromItsCheckpoint(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 2}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.CreateGroup(ctx, "s", "g", nil, false); err != nil {
		t.Fatal(err)
	}
	m := startMember(t, e, "g", "m1")
	for first := uint64(1); first <= 200; first += 20 {
		e.append(batch("s", "w.normal", first, first+19, 9))
	}
	_, cut := m.wait(t, 200)
	if err := m.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped member: %v", err)
	}
	// Checkpoint a cut in the middle: the points before it are handled.
	mid := models.StreamCut{Stream: "s", Positions: map[string]uint64{}}
	for seg, pos := range cut.Positions {
		mid.Positions[seg] = pos - 4 // four messages back in each segment
	}
	info, err := e.st.Checkpoint(ctx, "s", "g", "m1", mid)
	if err != nil || info.Checkpoints != 1 || info.Cut != store.FormatCut(mid) {
		t.Fatalf("checkpoint: %+v %v", info, err)
	}
	e.append(batch("s", "w.normal", 201, 260, 9))
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	// Tiering moved the checkpoint inside chunks: the member resumes in
	// them by their rows' positions.
	handled := pointsBefore(t, e, mid)
	m = startMember(t, e, "g", "m1")
	rest, _ := m.wait(t, 260-len(handled))
	checkExactlyOnce(t, append(handled, rest...), expect(nil, "w", 1, 260))

	// Moving back does nothing; a bad cut is refused.
	if info, err := e.st.Checkpoint(ctx, "s", "g", "m1", models.StreamCut{Positions: map[string]uint64{"0": 1}}); err != nil || info.Positions["0"] != mid.Positions["0"] {
		t.Errorf("checkpoint back: %+v %v", info, err)
	}
	for _, bad := range []models.StreamCut{
		{Positions: map[string]uint64{"9": 1}},
		{Positions: map[string]uint64{"0": 10_000}},
		{Stream: "t", Positions: map[string]uint64{"0": 1}},
	} {
		if _, err := e.st.Checkpoint(ctx, "s", "g", "m1", bad); !errors.Is(err, store.ErrBadCut) {
			t.Errorf("checkpoint %+v: %v, want ErrBadCut", bad, err)
		}
	}
	if _, err := e.st.Checkpoint(ctx, "s", "nope", "m1", mid); !errors.Is(err, store.ErrUnknownGroup) {
		t.Errorf("checkpoint of an unknown group: %v", err)
	}
}

// pointsBefore returns the points of stream "s" before cut: a tail from
// the beginning of each segment, stopped when it reaches the cut.
func pointsBefore(t *testing.T, e *env, cut models.StreamCut) []models.Point {
	t.Helper()
	var out []models.Point
	for seg, pos := range cut.Positions {
		sp := store.Split{Stream: "s", Segment: seg, First: 1, Last: pos - 1, Tier: 2}
		err := e.st.ReadSplit(context.Background(), sp, func(p *models.Point) error {
			out = append(out, p.Clone())
			return nil
		})
		if err != nil {
			t.Fatalf("points of %s before %d: %v", seg, pos, err)
		}
	}
	return out
}

// TestGroupReplaysFromAPastCut: a new group (a new model version) starts
// at a cut taken earlier and follows on live.
func TestGroupReplaysFromAPastCut(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.append(batch("s", "w.normal", 1, 50, 5))
	info, err := e.st.Stream(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	past := models.StreamCut{Positions: map[string]uint64{"0": info.Segments[0].Tier1.Last + 1}}
	e.append(batch("s", "w.normal", 51, 100, 5))
	if _, _, err := e.st.CreateGroup(ctx, "s", "v2", &past, false); err != nil {
		t.Fatal(err)
	}
	m := startMember(t, e, "v2", "x")
	e.append(batch("s", "w.normal", 101, 150, 5))
	got, _ := m.wait(t, 100)
	checkExactlyOnce(t, got, expect(nil, "w", 51, 150))

	// Reset to the beginning: the member starts again.
	if _, reset, err := e.st.CreateGroup(ctx, "s", "v2", &models.StreamCut{}, true); err != nil || !reset {
		t.Fatalf("reset: %v %v", reset, err)
	}
	if err := m.result(); !errors.Is(err, store.ErrRebalance) {
		t.Fatalf("member after a reset: %v", err)
	}
	m = startMember(t, e, "v2", "x")
	got, _ = m.wait(t, 150)
	checkExactlyOnce(t, got, expect(nil, "w", 1, 150))

	if err := e.st.DeleteGroup(ctx, "s", "v2"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Group(ctx, "s", "v2"); !errors.Is(err, store.ErrUnknownGroup) {
		t.Errorf("deleted group: %v", err)
	}
	if _, _, err := e.st.CreateGroup(ctx, "s", "bad name", nil, false); !errors.Is(err, models.ErrBadID) {
		t.Errorf("bad group name: %v", err)
	}
}

// TestGroupFollowsSuccessors: once a member checkpoints the end of a
// sealed segment, its successors are handed out.
func TestGroupFollowsSuccessors(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.append(batch("s", "w.normal", 1, 100, 10))
	if _, _, err := e.st.CreateGroup(ctx, "s", "g", &models.StreamCut{}, false); err != nil {
		t.Fatal(err)
	}
	splitOffline(t, e)
	e.append(batch("s", "w.normal", 101, 200, 10))
	m := startMember(t, e, "g", "m")
	if !slices.Equal(m.assigned, []string{"0"}) {
		t.Fatalf("first share %v, want [0]", m.assigned)
	}
	first, cut := m.wait(t, 100)
	if _, err := e.st.Checkpoint(ctx, "s", "g", "m", cut); err != nil {
		t.Fatal(err)
	}
	if err := m.result(); !errors.Is(err, store.ErrRebalance) {
		t.Fatalf("member after finishing segment 0: %v", err)
	}
	m = startMember(t, e, "g", "m")
	if !slices.Equal(m.assigned, []string{"1", "2"}) {
		t.Fatalf("second share %v, want [1 2]", m.assigned)
	}
	rest, _ := m.wait(t, 100)
	checkExactlyOnce(t, append(first, rest...), expect(nil, "w", 1, 200))
	info, err := e.st.Group(ctx, "s", "g")
	if err != nil || !slices.Equal(info.Finished, []string{"0"}) {
		t.Errorf("group %+v %v", info, err)
	}
}
