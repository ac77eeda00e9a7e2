package store

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/segment"
)

// groupRegistry keeps the live members of reader groups and hands out
// segments to them. Its zero value is ready to use.
type groupRegistry struct {
	mu sync.Mutex
	// groups holds the members of each group by "stream/name"; guarded
	// by mu.
	groups map[string]map[string]*liveMember
	// sessions numbers GroupTail calls; guarded by mu.
	sessions uint64
	// releasing holds, by group key and segment, the segments taken from
	// a member that was reading them, until it checkpoints or
	// releaseTimeout passes; guarded by mu.
	releasing map[string]map[string]*release
}

// releaseTimeout is how long a segment taken from a member waits for the
// member's last checkpoint before another member reads it.
const releaseTimeout = 3 * time.Second

// release is a segment on its way from one member to another.
type release struct {
	member string
	done   chan struct{}
	once   sync.Once
}

func (r *release) close() { r.once.Do(func() { close(r.done) }) }

// liveMember is one member of a reader group.
type liveMember struct {
	// sessions holds the cancel functions of the member's running
	// GroupTail calls, by session number.
	sessions map[uint64]context.CancelCauseFunc
	// segments are the segments handed to the member.
	segments []string
	// leaving ends the grace period of a member without sessions.
	leaving *time.Timer
}

func groupKey(stream, name string) string { return stream + "/" + name }

// join adds a session of member and hands out the group's segments again;
// it returns the member's segments and the function that ends the
// session. Other sessions whose segments changed, and the member's older
// sessions, are cancelled with ErrRebalance.
func (r *groupRegistry) join(stream, name, member string, l *segment.Layout, g *meta.Group, cancel context.CancelCauseFunc, grace time.Duration) ([]string, func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := groupKey(stream, name)
	if r.groups == nil {
		r.groups = map[string]map[string]*liveMember{}
	}
	ms := r.groups[key]
	if ms == nil {
		ms = map[string]*liveMember{}
		r.groups[key] = ms
	}
	m := ms[member]
	if m == nil {
		m = &liveMember{sessions: map[uint64]context.CancelCauseFunc{}}
		ms[member] = m
	}
	if m.leaving != nil {
		m.leaving.Stop()
		m.leaving = nil
	}
	for id, c := range m.sessions {
		c(ErrRebalance)
		delete(m.sessions, id)
	}
	r.assignLocked(key, ms, frontier(l, g))
	r.sessions++
	id := r.sessions
	m.sessions[id] = cancel
	segs := slices.Clone(m.segments)
	leave := func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if _, ok := m.sessions[id]; !ok {
			return
		}
		delete(m.sessions, id)
		if len(m.sessions) > 0 {
			return
		}
		// Keep the segments for the grace period: a member that comes
		// back in time goes on where it was.
		m.leaving = time.AfterFunc(grace, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.groups[key][member] != m || len(m.sessions) > 0 {
				return
			}
			var pool []string
			for _, o := range ms {
				pool = append(pool, o.segments...)
			}
			delete(ms, member)
			if len(ms) == 0 {
				delete(r.groups, key)
				return
			}
			r.assignLocked(key, ms, pool)
		})
	}
	return segs, leave
}

// assignLocked hands pool out to the members, round robin in name order,
// and cancels the sessions of members whose share changed.
func (r *groupRegistry) assignLocked(key string, ms map[string]*liveMember, pool []string) {
	names := make([]string, 0, len(ms))
	for name := range ms {
		names = append(names, name)
	}
	slices.Sort(names)
	pool = slices.Clone(pool)
	slices.SortFunc(pool, compareSegments)
	share := make(map[string][]string, len(names))
	for i, s := range pool {
		n := names[i%len(names)]
		share[n] = append(share[n], s)
	}
	for _, name := range names {
		m := ms[name]
		next := share[name]
		if !slices.Equal(m.segments, next) {
			if len(m.sessions) > 0 {
				for _, seg := range m.segments {
					if !slices.Contains(next, seg) {
						r.releaseLocked(key, seg, name)
					}
				}
			}
			for id, c := range m.sessions {
				c(ErrRebalance)
				delete(m.sessions, id)
			}
		}
		m.segments = next
	}
}

// releaseLocked records that member gives up seg.
func (r *groupRegistry) releaseLocked(key, seg, member string) {
	if r.releasing == nil {
		r.releasing = map[string]map[string]*release{}
	}
	rs := r.releasing[key]
	if rs == nil {
		rs = map[string]*release{}
		r.releasing[key] = rs
	}
	if old := rs[seg]; old != nil {
		old.close()
	}
	rel := &release{member: member, done: make(chan struct{})}
	rs[seg] = rel
	time.AfterFunc(releaseTimeout, func() { r.released(key, seg, rel) })
}

// released ends a release.
func (r *groupRegistry) released(key, seg string, rel *release) {
	rel.close()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.releasing[key][seg] == rel {
		delete(r.releasing[key], seg)
	}
}

// checkpointed ends the releases of a member that checkpointed.
func (r *groupRegistry) checkpointed(stream, name, member string) {
	key := groupKey(stream, name)
	r.mu.Lock()
	var done []*release
	for seg, rel := range r.releasing[key] {
		if rel.member == member {
			done = append(done, rel)
			delete(r.releasing[key], seg)
		}
	}
	r.mu.Unlock()
	for _, rel := range done {
		rel.close()
	}
}

// waitReleased waits until no segment of segs is on its way from another
// member.
func (r *groupRegistry) waitReleased(ctx context.Context, stream, name, member string, segs []string) error {
	key := groupKey(stream, name)
	for _, seg := range segs {
		r.mu.Lock()
		rel := r.releasing[key][seg]
		r.mu.Unlock()
		if rel == nil || rel.member == member {
			continue
		}
		select {
		case <-rel.done:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

// members describes the live members of a group.
func (r *groupRegistry) members(stream, name string) []MemberInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []MemberInfo{}
	for n, m := range r.groups[groupKey(stream, name)] {
		out = append(out, MemberInfo{Name: n, Segments: slices.Clone(m.segments), Connected: len(m.sessions) > 0})
	}
	slices.SortFunc(out, func(a, b MemberInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// rebalance ends every session of the group (they reconnect and get
// their share of the group's segments as they are now).
func (r *groupRegistry) rebalance(stream, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.groups[groupKey(stream, name)] {
		for id, c := range m.sessions {
			c(ErrRebalance)
			delete(m.sessions, id)
		}
		m.segments = nil
	}
}
