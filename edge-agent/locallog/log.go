package locallog

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tributary-iot/tributary/models"
)

// Log is the agent's durable local log. Its methods are safe for
// concurrent use. Appends, dead letters, trims and sweeps go through one
// committer goroutine, which merges whatever is queued into one fsync'd
// bbolt transaction (group commit); reads use their own read transactions.
type Log struct {
	opts    Options
	geo     geometry
	db      *bolt.DB
	logger  *slog.Logger
	metrics *metrics
	rec     *Recovery
	keys    [models.NumPriorities]counterKeys

	// gate orders readers against the committer: readers hold it shared
	// for the length of a read transaction; the committer takes it
	// exclusively (briefly, around Begin) when it needs the pages that
	// open readers may still pin.
	gate sync.RWMutex
	// shut is set under gate (exclusively) by Close; readers check it.
	shut bool

	// qmu guards queue and closed.
	qmu    sync.Mutex
	queue  []*request
	closed bool

	wake chan struct{} // cap 1: something was queued
	quit chan struct{} // closed by Close
	done chan struct{} // closed when the committer has exited

	// cs is the committer's own state; only the committer goroutine
	// touches it after Open.
	cs state

	// commitHook, if set, sees each commit's page bound and the pages it
	// allocated (tests check the bound with it).
	commitHook atomic.Pointer[func(need, allocated int64)]

	// bufs recycles the encoding buffers of appends.
	bufs sync.Pool

	// mu guards pub and notify.
	mu sync.Mutex
	// pub is the state as of the last commit, for Stats, Wait and Notify.
	pub state
	// notify is closed (and replaced) when a commit adds points.
	notify chan struct{}
}

// newLog starts the committer for an opened file.
func newLog(opts Options, geo geometry, db *bolt.DB, st state, rec *Recovery) (*Log, error) {
	l := &Log{
		opts:   opts,
		geo:    geo,
		db:     db,
		logger: opts.Logger,
		rec:    rec,
		wake:   make(chan struct{}, 1),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		notify: make(chan struct{}),
		cs:     st,
	}
	for c := range models.NumPriorities {
		l.keys[c] = newCounterKeys(models.Priority(c))
	}
	if fi, err := os.Stat(opts.Path); err == nil {
		l.cs.fileBytes = fi.Size()
	}
	m, err := newMetrics(opts.Registerer, opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	l.metrics = m
	l.pub = l.cs.clone()
	l.metrics.publish(&l.pub)
	if l.cs.fileBytes > opts.MaxBytes {
		l.logger.Warn("local log file is larger than the cap; it cannot shrink, only stop growing",
			"file_bytes", l.cs.fileBytes, "max_bytes", opts.MaxBytes)
	}
	l.logger.Info("local log open", "path", opts.Path, "points", l.pub.stats(0, nil).PointsBuffered,
		"next_seq", l.cs.nextSeq, "file_bytes", l.cs.fileBytes, "max_bytes", opts.MaxBytes,
		"page_size", geo.psize, "reserve_pages", geo.reserve)
	go l.run()
	return l, nil
}

// MaxPointSize is the largest encoded point Append accepts, in bytes.
func (l *Log) MaxPointSize() int { return l.geo.maxValue }

// Stats returns a snapshot of the log's figures, from memory.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pub.stats(l.opts.MaxBytes, l.rec)
}

// Backlog returns the number of points of class held (not yet trimmed).
// It reads one figure from memory: cheap enough for the uplink to call on
// every turn of its loop, unlike Stats, which copies every counter.
func (l *Log) Backlog(class models.Priority) int64 {
	if checkClass(class) != nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pub.classes[class].count
}

// Notify returns a channel that is closed at the next commit that adds
// points to any class, or when the log closes.
func (l *Log) Notify() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.notify
}

// Wait blocks until class holds (or held, since Open) a point with a seq
// above afterSeq, ctx is done, or the log closes (ErrClosed).
func (l *Log) Wait(ctx context.Context, class models.Priority, afterSeq uint64) error {
	if err := checkClass(class); err != nil {
		return err
	}
	for {
		l.mu.Lock()
		last, ch := l.pub.classes[class].lastSeq, l.notify
		l.mu.Unlock()
		if last > afterSeq {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-l.done:
			return ErrClosed
		}
	}
}

// Close stops the committer after it has committed everything queued,
// waits for readers and closes the file. Later calls return ErrClosed.
func (l *Log) Close() error {
	l.qmu.Lock()
	if l.closed {
		l.qmu.Unlock()
		return ErrClosed
	}
	l.closed = true
	l.qmu.Unlock()
	close(l.quit)
	<-l.done
	l.gate.Lock()
	l.shut = true
	err := l.db.Close()
	l.gate.Unlock()
	l.metrics.unregister()
	l.mu.Lock()
	close(l.notify)
	l.notify = make(chan struct{})
	close(l.notify)
	l.mu.Unlock()
	if err != nil {
		return fmt.Errorf("close local log: %w", err)
	}
	l.logger.Info("local log closed", "path", l.opts.Path)
	return nil
}

// view runs fn in a read transaction, unless the log is closed.
func (l *Log) view(fn func(tx *bolt.Tx) error) error {
	l.gate.RLock()
	defer l.gate.RUnlock()
	if l.shut {
		return ErrClosed
	}
	return l.db.View(fn)
}

// checkClass validates a priority class.
func checkClass(c models.Priority) error {
	if int(c) >= models.NumPriorities {
		return fmt.Errorf("%w: %d", ErrBadClass, c)
	}
	return nil
}

// publish makes the committer's state visible and wakes waiters if points
// were added.
func (l *Log) publish(added bool) {
	snap := l.cs.clone()
	l.mu.Lock()
	l.pub = snap
	if added {
		close(l.notify)
		l.notify = make(chan struct{})
	}
	l.mu.Unlock()
	l.metrics.publish(&snap)
}

// now returns the clock's time.
func (l *Log) now() time.Time { return l.opts.Now() }
