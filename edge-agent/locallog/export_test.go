package locallog

// SetCommitHook makes l call fn after each commit with the transaction's
// page bound and the pages it allocated. Set it before the first write.
func SetCommitHook(l *Log, fn func(need, allocated int64)) { l.commitHook.Store(&fn) }

// Geometry reports the page size, the largest number of pages the file may
// reach and the reserve of a log capped at maxBytes.
func Geometry(maxBytes int64) (psize, maxHW, reserve int64, err error) {
	g, err := newGeometry(pageSize, maxBytes)
	return g.psize, g.maxHW, g.reserve, err
}

// MinMaxBytes is the smallest cap Open accepts.
func MinMaxBytes() int64 { return minMaxBytes(pageSize) }
