package tier2

// ObserveDurability makes b report each durability step of its writes
// (tests only).
func ObserveDurability(b *DirBucket, fn func(step, path string)) { b.observe = fn }
