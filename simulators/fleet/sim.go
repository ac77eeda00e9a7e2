package fleet

import (
	"fmt"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/signal"
)

// The random streams of a vehicle that this package uses (the generator
// uses the ones below signal.FirstFreeStream).
const (
	streamMess = signal.FirstFreeStream + iota
	streamSkew
)

// Sim is a simulation, built by New and run once by Run.
type Sim struct {
	cfg      Config
	vehicles []*vehicle
	profiles []string // names, indexed by vehicle.pidx
	period   time.Duration
	skewed   int
	stats    stats
	ran      atomic.Bool
	counter  atomic.Value // counterBox: the sink's error counter
}

// New builds the fleet: vehicles get profiles in proportion to their
// weights (interleaved), device ids, topics, clocks and generators.
func New(cfg Config) (*Sim, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	s := &Sim{cfg: c}
	pidx := map[*profiles.Profile]int{}
	for _, w := range c.Profiles {
		if _, ok := pidx[w.Profile]; !ok {
			pidx[w.Profile] = len(s.profiles)
			s.profiles = append(s.profiles, w.Profile.Name)
		}
	}
	s.stats.init(len(s.profiles))
	assign := assignProfiles(c.Profiles, c.Vehicles)
	width := max(5, len(strconv.Itoa(c.Vehicles)))
	if c.Rate > 0 {
		s.period = time.Duration(float64(c.Batch) / c.Rate * float64(time.Second))
	}
	quotas := shareQuota(c.Points, c.Vehicles, c.Batch)
	for j := range c.Vehicles {
		p := assign[j]
		device := fmt.Sprintf("%s%0*d", c.DevicePrefix, width, j+1)
		if err := models.ValidateDevice(device); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		topic, err := p.FormatTopic(device, "")
		if err != nil {
			return nil, fmt.Errorf("%w: profile %s cannot name a topic for %s: %w", ErrConfig, p.Name, device, err)
		}
		interval := signal.NaturalInterval(p)
		if c.Rate > 0 {
			interval = time.Duration(math.Round(float64(time.Second) / c.Rate))
		}
		if interval <= 0 {
			return nil, fmt.Errorf("%w: rate %v is too fast for nanosecond timestamps", ErrConfig, c.Rate)
		}
		skew := time.Duration(0)
		sr := signal.Rand(c.Seed, uint64(j), streamSkew)
		if sr.Float64() < c.Mess.SkewShare {
			skew = time.Duration(uniform(sr, float64(time.Second), float64(c.Mess.MaxSkew)))
			if sr.IntN(2) == 0 {
				skew = -skew
			}
			s.skewed++
		}
		// Vehicles are spread over one tick; the last point of a vehicle's
		// first message is taken at Start plus its share.
		tick := interval * time.Duration(c.Batch)
		first := c.Start.Add(tick*time.Duration(j)/time.Duration(c.Vehicles) - interval*time.Duration(c.Batch-1))
		gen, err := signal.New(signal.Config{
			Profile: p, Device: device, Seed: c.Seed, Vehicle: uint64(j),
			Start: first, Interval: interval, ClockOffset: skew,
			AnomalyRate: c.AnomalyRate, Kinds: c.Kinds,
		})
		if err != nil {
			return nil, fmt.Errorf("vehicle %s: %w", device, err)
		}
		info := Vehicle{Index: j, Device: device, ClientID: c.ClientPrefix + device, Profile: p.Name, Topic: topic, ClockSkew: skew}
		s.vehicles = append(s.vehicles, &vehicle{
			info: info, cfg: &s.cfg, prof: p, pidx: pidx[p], gen: gen,
			r:     signal.Rand(c.Seed, uint64(j), streamMess),
			quota: quotas(j), tickSecs: tick.Seconds(), online: true,
			pts:  make([]models.Point, c.Batch),
			done: quotas(j) == 0,
		})
		s.stats.profiles[pidx[p]].vehicles++
	}
	return s, nil
}

// Vehicles describes the fleet, by index.
func (s *Sim) Vehicles() []Vehicle {
	out := make([]Vehicle, len(s.vehicles))
	for i, v := range s.vehicles {
		out[i] = v.info
	}
	return out
}

// assignProfiles deals profiles to n vehicles in proportion to their
// weights, interleaved (smooth weighted round robin), so any stretch of
// vehicles has about the right mix.
func assignProfiles(ws []Weighted, n int) []*profiles.Profile {
	total := 0.0
	for _, w := range ws {
		total += w.Weight
	}
	cur := make([]float64, len(ws))
	out := make([]*profiles.Profile, n)
	for j := range out {
		best := 0
		for i, w := range ws {
			cur[i] += w.Weight
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		out[j] = ws[best].Profile
	}
	return out
}

// shareQuota returns each vehicle's share of total points (-1 for no
// limit): whole rounds of batch points each, the rest to the first
// vehicles, batch by batch.
func shareQuota(total int64, vehicles, batch int) func(int) int64 {
	if total <= 0 {
		return func(int) int64 { return -1 }
	}
	per := int64(vehicles) * int64(batch)
	rounds, rest := total/per, total%per
	return func(j int) int64 {
		extra := min(int64(batch), max(0, rest-int64(j)*int64(batch)))
		return rounds*int64(batch) + extra
	}
}
