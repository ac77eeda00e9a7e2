package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-iot/tributary/cloud-core/batchmsg"
	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/tier1"
	"github.com/tributary-iot/tributary/cloud-core/tier2"
	"github.com/tributary-iot/tributary/models"
)

// Chunks is tier 2 as the store uses it; *tier2.Store implements it.
type Chunks interface {
	// Write writes points as one chunk, whole and durable, and describes it.
	Write(ctx context.Context, spec tier2.ChunkSpec, points []models.Point) (tier2.ChunkInfo, error)
	// Read calls fn for each point of the chunk at path that f selects.
	Read(ctx context.Context, path string, f tier2.Filter, fn func(*models.Point) error) error
	// Count returns the number of points of the chunk at path that f
	// selects, reading only the columns that filtering needs.
	Count(ctx context.Context, path string, f tier2.Filter) (int64, error)
	// Remove deletes the chunk at path.
	Remove(ctx context.Context, path string) error
	// Sweep deletes leftovers of interrupted writes and unindexed chunks.
	Sweep(ctx context.Context, known func(path string) bool) ([]string, error)
}

// DefaultChunkPoints is the most points tiering puts in one chunk.
const DefaultChunkPoints = 250_000

// Options configure Open.
type Options struct {
	// JetStream is tier 1's JetStream context; required.
	JetStream jetstream.JetStream
	// Meta is the metadata store; required. The Store does not close it.
	Meta *meta.DB
	// Tier2 holds the chunks; required.
	Tier2 Chunks
	// Tier1 configures the segment streams (its Codec is filled in).
	Tier1 tier1.Options
	// DefaultPolicy is the policy of streams created by their first
	// write; the zero value means segment.DefaultPolicy().
	DefaultPolicy segment.Policy
	// TierAfter is the age (since it was stored) at which Run moves a
	// tier-1 message to tier 2; 0 disables tiering by age.
	TierAfter time.Duration
	// Interval is how often Run tiers and applies retention (0: a quarter
	// of TierAfter, between 1s and 1m).
	Interval time.Duration
	// ChunkPoints is the most points in one chunk (0: DefaultChunkPoints).
	ChunkPoints int
	// Logger receives the store's log; nil discards it.
	Logger *slog.Logger
	// Registerer receives the store's metrics; nil registers none.
	Registerer prometheus.Registerer
}

// Store is the segment store. It is safe for concurrent use.
type Store struct {
	opts    Options
	meta    *meta.DB
	t1      *tier1.Log
	t2      Chunks
	codec   *batchmsg.Codec
	log     *slog.Logger
	metrics *metrics
	marks   *markCache

	// createMu serialises stream creation (meta record, then segment streams).
	createMu sync.Mutex

	mu sync.Mutex
	// streams caches stream metadata by name; guarded by mu.
	streams map[string]*streamState
	// segs holds per-segment locks and reader fences by "stream/seg";
	// guarded by mu.
	segs map[string]*segState

	// scale holds segment gates and the state of splits and merges
	// (scale_gate.go).
	scale scaling

	// groups holds the live members of reader groups (group_members.go).
	groups groupRegistry

	// pointBufs pools the point slices of a batch's runs when it goes to
	// several segments (route), which would otherwise be a fresh copy of
	// the batch for the garbage collector each time.
	pointBufs sync.Pool

	// hookBeforeAppend, when not nil (tests only), is called by an append
	// between reading the writer's mark and publishing.
	hookBeforeAppend func()
}

// streamState is a cached stream with a router for its current epoch.
type streamState struct {
	meta   segment.Stream
	router *segment.Router
}

// segState coordinates appends, readers and tiering on one segment.
type segState struct {
	// trimMu is held for reading by an append that takes a writer's mark
	// from the chunk index (the writer has no message in tier 1) until
	// its publish returns, and for writing by a tier-1 trim, so that no
	// message can be stored and trimmed between the two.
	trimMu sync.RWMutex
	// tierMu serialises tiering runs of the segment.
	tierMu sync.Mutex
	// fence keeps tier-1 readers' positions from being trimmed.
	fence fence
}

// Open opens the store and recovers from a crash: it makes sure every
// segment has its tier-1 stream, finishes tier-1 trims that tiering
// committed but did not do, and sweeps tier-2 files that were written but
// never indexed.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.JetStream == nil || opts.Meta == nil || opts.Tier2 == nil {
		return nil, errors.New("store: JetStream, Meta and Tier2 are required")
	}
	if opts.DefaultPolicy.Segments == 0 {
		opts.DefaultPolicy = segment.DefaultPolicy()
	}
	if err := opts.DefaultPolicy.Validate(); err != nil {
		return nil, fmt.Errorf("default policy: %w", err)
	}
	if opts.ChunkPoints <= 0 {
		opts.ChunkPoints = DefaultChunkPoints
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	codec, err := batchmsg.NewCodec()
	if err != nil {
		return nil, err
	}
	t1opts := opts.Tier1
	t1opts.Codec = codec
	t1, err := tier1.New(opts.JetStream, t1opts)
	if err != nil {
		codec.Close()
		return nil, err
	}
	s := &Store{
		opts: opts, meta: opts.Meta, t1: t1, t2: opts.Tier2, codec: codec, log: lg, metrics: m,
		marks: newMarkCache(), streams: map[string]*streamState{}, segs: map[string]*segState{},
	}
	if err := s.registerScaling(opts.Registerer); err != nil {
		codec.Close()
		return nil, fmt.Errorf("cannot register scaling metrics: %w", err)
	}
	if err := s.recover(ctx); err != nil {
		codec.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the store's resources. It does not close the metadata
// store, the JetStream connection or tier 2.
func (s *Store) Close() error {
	s.codec.Close()
	return nil
}

func (s *Store) recover(ctx context.Context) error {
	streams, err := s.meta.Streams()
	if err != nil {
		return fmt.Errorf("cannot load streams: %w", err)
	}
	for _, st := range streams {
		for _, seg := range st.Layout.Segments {
			if err := s.t1.Ensure(ctx, st.Name, seg.ID); err != nil {
				return err
			}
			state, err := s.meta.SegmentState(st.Name, seg.ID)
			if err != nil {
				return err
			}
			if state.Tiered > 0 {
				// A crash between indexing a chunk and trimming tier 1
				// leaves tiered messages behind; trim them now.
				if err := s.t1.Purge(ctx, st.Name, seg.ID, state.Tiered+1); err != nil {
					return err
				}
			}
		}
		if _, err := s.cacheStream(st); err != nil {
			return err
		}
	}
	known, err := s.meta.ChunkPaths()
	if err != nil {
		return fmt.Errorf("cannot list indexed chunks: %w", err)
	}
	removed, err := s.t2.Sweep(ctx, func(p string) bool { _, ok := known[p]; return ok })
	if err != nil {
		return fmt.Errorf("cannot sweep tier 2: %w", err)
	}
	if len(removed) > 0 {
		s.log.Info("removed unindexed tier-2 files left by a crash", "files", len(removed))
	}
	s.log.Info("segment store open", "streams", len(streams), "chunks", len(known))
	return nil
}

// cacheStream stores st in the stream cache with a router for its
// current epoch.
func (s *Store) cacheStream(st segment.Stream) (*streamState, error) {
	r, err := st.Layout.Router(st.Layout.Current().Number)
	if err != nil {
		return nil, fmt.Errorf("stream %q: %w", st.Name, err)
	}
	ss := &streamState{meta: st, router: r}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.streams[st.Name]; old != nil && old.meta.Layout.Current().Number > st.Layout.Current().Number {
		// A split or merge cached a newer epoch meanwhile: never route
		// by an older one.
		return old, nil
	}
	s.streams[st.Name] = ss
	return ss, nil
}

func (s *Store) cachedStream(name string) *streamState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streams[name]
}

// seg returns the coordination state of a segment.
func (s *Store) seg(stream, seg string) *segState {
	key := stream + "/" + seg
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.segs[key]
	if ss == nil {
		ss = &segState{}
		s.segs[key] = ss
	}
	return ss
}
