package locallog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/tributary-iot/tributary/models"
)

// Open opens (or creates) the log at opts.Path and starts its committer.
//
// A file that fails to open or fails the consistency check (CheckFile, then
// the bucket layout) is moved to Path+".corrupt-<UTC time>" and a fresh log
// takes its place; Stats().Recovered says so and the event is logged at
// Error. Open fails only for bad options, a cap too small to work
// (ErrMaxBytesTooSmall), a lock held by another process (ErrLocked) or I/O
// errors.
func Open(ctx context.Context, opts Options) (*Log, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(opts.Path), 0o755); err != nil {
		return nil, fmt.Errorf("open local log: %w", err)
	}
	o := &opener{opts: opts}
	l, err := o.open()
	if err != nil {
		return nil, fmt.Errorf("open local log %s: %w", opts.Path, err)
	}
	return l, nil
}

// opener carries Open's state.
type opener struct {
	opts Options
	rec  *Recovery
	scan scan
	db   *bolt.DB // open for writing, once it is
}

func (o *opener) open() (*Log, error) {
	if _, err := newGeometry(pageSize, o.opts.MaxBytes); err != nil {
		return nil, err
	}
	reason, err := o.check()
	if err != nil {
		return nil, err
	}
	if reason != "" {
		if err := o.moveAside(reason); err != nil {
			return nil, err
		}
	}
	l, err := o.openAndLoad()
	if err != nil && o.rec == nil && isCorrupt(err) {
		o.closeDB()
		if err := o.moveAside(err.Error()); err != nil {
			return nil, err
		}
		l, err = o.openAndLoad()
	}
	if err != nil {
		o.closeDB()
		return nil, err
	}
	return l, nil
}

func (o *opener) openAndLoad() (*Log, error) {
	db, err := o.openBolt()
	if err != nil {
		return nil, err
	}
	o.db = db
	return o.load()
}

// closeDB closes the file the opener has open, if any.
func (o *opener) closeDB() {
	if o.db != nil {
		_ = o.db.Close()
		o.db = nil
	}
}

// isCorrupt reports whether err says the file is unusable (as opposed to
// locked or unreadable for reasons of the system).
func isCorrupt(err error) bool {
	var ce *CorruptionError
	return errors.As(err, &ce)
}

// check examines an existing file under a shared lock. It returns the
// reason the file is unusable, or "" if it is missing or passed.
func (o *opener) check() (reason string, err error) {
	fi, err := os.Stat(o.opts.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", o.opts.Path)
	}
	if fi.Size() == 0 {
		return "empty file", nil
	}
	// A read-only bbolt open takes the shared lock (so no other process is
	// writing while we look) and validates the meta pages; it reads no
	// other page.
	db, err := o.boltOpen(true)
	if err != nil {
		switch {
		case errors.Is(err, ErrLocked), errors.Is(err, fs.ErrPermission), errors.Is(err, fs.ErrNotExist):
			return "", err
		}
		return err.Error(), nil
	}
	defer db.Close()
	f, err := os.Open(o.opts.Path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	psize, err := checkFile(f, fi.Size(), o.scan.visit)
	if err != nil {
		if isCorrupt(err) {
			return err.Error(), nil
		}
		return "", fmt.Errorf("check: %w", err)
	}
	if _, err := newGeometry(psize, o.opts.MaxBytes); err != nil {
		return fmt.Sprintf("page size %d unusable: %v", psize, err), nil
	}
	return "", nil
}

// openBolt opens the file for writing; panics and faults inside bbolt
// become a *CorruptionError.
func (o *opener) openBolt() (*bolt.DB, error) {
	return o.boltOpen(false)
}

func (o *opener) boltOpen(readOnly bool) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, corruptf(-1, "bbolt panicked: %v", r)
		}
	}()
	db, err = bolt.Open(o.opts.Path, 0o600, &bolt.Options{
		Timeout:        o.opts.LockTimeout,
		ReadOnly:       readOnly,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistArrayType,
		PageSize:       pageSize,
		MaxSize:        int(o.opts.MaxBytes),
		NoSync:         o.opts.NoSync,
	})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%w (waited %s)", ErrLocked, o.opts.LockTimeout)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	return nil, corruptf(-1, "bbolt: %v", err)
}

// moveAside renames the damaged file out of the way.
func (o *opener) moveAside(reason string) error {
	now := o.opts.Now().UTC()
	base := o.opts.Path + ".corrupt-" + now.Format("20060102T150405Z")
	dst := base
	for i := 1; ; i++ {
		if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
			break
		}
		dst = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(o.opts.Path, dst); err != nil {
		return fmt.Errorf("move damaged log aside: %w", err)
	}
	if err := syncDir(filepath.Dir(o.opts.Path)); err != nil {
		return fmt.Errorf("move damaged log aside: %w", err)
	}
	o.rec = &Recovery{MovedTo: dst, Reason: reason, At: now}
	o.scan = scan{}
	o.opts.Logger.Error("local log damaged: moved aside, starting a fresh log",
		"path", o.opts.Path, "moved_to", dst, "reason", reason)
	return nil
}

// scan collects, during CheckFile's walk, what Open needs to know about
// the data: counts and bounds per class and of the dead letters.
type scan struct {
	seen    bool // some element was visited
	classes [models.NumPriorities]classScan
	dlCount int64
	dlElem  int64
	maxDL   uint64
	badKey  string // first malformed key found, if any
}

type classScan struct {
	count, bytes    int64
	first, last     uint64
	firstRecv       int64
	firstRecvFailed bool
}

func (s *scan) visit(path [][]byte, key, value []byte) {
	s.seen = true
	switch {
	case len(path) == 2 && bytes.Equal(path[0], bktPoints):
		for c := range models.NumPriorities {
			if !bytes.Equal(path[1], classBucket(models.Priority(c))) {
				continue
			}
			if len(key) != 8 {
				s.setBad(path, key)
				return
			}
			seq := getU64(key)
			cs := &s.classes[c]
			if cs.count == 0 {
				cs.first = seq
				_, recv, err := pointTail(value)
				cs.firstRecv, cs.firstRecvFailed = recv, err != nil
			}
			cs.count++
			cs.bytes += int64(len(value))
			cs.last = seq
			return
		}
	case len(path) == 2 && bytes.Equal(path[0], bktMeta) && bytes.Equal(path[1], bktDeadLetters):
		if len(key) != 8 {
			s.setBad(path, key)
			return
		}
		s.dlCount++
		s.dlElem += elemSize(len(value))
		s.maxDL = max(s.maxDL, getU64(key))
	}
}

func (s *scan) setBad(path [][]byte, key []byte) {
	if s.badKey == "" {
		s.badKey = fmt.Sprintf("bucket %s has a %d-byte key", bytes.Join(path, []byte("/")), len(key))
	}
}

// load sets up or reads the layout and returns the running Log.
func (o *opener) load() (*Log, error) {
	db := o.db
	psize := db.Info().PageSize
	geo, err := newGeometry(psize, o.opts.MaxBytes)
	if err != nil {
		return nil, corruptf(-1, "page size %d: %v", psize, err)
	}
	db.AllocSize = geo.allocSize
	if o.scan.badKey != "" {
		return nil, corruptf(-1, "%s", o.scan.badKey)
	}
	st := state{dlReasons: map[string]uint64{}}
	fresh := false
	err = db.Update(func(tx *bolt.Tx) error {
		var err error
		fresh, err = o.layout(tx, &st)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !fresh {
		if err := o.shrinkIfNeeded(geo, &st); err != nil {
			return nil, err
		}
	}
	lease, leaseOK, err := readLease(o.opts.Path + ".seq")
	if err != nil {
		return nil, err
	}
	if !leaseOK {
		o.opts.Logger.Warn("sequence lease missing or unreadable: starting seqs from the clock",
			"path", o.opts.Path+".seq")
	}
	st.nextSeq = seqStart(st.nextSeq, fresh, lease, leaseOK, o.opts.Now().UnixMicro())
	st.leaseCeil = lease
	if !leaseOK || st.leaseCeil <= st.nextSeq {
		st.leaseCeil = st.nextSeq + leaseBlock
		if err := writeLease(o.opts.Path+".seq", st.leaseCeil); err != nil {
			return nil, err
		}
	}
	return newLog(o.opts, geo, o.db, st, o.rec)
}

// layout creates the buckets of a new file, or reads the meta of an
// existing one into st and checks it against the scan. It reports whether
// the log is new.
func (o *opener) layout(tx *bolt.Tx, st *state) (fresh bool, err error) {
	meta, points := tx.Bucket(bktMeta), tx.Bucket(bktPoints)
	if meta == nil && points == nil {
		var other []byte
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			other = name
			return nil
		})
		if other != nil || o.scan.seen {
			return false, corruptf(-1, "not a local log: unknown bucket %q", other)
		}
		return true, o.create(tx, st)
	}
	if meta == nil || points == nil {
		return false, corruptf(-1, "bucket meta or points missing")
	}
	if v := getU64(meta.Get(keyVersion)); v != formatVersion {
		return false, corruptf(-1, "format version %d, want %d", v, formatVersion)
	}
	dls, reasons := meta.Bucket(bktDeadLetters), meta.Bucket(bktDLReasons)
	if dls == nil || reasons == nil {
		return false, corruptf(-1, "dead-letter buckets missing")
	}
	st.created = time.Unix(0, int64(getU64(meta.Get(keyCreated))))
	st.nextSeq = getU64(meta.Get(keyNextSeq))
	st.nextDL = max(getU64(meta.Get(keyNextDL)), o.scan.maxDL+1)
	st.dlTotal = getU64(meta.Get(keyDLTotal))
	st.dlDropped = getU64(meta.Get(keyDLDrop))
	st.dlStored, st.dlElem = o.scan.dlCount, o.scan.dlElem
	_ = reasons.ForEach(func(k, v []byte) error {
		st.dlReasons[string(k)] = getU64(v)
		return nil
	})
	for c := range models.NumPriorities {
		class := models.Priority(c)
		if points.Bucket(classBucket(class)) == nil {
			return false, corruptf(-1, "bucket points/%s missing", class)
		}
		keys := newCounterKeys(class)
		cs, sc := &st.classes[c], &o.scan.classes[c]
		cs.ctr.appended = getU64(meta.Get(keys.appended))
		cs.ctr.synced = getU64(meta.Get(keys.synced))
		for r := range numDropReasons {
			cs.ctr.dropped[r] = getU64(meta.Get(keys.dropped[r]))
		}
		cs.count, cs.bytes, cs.firstSeq, cs.lastSeq, cs.firstRecv = sc.count, sc.bytes, sc.first, sc.last, sc.firstRecv
		if sc.count > 0 && sc.last >= st.nextSeq {
			o.opts.Logger.Warn("local log holds seqs at or past its next seq; moving next seq up",
				"class", class, "last_seq", sc.last, "next_seq", st.nextSeq)
			st.nextSeq = sc.last + 1
		}
		if sc.firstRecvFailed {
			o.opts.Logger.Error("oldest point of class does not decode", "class", class, "seq", sc.first)
		}
	}
	return false, nil
}

// create makes the buckets and meta of a new log.
func (o *opener) create(tx *bolt.Tx, st *state) error {
	meta, err := createBuckets(tx)
	if err != nil {
		return err
	}
	st.created = o.opts.Now()
	st.nextDL = 1
	return putMeta(meta, st)
}

// createBuckets makes the buckets of a new log and returns meta.
func createBuckets(tx *bolt.Tx) (*bolt.Bucket, error) {
	meta, err := tx.CreateBucket(bktMeta)
	if err != nil {
		return nil, err
	}
	if _, err := meta.CreateBucket(bktDeadLetters); err != nil {
		return nil, err
	}
	if _, err := meta.CreateBucket(bktDLReasons); err != nil {
		return nil, err
	}
	points, err := tx.CreateBucket(bktPoints)
	if err != nil {
		return nil, err
	}
	for c := range models.NumPriorities {
		if _, err := points.CreateBucket(classBucket(models.Priority(c))); err != nil {
			return nil, err
		}
	}
	return meta, nil
}

// putMeta writes st's scalars, counters and dead-letter reason counts to
// the meta bucket.
func putMeta(meta *bolt.Bucket, st *state) error {
	puts := [][2][]byte{
		{keyVersion, u64(formatVersion)},
		{keyCreated, u64(uint64(st.created.UnixNano()))},
		{keyNextSeq, u64(st.nextSeq)},
		{keyNextDL, u64(st.nextDL)},
		{keyDLTotal, u64(st.dlTotal)},
		{keyDLDrop, u64(st.dlDropped)},
	}
	for c := range models.NumPriorities {
		k, ctr := newCounterKeys(models.Priority(c)), &st.classes[c].ctr
		puts = append(puts, [2][]byte{k.appended, u64(ctr.appended)}, [2][]byte{k.synced, u64(ctr.synced)})
		for r := range numDropReasons {
			puts = append(puts, [2][]byte{k.dropped[r], u64(ctr.dropped[r])})
		}
	}
	for _, kv := range puts {
		if err := meta.Put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	reasons := meta.Bucket(bktDLReasons)
	for r, n := range st.dlReasons {
		if err := put2(reasons, r, n); err != nil {
			return err
		}
	}
	return nil
}
