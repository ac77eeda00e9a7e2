package locallog

import (
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/tributary-iot/tributary/models"
)

// A plan is what one write transaction will do, worked out before anything
// is written: every deletion is a prefix of a bucket (trims, expiry and
// evictions all take the oldest entries) except points found corrupt, and
// every insertion goes at the end. Planning reads the oldest entries of a
// bucket through a cursor as it needs them.

// frontLoad is how many entries a plan reads from a bucket's front at once.
const frontLoad = 256

// maxSweepPerTxn bounds the points one transaction expires per class; a
// longer backlog is swept over several transactions.
const maxSweepPerTxn = 100_000

// frontEntry is one of the oldest entries of a bucket.
type frontEntry struct {
	seq  uint64 // seq (points) or id (dead letters)
	vlen int32
	recv int64 // Received (points); 0 if it does not decode
}

// bucketFront reads a bucket's oldest entries and tracks how many of them
// the plan deletes.
type bucketFront struct {
	b       *bolt.Bucket
	cur     *bolt.Cursor
	entries []frontEntry
	eof     bool
	skip    []uint64 // seqs deleted out of order (never part of the prefix)
	del     int      // entries[:del] are deleted
	delElem int64
	delVal  int64
	points  bool // entries are points (decode Received)
}

// load reads up to frontLoad more entries; it reports whether any came.
func (f *bucketFront) load() bool {
	if f.eof {
		return false
	}
	var k, v []byte
	if f.cur == nil {
		f.cur = f.b.Cursor()
		k, v = f.cur.First()
	} else {
		k, v = f.cur.Next()
	}
	n := 0
	for ; k != nil; k, v = f.cur.Next() {
		seq := getU64(k)
		if slices.Contains(f.skip, seq) {
			continue
		}
		e := frontEntry{seq: seq, vlen: int32(len(v))}
		if f.points {
			_, e.recv, _ = pointTail(v)
		}
		f.entries = append(f.entries, e)
		if n++; n == frontLoad {
			return true
		}
	}
	f.eof = true
	return n > 0
}

// next returns the first entry not yet deleted.
func (f *bucketFront) next() (frontEntry, bool) {
	if f.del == len(f.entries) && !f.load() {
		return frontEntry{}, false
	}
	return f.entries[f.del], true
}

// take marks the next entry deleted.
func (f *bucketFront) take() frontEntry {
	e := f.entries[f.del]
	f.del++
	f.delElem += elemSize(int(e.vlen))
	f.delVal += int64(e.vlen)
	return e
}

// classPlan is what a transaction does to one class.
type classPlan struct {
	front   bucketFront
	dropped [numDropReasons]int64
	synced  int64
	// singles are corrupt points deleted out of order.
	singles     []frontEntry
	appends     []*request
	appendN     int64
	appendBytes int64
	appendElem  int64
	// After apply: the class's oldest point, when it changed.
	firstChanged bool
	newFirst     uint64
	newFirstRecv int64
}

// dlPlan is what a transaction does to the dead letters.
type dlPlan struct {
	front   bucketFront
	adds    []*request // stored, in order
	addElem int64
	total   int64 // dead letters recorded
	dropped int64 // not stored, or removed to make room
	reasons map[string]uint64
}

// plan is one transaction's worth of work.
type plan struct {
	l         *Log
	have      int64 // pages free now or once readers let go, plus growth
	cls       [models.NumPriorities]classPlan
	dl        dlPlan
	order     []*request // admitted appends and dead letters, in order
	sweepMore bool
}

func (l *Log) newPlan(tx *bolt.Tx, have int64) *plan {
	p := &plan{l: l, have: have, dl: dlPlan{reasons: map[string]uint64{}}}
	points := tx.Bucket(bktPoints)
	for c := range p.cls {
		p.cls[c].front = bucketFront{b: points.Bucket(classBucket(models.Priority(c))), points: true}
	}
	p.dl.front = bucketFront{b: tx.Bucket(bktMeta).Bucket(bktDeadLetters)}
	return p
}

// build plans batch: trims, corrupt points and expiry first (they free
// room), then appends and dead letters in arrival order.
func (p *plan) build(batch []*request) {
	for _, r := range batch {
		r.accepted = false
	}
	for _, r := range batch {
		switch r.op {
		case opDropCorrupt:
			p.dropCorrupt(r)
		}
	}
	for _, r := range batch {
		switch r.op {
		case opTrim:
			p.trim(r)
		case opSweep:
			p.sweep()
		}
	}
	for _, r := range batch {
		switch r.op {
		case opAppend:
			r.accepted = p.admit(r)
		case opDeadLetter:
			p.addDeadLetter(r)
		}
	}
}

func (p *plan) dropCorrupt(r *request) {
	cp := &p.cls[r.class]
	v := cp.front.b.Get(u64(r.seq))
	if v == nil || slices.Contains(cp.front.skip, r.seq) {
		return
	}
	cp.front.skip = append(cp.front.skip, r.seq)
	cp.singles = append(cp.singles, frontEntry{seq: r.seq, vlen: int32(len(v))})
	cp.dropped[DropCorrupt]++
}

func (p *plan) trim(r *request) {
	cp := &p.cls[r.class]
	for {
		e, ok := cp.front.next()
		if !ok || e.seq > r.upto {
			return
		}
		cp.front.take()
		cp.synced++
	}
}

func (p *plan) sweep() {
	now := p.l.now().UnixNano()
	for c := range p.cls {
		ttl := p.l.opts.TTL[c]
		if ttl <= 0 {
			continue
		}
		cp := &p.cls[c]
		cutoff := now - ttl.Nanoseconds()
		for n := 0; ; n++ {
			e, ok := cp.front.next()
			if !ok || e.recv >= cutoff {
				break
			}
			if n == maxSweepPerTxn {
				p.sweepMore = true
				break
			}
			cp.front.take()
			cp.dropped[DropExpired]++
		}
	}
}

// heldElem is the element bytes class c holds before the transaction.
func (p *plan) heldElem(c int) int64 {
	cs := &p.l.cs.classes[c]
	return cs.bytes + cs.count*elemOverhead
}

// need bounds the pages the transaction allocates.
func (p *plan) need() int64 {
	g := &p.l.geo
	n := int64(basePages)
	for c := range p.cls {
		cp := &p.cls[c]
		n += g.pages(bucketWork{
			elem:       p.heldElem(c),
			appendElem: cp.appendElem,
			deletes:    cp.front.del > 0 || len(cp.singles) > 0,
		})
	}
	return n + g.pages(bucketWork{
		elem:       p.l.cs.dlElem,
		appendElem: p.dl.addElem,
		deletes:    p.dl.front.del > 0,
	})
}

// freed bounds from below the pages the transaction frees.
func (p *plan) freed() int64 {
	g := &p.l.geo
	var n int64
	for c := range p.cls {
		n += g.freedPages(p.cls[c].front.delElem)
	}
	return n + g.freedPages(p.dl.front.delElem)
}

// deficit is how many pages short of the reserve the transaction would
// leave the file (<= 0: none).
func (p *plan) deficit() int64 {
	return p.l.geo.reserve - (p.have - p.need() + p.freed())
}

// planMark records the parts of a plan that admitting one request changes,
// so a rejected request leaves no trace.
type planMark struct {
	del     [models.NumPriorities]int
	delElem [models.NumPriorities]int64
	delVal  [models.NumPriorities]int64
	evicted [models.NumPriorities]int64
	dlDel   int
	dlElem  int64
	dlVal   int64
	dlDrop  int64
}

func (p *plan) mark() planMark {
	var m planMark
	for c := range p.cls {
		f := &p.cls[c].front
		m.del[c], m.delElem[c], m.delVal[c], m.evicted[c] = f.del, f.delElem, f.delVal, p.cls[c].dropped[DropEvicted]
	}
	m.dlDel, m.dlElem, m.dlVal, m.dlDrop = p.dl.front.del, p.dl.front.delElem, p.dl.front.delVal, p.dl.dropped
	return m
}

func (p *plan) reset(m planMark) {
	for c := range p.cls {
		f := &p.cls[c].front
		f.del, f.delElem, f.delVal, p.cls[c].dropped[DropEvicted] = m.del[c], m.delElem[c], m.delVal[c], m.evicted[c]
	}
	p.dl.front.del, p.dl.front.delElem, p.dl.front.delVal, p.dl.dropped = m.dlDel, m.dlElem, m.dlVal, m.dlDrop
}

// admit plans an append, evicting by policy until the reserve holds; it
// reports whether the points are admitted.
func (p *plan) admit(r *request) bool {
	m := p.mark()
	cp := &p.cls[r.class]
	cp.appendElem += r.elem
	if p.makeRoom(int(r.class), p.l.opts.WhenFull == RejectNew, false) {
		cp.appends = append(cp.appends, r)
		cp.appendN += int64(len(r.pts))
		cp.appendBytes += r.bytes
		p.order = append(p.order, r)
		return true
	}
	cp.appendElem -= r.elem
	p.reset(m)
	cp.dropped[DropRejected] += int64(len(r.pts))
	return false
}

// makeRoom evicts the oldest entries of the classes from the lowest up to
// class (excluded when strict), and first the oldest dead letters when
// dlFirst, until the reserve holds. It reports success.
func (p *plan) makeRoom(class int, strict, dlFirst bool) bool {
	psize := p.l.geo.psize
	for {
		deficit := p.deficit()
		if deficit <= 0 {
			return true
		}
		f, reason := p.victim(class, strict, dlFirst)
		if f == nil {
			return false
		}
		// Evict until this bucket alone frees deficit more pages; the
		// loop re-checks, since starting deletions adds to need.
		goal := (p.l.geo.freedPages(f.delElem) + deficit + 1) * psize
		for f.delElem < goal {
			if _, ok := f.next(); !ok {
				break
			}
			f.take()
			*reason++
		}
	}
}

// victim returns the front to evict from next and the counter to charge.
func (p *plan) victim(class int, strict, dlFirst bool) (*bucketFront, *int64) {
	if dlFirst {
		if _, ok := p.dl.front.next(); ok {
			return &p.dl.front, &p.dl.dropped
		}
	}
	for c := 0; c < class || (c == class && !strict); c++ {
		f := &p.cls[c].front
		if _, ok := f.next(); ok {
			return f, &p.cls[c].dropped[DropEvicted]
		}
	}
	return nil, nil
}

// addDeadLetter plans a dead letter: counted always, stored if the
// dead-letter caps and the disk allow (removing older dead letters first).
func (p *plan) addDeadLetter(r *request) {
	d := &p.dl
	d.total++
	reason := r.reason
	if _, ok := p.l.cs.dlReasons[reason]; !ok && d.reasons[reason] == 0 &&
		len(p.l.cs.dlReasons)+len(d.reasons) >= maxDLReasons {
		reason = dlOtherReason
	}
	d.reasons[reason]++
	maxN, maxElem := int64(p.l.opts.MaxDeadLetters), p.l.geo.dlBytes
	if maxN == 0 || r.elem > maxElem {
		d.dropped++
		return
	}
	// Keep within the count and byte caps, oldest first: stored ones,
	// then ones added earlier in this transaction.
	for {
		n := p.l.cs.dlStored - int64(d.front.del) + int64(len(d.adds)) + 1
		e := p.l.cs.dlElem - d.front.delElem + d.addElem + r.elem
		if n <= maxN && e <= maxElem {
			break
		}
		if _, ok := d.front.next(); ok {
			d.front.take()
		} else {
			old := d.adds[0]
			d.addElem -= old.elem
			d.adds = slices.Delete(d.adds, 0, 1)
			p.order = slices.DeleteFunc(p.order, func(r *request) bool { return r == old })
			old.accepted = false
		}
		d.dropped++
	}
	m := p.mark()
	d.addElem += r.elem
	if p.makeRoom(int(models.PriorityLow), p.l.opts.WhenFull == RejectNew, true) {
		d.adds = append(d.adds, r)
		p.order = append(p.order, r)
		r.accepted = true
		return
	}
	d.addElem -= r.elem
	p.reset(m)
	d.dropped++
}

// appended is the number of points the plan appends.
func (p *plan) appended() int64 {
	var n int64
	for c := range p.cls {
		n += p.cls[c].appendN
	}
	return n
}

// empty reports whether the plan changes nothing.
func (p *plan) empty() bool {
	for c := range p.cls {
		cp := &p.cls[c]
		if cp.front.del > 0 || len(cp.singles) > 0 || len(cp.appends) > 0 || cp.dropped[DropRejected] > 0 {
			return false
		}
	}
	return p.dl.front.del == 0 && len(p.dl.adds) == 0 && p.dl.total == 0
}
