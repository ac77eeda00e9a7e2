package fleet

import (
	"sync/atomic"
	"time"

	"github.com/tributary-iot/tributary/simulators/truth"
)

// stats are the running totals of a simulation, updated by whoever sends
// a chunk.
type stats struct {
	points, messages, bytes      atomic.Int64
	garbage, dupMsgs, dupPoints  atomic.Int64
	late, reordered, disconnects atomic.Int64
	anomalies                    [16]atomic.Int64 // by truth.Kind
	profiles                     []profileStats
	started                      atomic.Int64 // Unix ns
	stopped                      atomic.Int64
}

type profileStats struct {
	vehicles         int
	points, messages atomic.Int64
}

func (s *stats) init(profiles int) { s.profiles = make([]profileStats, profiles) }

// count adds a sent chunk to the totals.
func (s *stats) count(msgs []Message, vehicles []*vehicle) {
	var points, messages, bytes, garbage, dupMsgs, dupPoints, late, reordered, disc int64
	for i := range msgs {
		m := &msgs[i]
		switch m.Kind {
		case KindDisconnect:
			disc++
			continue
		case KindConnect:
			continue
		}
		messages++
		bytes += int64(len(m.Payload))
		ps := &s.profiles[vehicles[m.Vehicle].pidx]
		ps.messages.Add(1)
		switch {
		case m.Flags&FlagGarbage != 0:
			garbage++
		case m.Flags&FlagDuplicate != 0:
			dupMsgs++
			dupPoints += int64(m.Points)
		default:
			points += int64(m.Points)
			ps.points.Add(int64(m.Points))
		}
		if m.Flags&FlagLate != 0 {
			late++
		}
		if m.Flags&FlagReordered != 0 {
			reordered++
		}
	}
	s.points.Add(points)
	s.messages.Add(messages)
	s.bytes.Add(bytes)
	s.garbage.Add(garbage)
	s.dupMsgs.Add(dupMsgs)
	s.dupPoints.Add(dupPoints)
	s.late.Add(late)
	s.reordered.Add(reordered)
	s.disconnects.Add(disc)
}

func (s *stats) anomaly(k truth.Kind) {
	if int(k) < len(s.anomalies) {
		s.anomalies[k].Add(1)
	}
}

// Progress is a live view of a running simulation.
type Progress struct {
	// Points is the number of valid points published (duplicates aside).
	Points int64
	// Messages is the number of messages published, duplicates and
	// garbage included.
	Messages int64
	// Errors is the number of delivery failures the sink counted.
	Errors int64
	// Elapsed is the wall time since Run started.
	Elapsed time.Duration
}

// Progress returns the totals so far.
func (s *Sim) Progress() Progress {
	p := Progress{Points: s.stats.points.Load(), Messages: s.stats.messages.Load(), Errors: s.errors()}
	if t := s.stats.started.Load(); t != 0 {
		end := time.Now()
		if e := s.stats.stopped.Load(); e != 0 {
			end = time.Unix(0, e)
		}
		p.Elapsed = end.Sub(time.Unix(0, t))
	}
	return p
}

func (s *Sim) errors() int64 {
	if b, ok := s.counter.Load().(counterBox); ok && b.ec != nil {
		return b.ec.Errors()
	}
	return 0
}

// counterBox holds the sink's ErrorCounter (nil if it has none) in an
// atomic.Value, which needs one concrete type.
type counterBox struct{ ec ErrorCounter }

// Report is the summary of a run, written as JSON by fleetsim --report.
type Report struct {
	// Started is when Run started (wall clock).
	Started time.Time `json:"started"`
	// ElapsedSeconds is how long it ran.
	ElapsedSeconds float64 `json:"elapsed_s"`
	// Stopped says why it stopped: "points", "duration", "interrupted"
	// or "error".
	Stopped string `json:"stopped"`
	// Target is where the traffic went (a broker URL or a file); set by
	// the caller.
	Target string `json:"target,omitempty"`
	// QoS is the MQTT QoS used; set by the caller.
	QoS int `json:"qos"`
	// Seed is the simulation's seed.
	Seed uint64 `json:"seed"`
	// Vehicles is the fleet's size.
	Vehicles int `json:"vehicles"`
	// RatePerVehicle is the rate asked for, points/s per vehicle (0: as
	// fast as possible).
	RatePerVehicle float64 `json:"rate_per_vehicle"`
	// Batch is the points per message asked for.
	Batch int `json:"batch"`
	// Points is the number of valid points published, each once
	// (duplicates are counted apart).
	Points int64 `json:"points"`
	// Messages is every message published, duplicates and garbage
	// included.
	Messages int64 `json:"messages"`
	// Bytes is the payload bytes of those messages.
	Bytes int64 `json:"bytes"`
	// Errors is the number of delivery failures.
	Errors int64 `json:"errors"`
	// PointsPerSecond is the rate achieved, over all vehicles.
	PointsPerSecond float64 `json:"points_per_s"`
	// MessagesPerSecond is the message rate achieved.
	MessagesPerSecond float64 `json:"messages_per_s"`
	// Profiles has the counts per firmware profile.
	Profiles map[string]ProfileReport `json:"profiles"`
	// Anomalies is the number of anomalies injected (truth records).
	Anomalies int64 `json:"anomalies"`
	// AnomaliesByKind splits them by kind.
	AnomaliesByKind map[string]int64 `json:"anomalies_by_kind"`
	// Garbage is the number of malformed messages sent.
	Garbage int64 `json:"garbage_messages"`
	// Duplicates is the number of messages published a second time, and
	// DuplicatePoints the points they carried.
	Duplicates      int64 `json:"duplicate_messages"`
	DuplicatePoints int64 `json:"duplicate_points"`
	// Late is the number of messages published late (held back or
	// buffered while offline); Reordered of those sent behind later ones.
	Late      int64 `json:"late_messages"`
	Reordered int64 `json:"reordered_messages"`
	// Disconnects is the number of connection drops simulated.
	Disconnects int64 `json:"disconnects"`
	// SkewedVehicles is the number of vehicles with a wrong clock.
	SkewedVehicles int `json:"skewed_vehicles"`
}

// ProfileReport is the counts of one profile.
type ProfileReport struct {
	Vehicles int   `json:"vehicles"`
	Points   int64 `json:"points"`
	Messages int64 `json:"messages"`
}

func (s *Sim) report(stopped string) Report {
	st := &s.stats
	p := s.Progress()
	r := Report{
		Started:         time.Unix(0, st.started.Load()).UTC(),
		ElapsedSeconds:  p.Elapsed.Seconds(),
		Stopped:         stopped,
		Seed:            s.cfg.Seed,
		Vehicles:        s.cfg.Vehicles,
		RatePerVehicle:  s.cfg.Rate,
		Batch:           s.cfg.Batch,
		Points:          p.Points,
		Messages:        p.Messages,
		Bytes:           st.bytes.Load(),
		Errors:          p.Errors,
		Profiles:        map[string]ProfileReport{},
		AnomaliesByKind: map[string]int64{},
		Garbage:         st.garbage.Load(),
		Duplicates:      st.dupMsgs.Load(),
		DuplicatePoints: st.dupPoints.Load(),
		Late:            st.late.Load(),
		Reordered:       st.reordered.Load(),
		Disconnects:     st.disconnects.Load(),
		SkewedVehicles:  s.skewed,
	}
	if secs := p.Elapsed.Seconds(); secs > 0 {
		r.PointsPerSecond = float64(r.Points) / secs
		r.MessagesPerSecond = float64(r.Messages) / secs
	}
	for i, name := range s.profiles {
		ps := &st.profiles[i]
		r.Profiles[name] = ProfileReport{Vehicles: ps.vehicles, Points: ps.points.Load(), Messages: ps.messages.Load()}
	}
	for _, k := range truth.Kinds() {
		if n := st.anomalies[k].Load(); n > 0 {
			r.AnomaliesByKind[k.String()] = n
			r.Anomalies += n
		}
	}
	return r
}
