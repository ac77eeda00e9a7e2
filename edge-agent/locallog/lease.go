package locallog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
)

// The sequence lease keeps sequence numbers from ever going backwards, even
// when a damaged log is replaced by a fresh one. Before the committer hands
// out a seq at or above the leased ceiling it writes a higher ceiling to
// Path+".seq" (temp file, fsync, rename, fsync dir). Every seq ever handed
// out is therefore below the ceiling on disk, and a fresh log starts at it.
//
// File format (16 bytes): "TSEQ", ceiling (uint64 big-endian), CRC-32C of
// the first 12 bytes (uint32 big-endian).

const (
	leaseMagic = "TSEQ"
	leaseLen   = 16
	// leaseBlock is how many seqs one lease write covers.
	leaseBlock = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errBadLease is returned by decodeLease for bytes that are not a lease.
var errBadLease = errors.New("malformed sequence lease")

// encodeLease returns the lease file bytes for ceiling.
func encodeLease(ceiling uint64) []byte {
	b := make([]byte, leaseLen)
	copy(b, leaseMagic)
	binary.BigEndian.PutUint64(b[4:], ceiling)
	binary.BigEndian.PutUint32(b[12:], crc32.Checksum(b[:12], castagnoli))
	return b
}

// decodeLease parses lease file bytes.
func decodeLease(b []byte) (uint64, error) {
	if len(b) != leaseLen || string(b[:4]) != leaseMagic {
		return 0, errBadLease
	}
	if crc32.Checksum(b[:12], castagnoli) != binary.BigEndian.Uint32(b[12:]) {
		return 0, errBadLease
	}
	return binary.BigEndian.Uint64(b[4:]), nil
}

// readLease returns the ceiling in path and whether the file was there and
// well formed. A missing or malformed file is not an error: the caller
// falls back (see seqStart).
func readLease(path string) (ceiling uint64, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read sequence lease: %w", err)
	}
	c, err := decodeLease(b)
	if err != nil {
		return 0, false, nil
	}
	return c, true, nil
}

// writeLease replaces path atomically with a lease for ceiling.
func writeLease(path string, ceiling uint64) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write sequence lease: %w", err)
	}
	_, err = f.Write(encodeLease(ceiling))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write sequence lease: %w", err)
	}
	return nil
}

// syncDir fsyncs a directory so that a rename in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// seqStart decides the first seq a log hands out after Open.
//
//   - logNext is the log's own next seq (0 for a log that is new or was just
//     replaced); it is above every seq that log ever committed.
//   - lease is the ceiling from the lease file when leaseOK; it is above
//     every seq ever handed out by any log at this path.
//   - clock is the current time in microseconds since the Unix epoch.
//
// With a lease, max(logNext, lease-if-fresh) is exact. Without one (lost or
// damaged), an intact log still knows its own next seq, but a replaced log
// does not know what its predecessor handed out, and a brand-new log may be
// an old agent whose data directory was wiped (the cloud remembers its
// seqs). Then the clock is the best bound there is: seqs advance with the
// clock as long as the agent hands out fewer than one seq per microsecond
// on average (a million points a second), and run ahead of it only when a
// fresh log jumps to a lease ceiling, by at most a lease block each time.
// So without a lease the start is max(logNext, clock + clockSlack), which
// covers clockSlack/leaseBlock such jumps in quick succession. A clock set
// far in the past weakens only this fallback, never the normal path.
func seqStart(logNext uint64, fresh bool, lease uint64, leaseOK bool, clock int64) uint64 {
	next := max(logNext, 1)
	switch {
	case leaseOK && fresh:
		next = max(next, lease)
	case !leaseOK && clock > 0:
		next = max(next, uint64(clock)+clockSlack)
	}
	return next
}

// clockSlack is how far ahead of the clock the fallback starts.
const clockSlack = 16 * leaseBlock
