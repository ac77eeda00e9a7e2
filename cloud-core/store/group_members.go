package store

import (
	"context"
	"slices"
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
}

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
	r.assignLocked(ms, frontier(l, g))
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
			r.assignLocked(ms, pool)
		})
	}
	return segs, leave
}

// assignLocked hands pool out to the members, round robin in name order,
// and cancels the sessions of members whose share changed.
func (r *groupRegistry) assignLocked(ms map[string]*liveMember, pool []string) {
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
			for id, c := range m.sessions {
				c(ErrRebalance)
				delete(m.sessions, id)
			}
		}
		m.segments = next
	}
}

// members describes the live members of a group.
func (r *groupRegistry) members(stream, name string) []MemberInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []MemberInfo{}
	for n, m := range r.groups[groupKey(stream, name)] {
		out = append(out, MemberInfo{Name: n, Segments: slices.Clone(m.segments), Connected: len(m.sessions) > 0})
	}
	slices.SortFunc(out, func(a, b MemberInfo) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
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
