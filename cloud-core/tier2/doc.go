// Package tier2 is the cold tier of the cloud segment store: Parquet chunk
// files that hold the history of each stream segment.
//
// The tiering task hands a sealed range of a tier-1 segment to Store.Write,
// which sorts the points by (device, time, seq) and writes them as one
// Parquet file: written whole to a temporary name, fsynced, renamed into
// place, directory fsynced. Write returns the chunk's ChunkInfo; the chunk
// becomes visible to readers only when the caller records that ChunkInfo
// in its metadata index (guarantee 5: visibility is by index, never by
// directory listing). Store.Read streams a chunk's points back, skipping row
// groups and pages by time and device; Store.Sweep removes what an
// interrupted write or an unindexed chunk left behind.
//
// The files are plain Parquet in a Hive-style layout
// (stream=S/date=YYYY-MM-DD/seg-...parquet) that pandas, DuckDB and Spark
// read directly; docs/tier2-layout.md draws the format. Files live in a
// Bucket: a local directory (DirBucket) now, object storage later.
package tier2
