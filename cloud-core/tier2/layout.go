package tier2

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-iot/tributary/models"
)

// ChunkExt is the file name extension of every chunk. Nothing else in a
// store's tree ends in it: temporary files end in ".tmp" (see PartialPrefix).
const ChunkExt = ".parquet"

// PartialPrefix starts the base name of a file that a write in progress (or
// an interrupted one) is producing. Such files also end in ".tmp", so a glob
// of "*.parquet" never sees them, and Hive-style readers (Spark, pyarrow
// datasets) skip them as hidden files too.
const PartialPrefix = ".tmp-"

const partialSuffix = ".tmp"

// ChunkSpec names the tier-1 range a chunk holds.
type ChunkSpec struct {
	// Stream is the stream id (models.ValidateID rules).
	Stream string
	// Segment is the segment id: 1 to 128 letters, digits, '-', '_' or '.',
	// not starting with '.'.
	Segment string
	// FirstPos and LastPos are the first and last tier-1 positions (message
	// numbers in the segment) the chunk's points came from, inclusive.
	FirstPos, LastPos uint64
	// Positions, when not nil, holds for each point given to Write (same
	// index) the tier-1 position it came from, within [FirstPos, LastPos].
	// The chunk then has a "pos" column, and a read can start at any
	// position inside it (Filter.FromPos).
	Positions []uint64
}

// Validate reports whether s can name a chunk; errors wrap ErrBadSpec.
func (s ChunkSpec) Validate() error {
	if err := models.ValidateID("stream", s.Stream); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSpec, err)
	}
	if err := validateSegment(s.Segment); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSpec, err)
	}
	if s.FirstPos > s.LastPos {
		return fmt.Errorf("%w: first position %d after last %d", ErrBadSpec, s.FirstPos, s.LastPos)
	}
	return nil
}

func validateSegment(s string) error {
	if s == "" || len(s) > models.MaxIDLen || s[0] == '.' {
		return fmt.Errorf("segment id %q: want 1 to %d bytes, not starting with '.'", s, models.MaxIDLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			continue
		}
		return fmt.Errorf("segment id %q has %q (allowed: letters, digits, '-', '_', '.')", s, c)
	}
	return nil
}

// ChunkPath returns the path, relative to a store's root, of the chunk that
// holds spec's range and whose earliest point is at minTime (Unix ns):
//
//	stream=<stream>/date=<YYYY-MM-DD>/seg-<segment>-<firstpos>-<lastpos>.parquet
//
// The date is minTime's UTC day. The same range always gets the same path,
// so writing a range again (a retry after a crash) replaces the file.
func ChunkPath(spec ChunkSpec, minTime int64) string {
	day := time.Unix(0, minTime).UTC().Format(time.DateOnly)
	var b strings.Builder
	b.Grow(len(spec.Stream) + len(spec.Segment) + 70)
	b.WriteString("stream=")
	b.WriteString(spec.Stream)
	b.WriteString("/date=")
	b.WriteString(day)
	b.WriteString("/seg-")
	b.WriteString(spec.Segment)
	b.WriteByte('-')
	b.WriteString(strconv.FormatUint(spec.FirstPos, 10))
	b.WriteByte('-')
	b.WriteString(strconv.FormatUint(spec.LastPos, 10))
	b.WriteString(ChunkExt)
	return b.String()
}

// checkChunkPath validates a chunk path given by a caller.
func checkChunkPath(p string) error {
	if !fs.ValidPath(p) || p == "." || !strings.HasSuffix(p, ChunkExt) || isPartial(p) {
		return fmt.Errorf("%w: %q", ErrBadPath, p)
	}
	return nil
}

// isPartial reports whether the file at slash-separated path p is a
// temporary file of a write.
func isPartial(p string) bool {
	base := path.Base(p)
	return strings.HasPrefix(base, PartialPrefix) && strings.HasSuffix(base, partialSuffix)
}

// isChunkName reports whether p has the shape of a path ChunkPath returns.
func isChunkName(p string) bool {
	parts := strings.Split(p, "/")
	return len(parts) == 3 &&
		strings.HasPrefix(parts[0], "stream=") &&
		strings.HasPrefix(parts[1], "date=") &&
		strings.HasPrefix(parts[2], "seg-") && strings.HasSuffix(parts[2], ChunkExt)
}
