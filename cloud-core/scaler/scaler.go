package scaler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/segment"
)

// Store is the segment store as the scaler sees it; *store.Store
// implements it.
type Store interface {
	// Streams returns the names of all streams.
	Streams() ([]string, error)
	// StreamLayout returns a stream's policy and successor graph.
	StreamLayout(ctx context.Context, stream string) (segment.Stream, error)
	// SegmentLoad returns what was appended to each active segment of
	// stream since the store opened.
	SegmentLoad(stream string) map[string]segment.Load
	// SplitSegment seals seg and gives its range to parts successors.
	SplitSegment(ctx context.Context, stream, seg string, parts int, why segment.Change) (segment.Stream, error)
	// MergeSegments seals the adjacent segs and gives their ranges to one
	// successor.
	MergeSegments(ctx context.Context, stream string, segs []string, why segment.Change) (segment.Stream, error)
}

// History keeps the scaler's rate history; *meta.DB implements it.
type History interface {
	// Rates returns the rate history of every stream.
	Rates() (map[string]meta.Rates, error)
	// SaveRates records the rate history of the given streams.
	SaveRates(rates map[string]meta.Rates) error
}

// Options configure New.
type Options struct {
	// Store is the segment store to watch and scale; required.
	Store Store
	// History keeps the rate history across restarts; nil keeps none.
	History History
	// Interval is how often Run measures and decides (0: DefaultInterval).
	Interval time.Duration
	// Windows are the averages' time constants (zero fields: defaults).
	Windows Windows
	// Cooldown is the cooldown of policies that set none
	// (0: DefaultCooldown).
	Cooldown time.Duration
	// Now is the clock (nil: time.Now). Tests drive the scaler with
	// their own clock and Step.
	Now func() time.Time
	// Logger receives the scaler's log; nil discards it.
	Logger *slog.Logger
	// Registerer receives the scaler's metrics; nil registers none.
	Registerer prometheus.Registerer
}

// Scaler measures segment loads and splits and merges segments by each
// stream's policy. It is safe for concurrent use.
type Scaler struct {
	store    Store
	history  History
	interval time.Duration
	rules    rules
	now      func() time.Time
	log      *slog.Logger
	errors   prometheus.Counter

	mu sync.Mutex
	// loaded says the history was read; guarded by mu.
	loaded bool
	// rates holds each stream's averages; guarded by mu.
	rates map[string]meta.Rates
	// base holds each stream's segment counters at its last sample, and
	// last the time of that sample (both in this process only); guarded
	// by mu.
	base map[string]map[string]segment.Load
	last map[string]time.Time
}

// New returns a Scaler.
func New(opts Options) (*Scaler, error) {
	if opts.Store == nil {
		return nil, errors.New("scaler: no store")
	}
	s := &Scaler{
		store: opts.Store, history: opts.History, interval: opts.Interval, now: opts.Now, log: opts.Logger,
		rules: rules{windows: opts.Windows.withDefaults(), cooldown: opts.Cooldown},
		rates: map[string]meta.Rates{}, base: map[string]map[string]segment.Load{}, last: map[string]time.Time{},
	}
	if s.interval <= 0 {
		s.interval = DefaultInterval
	}
	if s.rules.cooldown <= 0 {
		s.rules.cooldown = DefaultCooldown
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.errors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tributary_scaler_errors_total", Help: "Scaler rounds that failed to measure, save or scale a stream.",
	})
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(s.errors); err != nil {
			return nil, fmt.Errorf("cannot register scaler metrics: %w", err)
		}
	}
	return s, nil
}

// Run measures and decides every Options.Interval until ctx is done; it
// then returns nil. Failures are logged and counted, and the next round
// tries again.
func (s *Scaler) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := s.Step(ctx); err != nil && ctx.Err() == nil {
			s.errors.Inc()
			s.log.Error("scaling round failed", "err", err)
		}
	}
}

// Step runs one round at the clock's time: it samples every stream's
// segment counters into the averages, splits or merges at most one
// segment per stream whose policy scales by load, and saves the rate
// history.
func (s *Scaler) Step(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded && s.history != nil {
		rates, err := s.history.Rates()
		if err != nil {
			return fmt.Errorf("cannot load the rate history: %w", err)
		}
		for name, r := range rates {
			s.rates[name] = r
		}
	}
	s.loaded = true
	now := s.now()
	names, err := s.store.Streams()
	if err != nil {
		return fmt.Errorf("cannot list streams: %w", err)
	}
	var errs []error
	for _, name := range names {
		if err := s.step(ctx, name, now); err != nil {
			errs = append(errs, fmt.Errorf("stream %q: %w", name, err))
		}
	}
	if s.history != nil && len(names) > 0 {
		save := make(map[string]meta.Rates, len(names))
		for _, name := range names {
			if r, ok := s.rates[name]; ok {
				save[name] = r
			}
		}
		if err := s.history.SaveRates(save); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// step samples and scales one stream.
func (s *Scaler) step(ctx context.Context, name string, now time.Time) error {
	st, err := s.store.StreamLayout(ctx, name)
	if err != nil {
		return err
	}
	load := s.store.SegmentLoad(name)
	cur := st.Layout.Current().Segments
	r := s.rates[name]
	if r.Segments == nil {
		r.Segments = map[string]meta.SegmentRates{}
	}
	// New segments start from their predecessors' rates; then the sealed
	// ones are forgotten.
	for _, id := range cur {
		if _, ok := r.Segments[id]; !ok {
			r.Segments[id] = prior(&st.Layout, id, r.Segments)
		}
	}
	for id := range r.Segments {
		if !slices.Contains(cur, id) {
			delete(r.Segments, id)
		}
	}
	base := s.base[name]
	if base == nil {
		base = map[string]segment.Load{}
		s.base[name] = base
	}
	prev, had := s.last[name]
	dt := now.Sub(prev)
	for _, id := range cur {
		ld := load[id]
		b := base[id] // zero for a segment made since the last sample
		if had && dt > 0 {
			if ld.Points >= b.Points && ld.Bytes >= b.Bytes {
				sr := r.Segments[id]
				s.rules.windows.sample(&sr, segment.Load{Points: ld.Points - b.Points, Bytes: ld.Bytes - b.Bytes}, dt)
				r.Segments[id] = sr
			}
		}
		base[id] = ld
	}
	for id := range base {
		if !slices.Contains(cur, id) {
			delete(base, id)
		}
	}
	s.last[name] = now
	r.At = now.UnixNano()
	s.rates[name] = r

	d, ok := s.rules.decide(&st, r.Segments, now)
	if !ok {
		return nil
	}
	if d.split != "" {
		next, err := s.store.SplitSegment(ctx, name, d.split, d.parts, d.why)
		if err != nil {
			return fmt.Errorf("cannot split segment %s: %w", d.split, err)
		}
		s.log.Info("split a hot segment", "stream", name, "segment", d.split, "parts", d.parts, "epoch", next.Layout.Current().Number,
			"by", d.why.By, "window", d.why.Window, "rate", d.why.Rate, "target", d.why.Target)
		return nil
	}
	next, err := s.store.MergeSegments(ctx, name, d.merge, d.why)
	if err != nil {
		return fmt.Errorf("cannot merge segments %v: %w", d.merge, err)
	}
	s.log.Info("merged cold segments", "stream", name, "segments", d.merge, "epoch", next.Layout.Current().Number,
		"by", d.why.By, "window", d.why.Window, "rate", d.why.Rate, "target", d.why.Target)
	return nil
}

// Rates returns the scaler's current averages of stream (a copy).
func (s *Scaler) Rates(stream string) meta.Rates {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rates[stream]
	if r.Segments != nil {
		segs := make(map[string]meta.SegmentRates, len(r.Segments))
		for id, sr := range r.Segments {
			segs[id] = sr
		}
		r.Segments = segs
	}
	return r
}
