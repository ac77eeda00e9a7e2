package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tributary-iot/tributary/bench/cloudapi"
	"github.com/tributary-iot/tributary/bench/rawlog"
)

// storageAndReads measures what the stream costs in tier 1, then reads it
// back as NDJSON, tiers it, measures tier 2, and reads it back again
// (whole, and through /splits when the server serves it).
func (s *state) storageAndReads(ctx context.Context) error {
	p := &s.r.Pipeline
	info, err := s.api.Stream(ctx, Stream)
	if err != nil {
		return err
	}
	p.Tier1Bytes, p.Tier1Messages = info.Tier1Bytes, info.Tier1Messages

	r1, err := s.api.ReadEvents(ctx, Stream)
	if err != nil {
		return fmt.Errorf("read tier 1: %w", err)
	}
	if r1.Points != p.MaxPoints {
		return fmt.Errorf("read tier 1: %d points, want %d", r1.Points, p.MaxPoints)
	}
	p.ReadTier1PerS = r1.PointsPerSecond()

	t0 := time.Now()
	if _, err := s.api.Tier(ctx, Stream); err != nil {
		return err
	}
	p.TierSeconds = time.Since(t0).Seconds()
	if info, err = s.api.Stream(ctx, Stream); err != nil {
		return err
	}
	p.Tier2Points = info.Tier2Points
	if p.Tier2Points != p.MaxPoints {
		s.note("tiering moved %d of %d points to tier 2; tier-2 bytes per point are over the points moved", p.Tier2Points, p.MaxPoints)
	}
	if p.Tier2DirBytes, err = rawlog.DirBytes(s.tier2Dir); err != nil {
		return err
	}

	r2, err := s.api.ReadEvents(ctx, Stream)
	if err != nil {
		return fmt.Errorf("read tier 2: %w", err)
	}
	if r2.Points != p.MaxPoints {
		return fmt.Errorf("read tier 2: %d points, want %d", r2.Points, p.MaxPoints)
	}
	p.ReadTier2PerS = r2.PointsPerSecond()

	toks, err := s.api.Splits(ctx, Stream)
	switch {
	case errors.Is(err, cloudapi.ErrNotServed):
		s.splitsSkip = "cloud-core serves no /v1/streams/{s}/splits yet"
		return nil
	case err != nil:
		s.splitsSkip = "splits: " + err.Error()
		s.note("splits read skipped: %v", err)
		return nil
	}
	rs, err := s.api.ReadSplits(ctx, toks, cores())
	if err != nil {
		s.splitsSkip = "reading splits failed: " + err.Error()
		s.note("splits read failed: %v", err)
		return nil
	}
	if rs.Points != p.MaxPoints {
		s.note("the %d splits held %d points, the stream %d", len(toks), rs.Points, p.MaxPoints)
	}
	p.Splits, p.ReadSplitsPerS = len(toks), rs.PointsPerSecond()
	return nil
}
