package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/models"
)

// Errors returned by the reader group methods.
var (
	// ErrUnknownGroup is returned (wrapped) for a reader group that does
	// not exist.
	ErrUnknownGroup = errors.New("unknown reader group")
	// ErrRebalance is returned by GroupTail when the group's segments
	// were handed out again (a member came or went, or a segment was
	// finished): the member reconnects and gets its new share.
	ErrRebalance = errors.New("reader group rebalanced")
)

// DefaultMemberGrace is how long a member that disconnected keeps its
// segments before they go to the others.
const DefaultMemberGrace = 10 * time.Second

// GroupInfo describes a reader group.
type GroupInfo struct {
	Stream string `json:"stream"`
	Name   string `json:"name"`
	// Cut is the group's checkpoint in the text form of FormatCut.
	Cut string `json:"cut"`
	// Positions is the checkpoint: per segment, the next position.
	Positions map[string]uint64 `json:"positions"`
	// Finished lists the sealed segments read to their end.
	Finished []string `json:"finished,omitempty"`
	// Segments are the segments the group reads now (those whose
	// predecessors are finished).
	Segments []string `json:"segments"`
	// Lag is, per segment read now, how many tier-1 positions lie
	// between the checkpoint and the end.
	Lag         map[string]uint64 `json:"lag"`
	Members     []MemberInfo      `json:"members"`
	Checkpoints uint64            `json:"checkpoints"`
	Created     time.Time         `json:"created"`
	Updated     time.Time         `json:"updated"`
}

// MemberInfo describes one member of a reader group.
type MemberInfo struct {
	Name string `json:"name"`
	// Segments are the segments handed to the member.
	Segments []string `json:"segments"`
	// Connected is false during the grace period after it left.
	Connected bool `json:"connected"`
}

// CreateGroup creates the reader group name on stream, starting at from
// (nil: the live end of each active segment; an empty cut: everything
// retained). With reset, an existing group is moved to from (its members
// start again there); without, an existing group is left as it is. It
// returns the group and whether it was created or reset.
func (s *Store) CreateGroup(ctx context.Context, stream, name string, from *models.StreamCut, reset bool) (GroupInfo, bool, error) {
	if err := models.ValidateID("group", name); err != nil {
		return GroupInfo{}, false, err
	}
	ss, err := s.stream(ctx, stream, false)
	if err != nil {
		return GroupInfo{}, false, err
	}
	l := &ss.meta.Layout
	g := meta.Group{Stream: stream, Name: name, Positions: map[string]uint64{}}
	if from == nil {
		for _, seg := range l.Current().Segments {
			st, err := s.t1.State(ctx, stream, seg)
			if err != nil {
				return GroupInfo{}, false, err
			}
			g.Positions[seg] = st.Last + 1
		}
	} else {
		if from.Stream != "" && from.Stream != stream {
			return GroupInfo{}, false, fmt.Errorf("%w: cut of stream %q for stream %q", ErrBadCut, from.Stream, stream)
		}
		for seg, pos := range from.Positions {
			if _, err := l.Segment(seg); err != nil {
				return GroupInfo{}, false, fmt.Errorf("%w: %w", ErrBadCut, err)
			}
			if err := s.checkPosition(ctx, stream, seg, pos); err != nil {
				return GroupInfo{}, false, err
			}
			g.Positions[seg] = max(pos, 1)
		}
	}
	stored, created, err := s.meta.CreateGroup(g)
	if err != nil {
		return GroupInfo{}, false, err
	}
	if !created && reset {
		stored, err = s.meta.UpdateGroup(stream, name, func(old *meta.Group) error {
			old.Positions, old.Finished = g.Positions, nil
			return nil
		})
		if err != nil {
			return GroupInfo{}, false, err
		}
		s.groups.rebalance(stream, name)
		created = true
	}
	info, err := s.groupInfo(ctx, stored)
	return info, created, err
}

// Group describes the reader group name of stream.
func (s *Store) Group(ctx context.Context, stream, name string) (GroupInfo, error) {
	g, err := s.loadGroup(ctx, stream, name)
	if err != nil {
		return GroupInfo{}, err
	}
	return s.groupInfo(ctx, g)
}

// Groups describes every reader group of stream.
func (s *Store) Groups(ctx context.Context, stream string) ([]GroupInfo, error) {
	if _, err := s.stream(ctx, stream, false); err != nil {
		return nil, err
	}
	gs, err := s.meta.Groups(stream)
	if err != nil {
		return nil, err
	}
	out := make([]GroupInfo, 0, len(gs))
	for _, g := range gs {
		info, err := s.groupInfo(ctx, g)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// DeleteGroup deletes a reader group; its members' tails end.
func (s *Store) DeleteGroup(ctx context.Context, stream, name string) error {
	if _, err := s.loadGroup(ctx, stream, name); err != nil {
		return err
	}
	if err := s.meta.DeleteGroup(stream, name); err != nil {
		return groupErr(stream, name, err)
	}
	s.groups.rebalance(stream, name)
	return nil
}

// loadGroup returns the stored group, or an error wrapping
// ErrUnknownStream or ErrUnknownGroup.
func (s *Store) loadGroup(ctx context.Context, stream, name string) (meta.Group, error) {
	if _, err := s.stream(ctx, stream, false); err != nil {
		return meta.Group{}, err
	}
	g, err := s.meta.Group(stream, name)
	return g, groupErr(stream, name, err)
}

func groupErr(stream, name string, err error) error {
	if errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("%w: %q of stream %q", ErrUnknownGroup, name, stream)
	}
	return err
}

func (s *Store) groupInfo(ctx context.Context, g meta.Group) (GroupInfo, error) {
	info := GroupInfo{
		Stream: g.Stream, Name: g.Name, Cut: FormatCut(models.StreamCut{Positions: g.Positions}),
		Positions: g.Positions, Finished: g.Finished, Lag: map[string]uint64{}, Checkpoints: g.Checkpoints,
		Created: time.Unix(0, g.Created).UTC(), Updated: time.Unix(0, g.Updated).UTC(),
	}
	ss, err := s.stream(ctx, g.Stream, false)
	if err != nil {
		return info, err
	}
	info.Segments = frontier(&ss.meta.Layout, &g)
	for _, seg := range info.Segments {
		st, err := s.t1.State(ctx, g.Stream, seg)
		if err != nil {
			return info, err
		}
		if pos := max(g.Positions[seg], 1); st.Last+1 > pos {
			info.Lag[seg] = st.Last + 1 - pos
		} else {
			info.Lag[seg] = 0
		}
	}
	info.Members = s.groups.members(g.Stream, g.Name)
	return info, nil
}

// frontier returns the segments a group reads now: not finished, not
// behind its cut, with every predecessor finished or behind it, in
// layout order.
func frontier(l *segment.Layout, g *meta.Group) []string {
	done := map[string]bool{}
	for _, seg := range g.Finished {
		done[seg] = true
	}
	markBehindCut(l, g.Positions, done)
	out := []string{}
	for _, seg := range l.Order() {
		if done[seg] {
			continue
		}
		sg, err := l.Segment(seg)
		if err != nil {
			continue
		}
		ready := true
		for _, p := range sg.Predecessors {
			ready = ready && done[p]
		}
		if ready {
			out = append(out, seg)
		}
	}
	return out
}

// Checkpoint records that the group's members have handled every point
// before cut: each segment's position moves up to the cut's (never back),
// and sealed segments read to their end count as finished, which may hand
// out their successors (the members then rebalance). A position must be
// one a tail of the stream reported. The member is the one that sends it
// (any member may checkpoint any segment).
func (s *Store) Checkpoint(ctx context.Context, stream, name, member string, cut models.StreamCut) (GroupInfo, error) {
	g, err := s.loadGroup(ctx, stream, name)
	if err != nil {
		return GroupInfo{}, err
	}
	if cut.Stream != "" && cut.Stream != stream {
		return GroupInfo{}, fmt.Errorf("%w: cut of stream %q for stream %q", ErrBadCut, cut.Stream, stream)
	}
	ss, err := s.stream(ctx, stream, false)
	if err != nil {
		return GroupInfo{}, err
	}
	l := &ss.meta.Layout
	var moved, finished []string
	for _, seg := range slices.Sorted(maps.Keys(cut.Positions)) {
		sg, err := l.Segment(seg)
		if err != nil {
			return GroupInfo{}, fmt.Errorf("%w: %w", ErrBadCut, err)
		}
		pos := cut.Positions[seg]
		st, err := s.t1.State(ctx, stream, seg)
		if err != nil {
			return GroupInfo{}, err
		}
		if pos == 0 || pos > st.Last+1 {
			return GroupInfo{}, fmt.Errorf("%w: %s/%s position %d (the end is %d)", ErrBadCut, stream, seg, pos, st.Last+1)
		}
		if pos > g.Positions[seg] {
			moved = append(moved, seg)
		}
		if !sg.Active() && pos == st.Last+1 && !slices.Contains(g.Finished, seg) {
			finished = append(finished, seg)
		}
	}
	g, err = s.meta.UpdateGroup(stream, name, func(g *meta.Group) error {
		for _, seg := range moved {
			g.Positions[seg] = max(g.Positions[seg], cut.Positions[seg])
		}
		for _, seg := range finished {
			if !slices.Contains(g.Finished, seg) {
				g.Finished = append(g.Finished, seg)
			}
		}
		g.Checkpoints++
		return nil
	})
	if err != nil {
		return GroupInfo{}, groupErr(stream, name, err)
	}
	s.groups.checkpointed(stream, name, member)
	if len(finished) > 0 {
		s.groups.rebalance(stream, name)
	}
	s.log.Debug("group checkpoint", "stream", stream, "group", name, "member", member, "cut", FormatCut(cut))
	return s.groupInfo(ctx, g)
}

// GroupTailOptions tune GroupTail.
type GroupTailOptions struct {
	// Progress and Heartbeat are as in TailOptions; the cut covers the
	// member's segments.
	Progress  func(cut models.StreamCut, idle bool) error
	Heartbeat time.Duration
	// Assigned, if not nil, is called once with the member's segments
	// before anything else.
	Assigned func(segments []string) error
	// Grace is how long the member keeps its segments after it leaves
	// (0: DefaultMemberGrace).
	Grace time.Duration
}

// GroupTail reads stream as member of the reader group name: the
// segments handed to the member, from the group's checkpoint on, then
// live, as Tail does. The group's members share its segments: each
// segment is read by one member at a time, so each point goes to one
// member and each device's points stay in order. It returns ErrRebalance
// when the segments are handed out again (the member then calls again,
// after checkpointing what it handled); points handed since the last
// checkpoint then come again to whichever member gets their segment.
// It returns ctx's error when ctx is done.
func (s *Store) GroupTail(ctx context.Context, stream, name, member string, opts GroupTailOptions, fn TailFunc) error {
	if err := models.ValidateID("member", member); err != nil {
		return err
	}
	g, err := s.loadGroup(ctx, stream, name)
	if err != nil {
		return err
	}
	ss, err := s.stream(ctx, stream, false)
	if err != nil {
		return err
	}
	grace := opts.Grace
	if grace <= 0 {
		grace = DefaultMemberGrace
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	segs, leave := s.groups.join(stream, name, member, &ss.meta.Layout, &g, cancel, grace)
	defer leave()
	// A segment taken from another member waits for that member's last
	// checkpoint; the positions are read after it.
	if err := s.groups.waitReleased(ctx, stream, name, member, segs); err != nil {
		return err
	}
	if g, err = s.loadGroup(ctx, stream, name); err != nil {
		return err
	}
	if opts.Assigned != nil {
		if err := opts.Assigned(segs); err != nil {
			return err
		}
	}
	last := models.StreamCut{Stream: stream, Positions: map[string]uint64{}}
	if len(segs) > 0 {
		from := models.StreamCut{Stream: stream, Positions: maps.Clone(g.Positions)}
		err := s.Tail(ctx, stream, TailOptions{
			From: &from, Segments: segs, Heartbeat: opts.Heartbeat,
			Progress: func(cut models.StreamCut, idle bool) error {
				last = cut
				if opts.Progress == nil {
					return nil
				}
				return opts.Progress(cut, idle)
			},
		}, fn)
		if err != nil {
			return err
		}
	}
	// Nothing (more) to read: wait for a new share, heartbeating.
	return idle(ctx, last, opts)
}

// idle waits until ctx is done, reporting cut every heartbeat.
func idle(ctx context.Context, cut models.StreamCut, opts GroupTailOptions) error {
	report := func() error {
		if opts.Progress == nil {
			return nil
		}
		return opts.Progress(cut, true)
	}
	if err := report(); err != nil {
		return err
	}
	var tick <-chan time.Time
	if opts.Heartbeat > 0 {
		t := time.NewTicker(opts.Heartbeat)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-tick:
			if err := report(); err != nil {
				return err
			}
		}
	}
}
