package signal

import "math/rand/v2"

// The random streams of one vehicle. Each concern draws from its own
// stream, so that, for example, turning anomalies on does not change the
// noise of the readings. Streams from FirstFreeStream up are free for
// callers (package fleet uses them for transport faults).
const (
	streamPhysics uint64 = iota + 1
	streamNoise
	streamAnomaly
	streamGeneric
	// FirstFreeStream is the first stream number this package does not use.
	FirstFreeStream uint64 = 16
)

// Rand returns the random source of one stream of one vehicle of a
// simulation seeded with seed. Equal arguments give equal sequences.
func Rand(seed, vehicle, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(mix(seed, vehicle), mix(stream, vehicle^seed)))
}

// mix combines two words into one well-spread word (splitmix64 finaliser).
func mix(a, b uint64) uint64 {
	z := a ^ (b+0x9e3779b97f4a7c15)*0xbf58476d1ce4e5b9
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// uniform returns a number in [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
