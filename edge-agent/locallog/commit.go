package locallog

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/tributary-iot/tributary/models"
)

// run is the committer: it takes what is queued, commits it in one
// transaction, and repeats; a timer adds TTL sweeps. On Close it commits
// everything still queued and returns.
func (l *Log) run() {
	defer close(l.done)
	var tick <-chan time.Time
	if l.opts.hasTTL() {
		t := time.NewTicker(l.opts.SweepInterval)
		defer t.Stop()
		tick = t.C
	}
	sweep := false
	for {
		select {
		case <-l.wake:
		case <-tick:
			sweep = true
		case <-l.quit:
			for l.step(false) {
			}
			return
		}
		for l.step(sweep) {
			sweep = false
		}
		sweep = false
	}
}

// step commits one batch; it reports whether there was anything to do.
func (l *Log) step(sweep bool) bool {
	batch := l.take()
	if sweep {
		batch = append(batch, newRequest(opSweep))
	}
	if len(batch) == 0 {
		return false
	}
	more := l.commit(batch)
	if more {
		// Expired points remain: sweep again (via the queue, behind
		// whatever came in meanwhile).
		_ = l.enqueue([]*request{newRequest(opSweep)})
	}
	return true
}

// take removes from the queue the requests of the next transaction: all
// of them, but no more appended bytes than one transaction's budget.
func (l *Log) take() []*request {
	l.qmu.Lock()
	defer l.qmu.Unlock()
	var total int64
	n := 0
	for ; n < len(l.queue); n++ {
		r := l.queue[n]
		if r.elem > 0 {
			if total > 0 && total+r.elem > l.geo.txnBytes {
				break
			}
			total += r.elem
		}
	}
	batch := make([]*request, 0, n)
	for _, r := range l.queue[:n] {
		if r.state.CompareAndSwap(reqQueued, reqTaken) {
			batch = append(batch, r)
		}
	}
	l.queue = slices.Delete(l.queue, 0, n)
	return batch
}

// commit runs batch in one transaction and completes its requests. It
// reports whether a sweep left expired points behind.
func (l *Log) commit(batch []*request) (sweepMore bool) {
	start := time.Now()
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	var npts uint64
	for _, r := range batch {
		npts += uint64(len(r.pts))
	}
	if l.cs.nextSeq+npts >= l.cs.leaseCeil {
		ceil := l.cs.nextSeq + npts + leaseBlock
		if err := writeLease(l.opts.Path+".seq", ceil); err != nil {
			l.fail(batch, err)
			return false
		}
		l.cs.leaseCeil = ceil
	}
	p, err := l.commitTxn(batch, false)
	if errors.Is(err, berrors.ErrMaxSizeReached) {
		// The page bound was wrong (it should never be): commit the
		// deletions alone, which frees pages, then try again.
		l.cs.retries++
		l.logger.Error("BUG: local log transaction refused for lack of room; committing deletions first",
			"file_bytes", l.cs.fileBytes, "max_bytes", l.opts.MaxBytes)
		if _, err = l.commitTxn(batch, true); err == nil {
			p, err = l.commitTxn(batch, false)
		}
	}
	if err != nil {
		l.logger.Error("local log commit failed", "err", err)
		l.fail(batch, fmt.Errorf("commit: %w", err))
		l.publish(false)
		return false
	}
	if p == nil {
		return false
	}
	l.metrics.committed(p, time.Since(start))
	l.publish(p.appended() > 0)
	return p.sweepMore
}

// fail completes batch with err.
func (l *Log) fail(batch []*request, err error) {
	for _, r := range batch {
		r.err = err
	}
}

// commitTxn plans and commits batch; with deletesOnly it applies only the
// deletions. It returns the plan (nil if there was nothing to write).
func (l *Log) commitTxn(batch []*request, deletesOnly bool) (*plan, error) {
	bs := l.db.Stats()
	free, pending := int64(bs.FreePageN), int64(bs.PendingPageN)
	tx, err := l.db.Begin(true)
	if err != nil {
		return nil, err
	}
	hw := tx.Size() / l.geo.psize
	growth := max(0, l.geo.maxHW-hw)
	p := l.newPlan(tx, free+pending+growth)
	p.build(batch)
	if p.empty() {
		_ = tx.Rollback()
		return nil, nil
	}
	if p.need() > free+growth && pending > 0 {
		// The pages freed by the last transactions are needed, and open
		// readers may pin them: begin again once no reader is open.
		_ = tx.Rollback()
		l.gate.Lock()
		tx, err = l.db.Begin(true)
		l.gate.Unlock()
		if err != nil {
			return nil, err
		}
	}
	if err := l.apply(tx, p, deletesOnly); err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	need := p.need()
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if hook := l.commitHook.Load(); hook != nil {
		ts := tx.Stats()
		(*hook)(need, ts.GetPageCount())
	}
	l.cs.commits++
	if fi, err := os.Stat(l.opts.Path); err == nil {
		l.cs.fileBytes = fi.Size()
		if fi.Size() > l.opts.MaxBytes {
			l.logger.Error("BUG: local log file passed its cap", "file_bytes", fi.Size(), "max_bytes", l.opts.MaxBytes)
		}
	}
	l.resolve(p, deletesOnly)
	return p, nil
}

// apply writes the plan into tx.
func (l *Log) apply(tx *bolt.Tx, p *plan, deletesOnly bool) error {
	points, meta := tx.Bucket(bktPoints), tx.Bucket(bktMeta)
	var key [8]byte
	for c := range p.cls {
		cp := &p.cls[c]
		b := points.Bucket(classBucket(models.Priority(c)))
		b.FillPercent = 1.0
		for i := cp.front.del - 1; i >= 0; i-- {
			if err := b.Delete(putKey(&key, cp.front.entries[i].seq)); err != nil {
				return err
			}
		}
		for _, e := range cp.singles {
			if err := b.Delete(putKey(&key, e.seq)); err != nil {
				return err
			}
		}
	}
	dls := meta.Bucket(bktDeadLetters)
	dls.FillPercent = 1.0
	for i := p.dl.front.del - 1; i >= 0; i-- {
		if err := dls.Delete(putKey(&key, p.dl.front.entries[i].seq)); err != nil {
			return err
		}
	}
	next, nextDL := l.cs.nextSeq, l.cs.nextDL
	if !deletesOnly {
		for _, r := range p.order {
			if r.op == opDeadLetter {
				r.dl.ID = nextDL
				if err := dls.Put(putKey(&key, nextDL), r.dlEnc); err != nil {
					return err
				}
				nextDL++
				continue
			}
			b := points.Bucket(classBucket(r.class))
			r.firstSeq = next
			for _, pt := range r.pts {
				putSeq(r.buf[pt.off:], int(pt.seqAt), next)
				if err := b.Put(putKey(&key, next), r.buf[pt.off:pt.end]); err != nil {
					return err
				}
				next++
			}
		}
	}
	return l.applyMeta(meta, points, p, next, nextDL, deletesOnly)
}

// applyMeta writes the counters and next ids, and finds each changed
// class's oldest receive time.
func (l *Log) applyMeta(meta, points *bolt.Bucket, p *plan, next, nextDL uint64, deletesOnly bool) error {
	put := func(k []byte, v uint64) error { return meta.Put(k, u64(v)) }
	if err := put(keyNextSeq, next); err != nil {
		return err
	}
	if err := put(keyNextDL, nextDL); err != nil {
		return err
	}
	for c := range p.cls {
		cp, cs, keys := &p.cls[c], &l.cs.classes[c], &l.keys[c]
		appended := cp.appendN
		if deletesOnly {
			appended = 0
		}
		if err := put(keys.appended, cs.ctr.appended+uint64(appended)); err != nil {
			return err
		}
		if err := put(keys.synced, cs.ctr.synced+uint64(cp.synced)); err != nil {
			return err
		}
		for r := range numDropReasons {
			n := cp.dropped[r]
			if r == DropRejected && deletesOnly {
				n = 0
			}
			if err := put(keys.dropped[r], cs.ctr.dropped[r]+uint64(n)); err != nil {
				return err
			}
		}
		if cp.front.del > 0 || len(cp.singles) > 0 || (cs.count == 0 && appended > 0) {
			cp.firstChanged, cp.newFirst, cp.newFirstRecv = true, 0, 0
			if k, v := points.Bucket(classBucket(models.Priority(c))).Cursor().First(); k != nil {
				cp.newFirst = getU64(k)
				_, cp.newFirstRecv, _ = pointTail(v)
			}
		}
	}
	if deletesOnly {
		return put(keyDLDrop, l.cs.dlDropped+uint64(p.dl.front.del))
	}
	if err := put(keyDLTotal, l.cs.dlTotal+uint64(p.dl.total)); err != nil {
		return err
	}
	if err := put(keyDLDrop, l.cs.dlDropped+uint64(p.dl.dropped)); err != nil {
		return err
	}
	reasons := meta.Bucket(bktDLReasons)
	for r, n := range p.dl.reasons {
		if err := put2(reasons, r, l.cs.dlReasons[r]+n); err != nil {
			return err
		}
	}
	return nil
}

func put2(b *bolt.Bucket, k string, v uint64) error { return b.Put([]byte(k), u64(v)) }

// putKey writes seq into key and returns it as a slice (bbolt copies keys).
func putKey(key *[8]byte, seq uint64) []byte {
	copy(key[:], u64(seq))
	return key[:]
}

// resolve folds a committed plan into the committer's state and sets the
// requests' results.
func (l *Log) resolve(p *plan, deletesOnly bool) {
	cs := &l.cs
	for c := range p.cls {
		cp, st := &p.cls[c], &cs.classes[c]
		st.count -= int64(cp.front.del + len(cp.singles))
		st.bytes -= cp.front.delVal
		for _, e := range cp.singles {
			st.bytes -= int64(e.vlen)
		}
		st.ctr.synced += uint64(cp.synced)
		for r := range numDropReasons {
			if r == DropRejected && deletesOnly {
				continue
			}
			st.ctr.dropped[r] += uint64(cp.dropped[r])
		}
		if !deletesOnly {
			st.count += cp.appendN
			st.bytes += cp.appendBytes
			st.ctr.appended += uint64(cp.appendN)
			if n := len(cp.appends); n > 0 {
				last := cp.appends[n-1]
				st.lastSeq = last.firstSeq + uint64(len(last.pts)) - 1
			}
		}
		if cp.firstChanged {
			st.firstSeq, st.firstRecv = cp.newFirst, cp.newFirstRecv
		}
	}
	cs.dlStored -= int64(p.dl.front.del)
	cs.dlElem -= p.dl.front.delElem
	if deletesOnly {
		cs.dlDropped += uint64(p.dl.front.del)
		return
	}
	cs.dlStored += int64(len(p.dl.adds))
	cs.dlElem += p.dl.addElem
	cs.dlTotal += uint64(p.dl.total)
	cs.dlDropped += uint64(p.dl.dropped)
	for r, n := range p.dl.reasons {
		cs.dlReasons[r] += n
	}
	for _, r := range p.order {
		if r.op == opDeadLetter {
			cs.nextDL = r.dl.ID + 1
		} else {
			cs.nextSeq = r.firstSeq + uint64(len(r.pts))
		}
	}
}
