package segment

// Hash returns the routing hash of a device id.
//
// It is 64-bit FNV-1a over the id's bytes followed by the fmix64 finalizer
// of MurmurHash3, which spreads the differences of similar ids (veh-0001,
// veh-0002) over the high bits that key ranges are cut on. The function is
// part of the on-disk format: changing it would move devices between
// segments.
func Hash(device string) uint64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for i := 0; i < len(device); i++ {
		h ^= uint64(device[i])
		h *= prime64
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
