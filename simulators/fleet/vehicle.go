package fleet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/signal"
)

// vehicle is one simulated vehicle at run time: its generator, its
// transport state and the messages it holds back.
type vehicle struct {
	info     Vehicle
	cfg      *Config // the simulation's, shared
	prof     *profiles.Profile
	pidx     int // index of its profile in Sim.profiles
	gen      *signal.Generator
	r        *rand.Rand // transport trouble
	quota    int64      // points left to send; -1: no limit
	tickSecs float64    // device time per tick
	tick     int64
	online   bool
	back     int64  // tick at which an offline vehicle reconnects
	pending  []held // held-back messages, by release tick
	pts      []models.Point
	other    []byte // the points in another encoding (GarbageWrongEncoding)
	done     bool
}

// held is a message a vehicle sends later.
type held struct {
	release int64 // tick from which it may go
	created int64
	payload []byte
	points  int
	flags   Flags
}

// step runs one tick of the vehicle: it takes Batch readings, builds the
// message, applies the transport trouble and puts what goes on the wire
// now into c. It returns the points taken.
func (v *vehicle) step(c *chunk, round int64) (int, error) {
	want := v.cfg.Batch
	if v.quota >= 0 && int64(want) > v.quota {
		want = int(v.quota)
	}
	n := 0
	for i := 0; i < v.cfg.Batch && n < want; i++ {
		if v.gen.Next(&v.pts[n]) {
			n++
		}
	}
	if v.quota >= 0 {
		v.quota -= int64(n)
	}
	r := v.r
	dDrop, dReorder, dLate, dDup, dGarbage := r.Float64(), r.Float64(), r.Float64(), r.Float64(), r.Float64()

	if !v.online && v.tick >= v.back {
		v.reconnect(c, round)
	}
	if v.online && dDrop < v.cfg.Mess.DropRate {
		c.add(round, Message{Vehicle: v.info.Index, Kind: KindDisconnect}, 0, 0)
		v.online = false
		v.back = v.tick + v.ticks(uniform(r, 5, 120))
	}
	if n > 0 {
		hold, flags := int64(0), Flags(0)
		switch {
		case dReorder < v.cfg.Mess.ReorderRate:
			hold, flags = 1+int64(r.IntN(3)), FlagReordered
		case dLate < v.cfg.Mess.LateRate:
			hold, flags = v.ticks(uniform(r, 10, 120)), FlagLate
		}
		dup := dDup < v.cfg.Mess.DuplicateRate
		garbage := Garbage(numGarbage)
		if dGarbage < v.cfg.Mess.GarbageRate {
			garbage = Garbage(r.IntN(int(numGarbage)))
		}
		if err := v.emit(c, round, n, hold, flags, dup, garbage); err != nil {
			return n, err
		}
	}
	if v.online {
		v.release(c, round, v.tick)
	}
	v.tick++
	c.truth = v.gen.Truth(c.truth)
	for len(c.trRnd) < len(c.truth) {
		c.trRnd = append(c.trRnd, round)
	}
	if v.quota == 0 {
		v.finish(c, round)
	}
	return n, nil
}

// emit encodes the n points taken and sends or holds the message, its
// duplicate and its garbage.
func (v *vehicle) emit(c *chunk, round int64, n int, hold int64, flags Flags, dup bool, garbage Garbage) error {
	pts := v.pts[:n]
	now := hold == 0 && v.online
	off := len(c.arena)
	var err error
	c.arena, err = AppendBatch(c.arena, v.prof, pts)
	if err != nil {
		return fmt.Errorf("vehicle %s: %w", v.info.Device, err)
	}
	end := len(c.arena)
	if garbage < numGarbage {
		var other []byte
		if garbage == GarbageWrongEncoding {
			v.other, err = AppendOtherEncoding(v.other[:0], v.prof, pts)
			if err != nil {
				return fmt.Errorf("vehicle %s: %w", v.info.Device, err)
			}
			other = v.other
		}
		c.arena = AppendGarbage(c.arena, v.prof, garbage, c.arena[off:end], other, v.r)
	}
	gEnd := len(c.arena)
	msg := Message{Vehicle: v.info.Index, Topic: v.info.Topic, Points: n, Flags: flags}
	if now {
		c.add(round, msg, off, end)
		if dup {
			msg.Flags |= FlagDuplicate
			c.add(round, msg, off, end)
		}
		if garbage < numGarbage {
			c.add(round, Message{Vehicle: v.info.Index, Topic: v.info.Topic, Flags: FlagGarbage}, end, gEnd)
		}
		return nil
	}
	// Held back: keep copies and take them out of the chunk again (a
	// duplicate shares its original's: release copies them into a chunk).
	payload := slices.Clone(c.arena[off:end])
	v.hold(held{release: v.tick + hold, created: v.tick, payload: payload, points: n, flags: flags})
	if dup {
		v.hold(held{release: v.tick + hold, created: v.tick, payload: payload, points: n, flags: flags | FlagDuplicate})
	}
	if garbage < numGarbage {
		v.hold(held{release: v.tick + hold, created: v.tick, payload: slices.Clone(c.arena[end:gEnd]), flags: FlagGarbage})
	}
	c.arena = c.arena[:off]
	return nil
}

// hold queues h behind every held message due no later than it.
func (v *vehicle) hold(h held) {
	i := len(v.pending)
	for i > 0 && v.pending[i-1].release > h.release {
		i--
	}
	v.pending = slices.Insert(v.pending, i, h)
}

// release sends the held messages due by tick.
func (v *vehicle) release(c *chunk, round, tick int64) {
	n := 0
	for n < len(v.pending) && v.pending[n].release <= tick {
		h := &v.pending[n]
		f := h.flags
		if tick > h.created && f&FlagReordered == 0 {
			f |= FlagLate
		}
		c.addOwned(round, Message{Vehicle: v.info.Index, Topic: v.info.Topic, Points: h.points, Flags: f}, h.payload)
		n++
	}
	clear(v.pending[:n])
	v.pending = slices.Delete(v.pending, 0, n)
}

func (v *vehicle) reconnect(c *chunk, round int64) {
	c.add(round, Message{Vehicle: v.info.Index, Kind: KindConnect}, 0, 0)
	v.online = true
}

// finish ends the vehicle: the anomaly in progress is closed, and a
// vehicle offline reconnects and sends everything it holds.
func (v *vehicle) finish(c *chunk, round int64) {
	if v.done {
		return
	}
	v.done = true
	v.gen.Finish()
	c.truth = v.gen.Truth(c.truth)
	for len(c.trRnd) < len(c.truth) {
		c.trRnd = append(c.trRnd, round)
	}
	if !v.online {
		v.reconnect(c, round)
	}
	v.release(c, round, math.MaxInt64)
}

// ticks converts device seconds to ticks, at least one.
func (v *vehicle) ticks(secs float64) int64 {
	return max(1, int64(math.Ceil(secs/v.tickSecs)))
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
