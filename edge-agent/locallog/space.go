package locallog

import (
	"fmt"
)

// Disk accounting. FORMAT.md explains it in prose; in short:
//
//  1. bbolt's own Options.MaxSize is set to MaxBytes: bbolt refuses (with
//     ErrMaxSizeReached, rolling the transaction back) any allocation that
//     would grow the file past it. The file therefore never passes the cap;
//     everything below is about never running into that wall.
//
//  2. Every b+tree node the log writes fits in one page: an element (16-byte
//     header, 8-byte key, value) is at most (pageSize-16)/4 bytes, so even
//     the four elements bbolt keeps together unsplit fit. Values are capped
//     accordingly (MaxPointSize), the freelist is not synced
//     (NoFreelistSync) and no more than three buckets can be inline in one
//     leaf. With single-page nodes every free page is as good as any other:
//     no allocation needs a contiguous run.
//
//  3. Before each write transaction the committer knows, from bbolt, the
//     free pages F and pending pages Pn left by the last commit and the
//     high-water mark hw; growth = maxHW - hw pages can still be added. It
//     bounds from above the pages the transaction will allocate (need, from
//     how bbolt splits and merges nodes) and from below the pages it frees
//     (whole leaves emptied by deleting a prefix of a bucket). It admits new
//     points only if, after the transaction, at least `reserve` pages (the
//     worst case of any one transaction) will be free:
//
//     F + Pn + growth - need + freed >= reserve
//
//     and evicts (or rejects) by policy until that holds. Delete-only
//     transactions (trims, expiry) never allocate more pages than they free,
//     so they always fit in the reserve. Pending pages become free only when
//     no reader holds them; if a transaction needs them, the committer waits
//     for the readers (Log.gate) before it begins.
//
//  4. The bound is checked, not trusted: the committer stats the file after
//     every commit, and if bbolt ever refuses an allocation the committer
//     commits the deletions alone, then retries.

const (
	// pageSize is the bbolt page size of the files the log creates.
	pageSize = 8 << 10
	// elemOverhead is a leaf element's header plus the 8-byte key.
	elemOverhead = 16 + 8
	// branchElem is a branch element with an 8-byte key.
	branchElem = 16 + 8
	// basePages covers the root, "points" and "meta" leaves, the
	// dead-letter reason counts and slack.
	basePages = 6
	// minDataPages is the least room for points a log must have.
	minDataPages = 16
	// numBuckets is the buckets a transaction may append to or delete
	// from: the classes and the dead letters.
	numBuckets = 3 + 1
)

// geometry is the page arithmetic of one open log.
type geometry struct {
	psize     int64 // bbolt page size of the file
	maxElem   int64 // largest leaf element: (psize-16)/4
	maxValue  int   // largest value: maxElem - elemOverhead
	allocSize int   // bbolt AllocSize: the file grows in steps this big
	maxHW     int64 // most pages (high-water mark) the file may reach
	txnBytes  int64 // most element bytes appended in one transaction
	reserve   int64 // pages kept free for the next transaction
	dlPayload int   // largest dead-letter payload kept
	dlBytes   int64 // most element bytes of dead letters kept
}

// baseGeometry computes the page sizes and limits that the reserve
// (worstPages) depends on, for a file of psize pages capped at maxBytes.
func baseGeometry(psize int, maxBytes int64) geometry {
	g := geometry{psize: int64(psize)}
	g.maxElem = (g.psize - 16) / 4
	g.maxValue = int(g.maxElem) - elemOverhead
	// Grow the file in steps of 1/64 of the cap: the last step is the only
	// room lost to it (bbolt checks hw+1 pages + AllocSize <= MaxSize).
	g.allocSize = int(min(max(maxBytes/64/g.psize*g.psize, 4*g.psize), 16<<20))
	g.maxHW = (maxBytes-int64(g.allocSize))/g.psize - 1
	g.txnBytes = min(max(maxBytes/32, 32<<10), 4<<20)
	return g
}

// newGeometry computes the geometry for a file of psize pages capped at
// maxBytes, or ErrMaxBytesTooSmall.
func newGeometry(psize int, maxBytes int64) (geometry, error) {
	g := baseGeometry(psize, maxBytes)
	g.dlPayload = min(dlPayloadMax, g.maxValue-dlOverhead-dlTopicMax-dlReasonMax-dlErrorMax)
	g.dlBytes = maxBytes / 16
	g.reserve = g.worstPages()
	if g.dlPayload < 64 || g.maxHW < basePages+2*g.reserve+minDataPages {
		return g, fmt.Errorf("%w: %d bytes leaves no room for points with %d-byte pages (want at least %d)",
			ErrMaxBytesTooSmall, maxBytes, psize, minMaxBytes(psize))
	}
	return g, nil
}

// minMaxBytes is the smallest MaxBytes that newGeometry accepts.
func minMaxBytes(psize int) int64 {
	for n := int64(256 << 10); ; n += 64 << 10 {
		g := baseGeometry(psize, n)
		if g.maxHW >= basePages+2*g.worstPages()+minDataPages {
			return n
		}
	}
}

// elemSize is the leaf element bytes of a value of n bytes.
func elemSize(n int) int64 { return int64(n) + elemOverhead }

// depth bounds the levels of a bucket's b+tree with at most leaves leaves.
// A branch page that is not at either edge of its level is full (bbolt
// splits at the page size), so it has at least `full` children; at most
// three nodes per level are at the edges.
func (g *geometry) depth(leaves int64) int64 {
	full := (g.psize - 16 - 3*branchElem) / branchElem
	d, n := int64(1), leaves
	for n > 1 {
		switch {
		case n <= 3:
			n = 1
		case n <= full:
			n = 3
		default:
			n = (n+full-1)/full + 3
		}
		d++
	}
	return d
}

// leavesFor bounds the leaves holding elem element bytes: a leaf that is not
// at an edge is at least a quarter full (bbolt's last split of a
// transaction leaves a piece of at least pageSize - 3*maxElem).
func (g *geometry) leavesFor(elem int64) int64 {
	return (4*elem+g.psize-1)/g.psize + 4
}

// splitPieces bounds the nodes bbolt writes when it splits content bytes of
// elements of at most e bytes each: every piece but the last two is more
// than psize-e.
func (g *geometry) splitPieces(content, e int64) int64 {
	return content/(g.psize-e) + 2
}

// bucketWork is what one transaction does to one bucket.
type bucketWork struct {
	elem       int64 // element bytes held before the transaction
	appendElem int64 // element bytes appended
	deletes    bool  // whether any element is deleted
}

// pages bounds the pages one transaction allocates for w: the rightmost
// leaf with the appended elements split into pieces, the rightmost branch
// of each level above with the new children, and for deletions the leftmost
// path (a leaf merged with its sibling splits into at most two nodes, plus
// one for the parent on each level).
func (g *geometry) pages(w bucketWork) int64 {
	if w.appendElem == 0 && !w.deletes {
		return 0
	}
	d := g.depth(g.leavesFor(w.elem + w.appendElem))
	var n int64
	if w.appendElem > 0 {
		k := g.splitPieces(g.psize+w.appendElem, g.maxElem)
		n += k
		for range d - 1 {
			k = g.splitPieces(g.psize+branchElem*k, 3*branchElem)
			n += k
		}
	}
	if w.deletes {
		n += 3 * d
	}
	return n
}

// freedPages bounds from below the pages freed by deleting a prefix of del
// element bytes from a bucket: every leaf wholly emptied held at most a page
// of elements, and only the last one touched may be partly emptied.
func (g *geometry) freedPages(del int64) int64 {
	return max(0, del/g.psize-1)
}

// worstPages bounds the pages of any one transaction: txnBytes appended
// across all buckets (the split bound is affine in the bytes, so the sum
// over buckets is the bound for the total plus the per-bucket constants),
// deletions in every bucket, trees as deep as a full file allows.
func (g *geometry) worstPages() int64 {
	d := g.depth(max(g.maxHW, 1))
	k := (numBuckets*g.psize+g.txnBytes)/(g.psize-g.maxElem) + 2*numBuckets
	n := k
	for range d - 1 {
		k = (numBuckets*g.psize+branchElem*k)/(g.psize-3*branchElem) + 2*numBuckets
		n += k
	}
	return basePages + n + numBuckets*3*d
}
