package tier2

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-iot/tributary/models"
)

// DefaultRowGroupRows is the number of rows per Parquet row group unless
// Options say otherwise: large enough for good compression, small enough
// that parallel readers can split a chunk by row group.
const DefaultRowGroupRows = 128 << 10

// DefaultPageBytes is the uncompressed size of a data page unless Options
// say otherwise.
const DefaultPageBytes = 512 << 10

// Compression is the zstd level chunks are written with.
type Compression uint8

// The compression levels, best (smallest, slowest to write) first. Reading
// speed hardly depends on the level.
const (
	CompressionBest    Compression = iota // zstd's best compression (the default)
	CompressionBetter                     // about zstd level 7
	CompressionDefault                    // about zstd level 3
	CompressionFastest                    // about zstd level 1
)

// String returns "best", "better", "default" or "fastest".
func (c Compression) String() string {
	switch c {
	case CompressionBest:
		return "best"
	case CompressionBetter:
		return "better"
	case CompressionDefault:
		return "default"
	case CompressionFastest:
		return "fastest"
	}
	return fmt.Sprintf("compression(%d)", uint8(c))
}

func (c Compression) level() (zstd.Level, error) {
	switch c {
	case CompressionBest:
		return zstd.SpeedBestCompression, nil
	case CompressionBetter:
		return zstd.SpeedBetterCompression, nil
	case CompressionDefault:
		return zstd.SpeedDefault, nil
	case CompressionFastest:
		return zstd.SpeedFastest, nil
	}
	return 0, fmt.Errorf("unknown tier-2 compression %d", uint8(c))
}

// Options configure a Store.
type Options struct {
	// Root is the directory of a DirBucket holding the chunks; ignored when
	// Bucket is set.
	Root string
	// Bucket holds the chunks; nil means NewDirBucket(Root).
	Bucket Bucket
	// Logger receives debug lines for writes and removals; nil discards.
	Logger *slog.Logger
	// Registerer receives the store's metrics (tributary_tier2_*); nil
	// registers nothing.
	Registerer prometheus.Registerer
	// Compression is the zstd level of new chunks (default best).
	Compression Compression
	// RowGroupRows is the number of rows per row group (default
	// DefaultRowGroupRows).
	RowGroupRows int
	// PageBytes is the uncompressed size at which a data page is cut
	// (default DefaultPageBytes). Smaller pages let filtered reads skip
	// more finely and cost a little size.
	PageBytes int
}

// clockSlack covers the coarseness of file modification times, so that
// Sweep never mistakes a chunk written just after Open for an old one.
const clockSlack = time.Second

// Store is a tier-2 chunk store. It is safe for concurrent use; it keeps no
// index of its own (the caller's metadata store is the index).
type Store struct {
	bucket       Bucket
	log          *slog.Logger
	metrics      *metrics
	codec        parquet.WriterOption
	rowGroupRows int
	pageBytes    int
	// opened is when the Store was opened, less clockSlack: Sweep spares
	// files written after it, which a running writer may not have indexed
	// yet.
	opened time.Time
}

// Open returns a Store over opts.Bucket (or a directory at opts.Root).
func Open(ctx context.Context, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	level, err := opts.Compression.level()
	if err != nil {
		return nil, err
	}
	if opts.RowGroupRows < 0 || opts.RowGroupRows > maxRowGroupRows || opts.PageBytes < 0 || opts.PageBytes > maxPageSize/2 {
		return nil, fmt.Errorf("tier-2 row groups of %d rows (max %d) or pages of %d bytes (max %d)",
			opts.RowGroupRows, maxRowGroupRows, opts.PageBytes, maxPageSize/2)
	}
	s := &Store{
		bucket:       opts.Bucket,
		log:          opts.Logger,
		codec:        parquet.Compression(&zstd.Codec{Level: level}),
		rowGroupRows: cmp.Or(opts.RowGroupRows, DefaultRowGroupRows),
		pageBytes:    cmp.Or(opts.PageBytes, DefaultPageBytes),
		opened:       time.Now().Add(-clockSlack),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.bucket == nil {
		if s.bucket, err = NewDirBucket(opts.Root); err != nil {
			return nil, err
		}
	}
	if s.metrics, err = newMetrics(opts.Registerer); err != nil {
		return nil, err
	}
	return s, nil
}

// Write writes points as one chunk for spec's range and returns its
// description for the caller to index. It sorts the points by (device,
// time, seq) (points is not modified), writes the file under a temporary
// name, fsyncs it, renames it to ChunkPath and fsyncs the directory: when
// Write returns nil, the chunk is whole and durable. Readers find it only
// once the caller has indexed the returned ChunkInfo.
//
// Writing the same spec again replaces the file (same path), which makes a
// retry after a crash between Write and indexing harmless. Point.Stream is
// not stored (Read sets it to spec.Stream). Within a point, a field key
// repeated with the same kind, or a tag key repeated, keeps its first value
// only; docs/tier2-layout.md tells how columns are named and typed.
func (s *Store) Write(ctx context.Context, spec ChunkSpec, points []models.Point) (ChunkInfo, error) {
	if err := spec.Validate(); err != nil {
		return ChunkInfo{}, err
	}
	if len(points) == 0 {
		return ChunkInfo{}, ErrNoPoints
	}
	if len(points) > math.MaxInt32 {
		return ChunkInfo{}, fmt.Errorf("%w: %d points in one chunk", ErrBadSpec, len(points))
	}
	if spec.Positions != nil {
		if len(spec.Positions) != len(points) {
			return ChunkInfo{}, fmt.Errorf("%w: %d positions for %d points", ErrBadSpec, len(spec.Positions), len(points))
		}
		for i, pos := range spec.Positions {
			if pos < spec.FirstPos || pos > spec.LastPos {
				return ChunkInfo{}, fmt.Errorf("%w: point %d: position %d outside [%d,%d]", ErrBadSpec, i, pos, spec.FirstPos, spec.LastPos)
			}
		}
	}
	start := time.Now()
	plan := planChunk(spec, points, s.rowGroupRows)
	info := plan.info
	info.Path = ChunkPath(spec, info.MinTime)
	footer, err := info.footer(plan.groups)
	if err != nil {
		return ChunkInfo{}, fmt.Errorf("cannot encode chunk footer: %w", err)
	}
	size, err := s.bucket.Put(ctx, info.Path, func(w io.Writer) error {
		return newChunkWriter(w, plan, points, spec.Positions, footer, s.codec, s.rowGroupRows, s.pageBytes).write(ctx)
	})
	if err != nil {
		s.metrics.writeErrors.Inc()
		return ChunkInfo{}, fmt.Errorf("cannot write chunk: %w", err)
	}
	info.Bytes = size
	elapsed := time.Since(start)
	s.metrics.chunksWritten.Inc()
	s.metrics.rowsWritten.Add(float64(info.Rows))
	s.metrics.bytesWritten.Add(float64(size))
	s.metrics.writeSeconds.Observe(elapsed.Seconds())
	s.log.Debug("tier-2 chunk written", "path", info.Path, "rows", info.Rows, "bytes", size,
		"fields", len(info.Fields), "duration", elapsed)
	return info, nil
}

// Read calls fn for each point of the chunk at path that f selects, in
// (device, time, seq) order, with fields and tags sorted by key. The point
// passed to fn, its Fields and its Tags are reused between calls: clone it
// (Point.Clone) to keep it. An error from fn stops Read and is returned as
// is.
//
// Read skips row groups by their time and device bounds; with a device
// filter it finds the device's rows in the device column and decodes the
// other columns only from the pages that hold them. It holds one page per
// column in memory, whatever the chunk's size. A chunk that cannot
// be decoded gives a *CorruptionError; a missing one ErrNotFound.
func (s *Store) Read(ctx context.Context, path string, f Filter, fn func(*models.Point) error) error {
	c, err := s.open(ctx, path)
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.prepare(&f, true); err != nil {
		return s.noteCorrupt(err)
	}
	n, err := c.scan(ctx, &f, fn)
	s.metrics.rowsRead.Add(float64(n))
	return s.noteCorrupt(err)
}

// Count returns the number of points of the chunk at path that f selects
// (f.Fields is ignored). Without a time or device filter it reads only the
// footer.
func (s *Store) Count(ctx context.Context, path string, f Filter) (int64, error) {
	unfiltered := f.Start == 0 && f.End == 0 && f.Device == ""
	c, err := s.open(ctx, path)
	if err != nil {
		return 0, err
	}
	defer c.close()
	if unfiltered && !f.inside(&c.info) {
		return c.info.Rows, nil
	}
	if err := c.prepare(&f, false); err != nil {
		return 0, s.noteCorrupt(err)
	}
	n, err := c.scan(ctx, &f, nil)
	return n, s.noteCorrupt(err)
}

// Info reads the description of the chunk at path from its footer: what
// Write returned for it. It serves to rebuild an index from the files.
func (s *Store) Info(ctx context.Context, path string) (ChunkInfo, error) {
	c, err := s.open(ctx, path)
	if err != nil {
		return ChunkInfo{}, err
	}
	defer c.close()
	return c.info, nil
}

func (s *Store) open(ctx context.Context, path string) (*chunkReader, error) {
	c, err := openChunk(ctx, s.bucket, path)
	return c, s.noteCorrupt(err)
}

func (s *Store) noteCorrupt(err error) error {
	var ce *CorruptionError
	if errors.As(err, &ce) {
		s.metrics.corrupt.Inc()
		s.log.Warn("corrupt tier-2 chunk", "path", ce.Path, "err", ce.Err)
	}
	return err
}

// Remove deletes the chunk at path (retention, compaction). The caller
// removes it from its index first, so no reader is sent to a missing
// file. Removing a chunk that is already gone is not an error.
func (s *Store) Remove(ctx context.Context, path string) error {
	if err := checkChunkPath(path); err != nil {
		return err
	}
	if err := s.bucket.Remove(ctx, path); err != nil {
		return err
	}
	s.metrics.chunksRemoved.Inc()
	s.log.Debug("tier-2 chunk removed", "path", path)
	return nil
}

// Sweep removes what interrupted work left in the bucket: temporary files
// of writes that never finished, and chunks that known reports as not
// indexed (written, then a crash before the caller indexed them). It
// returns the names it removed.
//
// Call it at start-up, after the index is loaded. It never removes the
// temporary file of a Write in progress, nor a chunk written after the
// Store was opened (a running writer may not have indexed it yet; the
// next Sweep after a restart gets it), so it is also safe to call later. Files that are neither chunks nor temporary
// files (anything not shaped like ChunkPath) are left alone.
func (s *Store) Sweep(ctx context.Context, known func(path string) bool) ([]string, error) {
	var doomed []string
	err := s.bucket.List(ctx, func(o ObjectInfo) error {
		switch {
		case o.Partial:
			doomed = append(doomed, o.Name)
		case isChunkName(o.Name) && o.ModTime.Before(s.opened) && !known(o.Name):
			doomed = append(doomed, o.Name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list tier-2 files: %w", err)
	}
	removed := doomed[:0:0]
	for _, name := range doomed {
		if err := s.bucket.Remove(ctx, name); err != nil {
			return removed, err
		}
		removed = append(removed, name)
		s.metrics.swept.Inc()
		s.log.Info("tier-2 sweep removed file", "path", name)
	}
	return removed, nil
}
