package store

import (
	"context"
	"time"
)

// Run tiers by age (Options.TierAfter) and applies retention every
// Options.Interval until ctx is done; it then returns nil. Failures are
// logged and counted, and the next round tries again.
func (s *Store) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		s.round(ctx, time.Now())
	}
}

func (s *Store) interval() time.Duration {
	if s.opts.Interval > 0 {
		return s.opts.Interval
	}
	if s.opts.TierAfter == 0 {
		return time.Minute
	}
	return min(max(s.opts.TierAfter/4, time.Second), time.Minute)
}

// round runs one round of tiering by age and retention.
func (s *Store) round(ctx context.Context, now time.Time) {
	if s.opts.TierAfter > 0 {
		names, err := s.Streams()
		if err != nil {
			s.log.Error("cannot list streams for tiering", "err", err)
		}
		for _, name := range names {
			r, err := s.Tier(ctx, name, TierOptions{Before: now.Add(-s.opts.TierAfter)})
			if err != nil && ctx.Err() == nil {
				s.log.Error("tiering failed", "stream", name, "err", err)
			}
			if r.Chunks > 0 {
				s.log.Info("tiered", "stream", name, "chunks", r.Chunks, "points", r.Points, "bytes", r.Bytes)
			}
		}
	}
	if n, err := s.ApplyRetention(ctx, now); err != nil && ctx.Err() == nil {
		s.log.Error("retention failed", "err", err)
	} else if n > 0 {
		s.log.Info("retention removed chunks", "chunks", n)
	}
}
