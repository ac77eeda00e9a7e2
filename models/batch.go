package models

// Decoders refuse array and map headers larger than these limits instead of
// allocating for them, so hostile input cannot exhaust memory.
//msgp:limit arrays:65536 maps:4096

// Batch is an ordered run of points from one writer.
//
// Writer names the sequence the points' Seq values belong to (an agent id,
// or an agent id and priority class; see WriterID). FirstSeq and LastSeq
// bound the batch: every point has FirstSeq <= Seq <= LastSeq and Seq
// strictly increases through Points. Gaps are allowed (points dropped at the
// edge by policy leave gaps).
//
//msgp:tuple Batch
type Batch struct {
	Writer   string
	FirstSeq uint64
	LastSeq  uint64
	Points   []Point
}

// Reset clears b for reuse, keeping the capacity of its point slice.
func (b *Batch) Reset() {
	*b = Batch{Points: b.Points[:0]}
}

// StreamCut is one position per active segment of a stream: a consistent
// place to start or stop reading. Positions maps a segment id to the number
// of the next message to read in that segment (messages before it are
// behind the cut).
//
//msgp:tuple StreamCut
type StreamCut struct {
	Stream    string
	Positions map[string]uint64
}
