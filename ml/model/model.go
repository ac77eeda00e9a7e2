package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// Version is the model file format written by Save.
const Version = 1

// ErrBadModel is returned (wrapped) by Load for a file that is not a
// model this package can use.
var ErrBadModel = errors.New("invalid model")

// Stats are what the model learned about one signal of one device (or of
// the whole fleet).
type Stats struct {
	// N is the number of samples learned from.
	N int64 `json:"n"`
	// Lo and Hi are the 1% and 99% quantiles of the values (for the
	// fleet, once five devices have Params.MinSamples of the signal: the
	// 10th percentile of their Lo and the 90th of their Hi).
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
	// Median is the median value.
	Median float64 `json:"median"`
	// Step is the 99.5% quantile of the change from one sample to the
	// next.
	Step float64 `json:"step"`
	// Repeat is the share of non-zero samples equal to the one before.
	Repeat float64 `json:"repeat"`
	// Rate is the share of the device's points that carry the signal.
	Rate float64 `json:"rate"`
}

// Params are the detection thresholds.
type Params struct {
	// Margin widens the learned [Lo, Hi] by this share of its width
	// before a value counts as out of range.
	Margin float64 `json:"margin"`
	// Jump is how many learned Steps a change must exceed.
	Jump float64 `json:"jump"`
	// Narrow is the share of the fleet's range below which a device's
	// own range is widened to the fleet's: a device's short history
	// covers few of the states the fleet has seen.
	Narrow float64 `json:"narrow"`
	// StuckOdds is the chance below which a run of equal values counts as
	// stuck (the run's length is chosen from the learned Repeat).
	StuckOdds float64 `json:"stuck_odds"`
	// MinStuck and MaxStuck bound that length, in samples.
	MinStuck int `json:"min_stuck"`
	MaxStuck int `json:"max_stuck"`
	// Dropout is how many expected samples in a row must be missing.
	Dropout float64 `json:"dropout"`
	// MinRate is the lowest Rate at which missing samples are noticed.
	MinRate float64 `json:"min_rate"`
	// MinSamples is the fewest samples for a device's own stats to be
	// used (else the fleet's).
	MinSamples int64 `json:"min_samples"`
	// Hold is how long, in device time, a signal stays quiet after an
	// anomaly was reported for it (one report per event).
	Hold Duration `json:"hold"`
}

// DefaultParams returns the thresholds the model is tuned with.
func DefaultParams() Params {
	return Params{
		Margin: 0.3, Jump: 20, Narrow: 1, StuckOdds: 1e-7, MinStuck: 10, MaxStuck: 300,
		Dropout: 6, MinRate: 0.05, MinSamples: 200, Hold: Duration(10 * time.Second),
	}
}

// Duration is a time.Duration that JSON writes as text ("10s").
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Model is a per-vehicle anomaly model of a stream's numeric signals:
// robust statistics per device and signal, with the fleet's as a
// fallback for devices with too little history.
type Model struct {
	Version int       `json:"version"`
	Stream  string    `json:"stream"`
	Trained time.Time `json:"trained"`
	// Points is the number of points trained on.
	Points int64  `json:"points"`
	Params Params `json:"params"`
	// Fleet holds the stats of each signal over every device.
	Fleet map[string]*Stats `json:"fleet"`
	// Devices holds each device's stats, by signal.
	Devices map[string]map[string]*Stats `json:"devices"`
}

// stats returns the stats to judge signal of device by.
func (m *Model) stats(device, signal string) *Stats {
	if s := m.Devices[device][signal]; s != nil && s.N >= m.Params.MinSamples {
		return s
	}
	if s := m.Fleet[signal]; s != nil && s.N >= m.Params.MinSamples {
		return s
	}
	return nil
}

// Save writes the model as JSON to path (through a temporary file).
func (m *Model) Save(path string) error {
	data, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return fmt.Errorf("cannot encode model: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("cannot write model: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot write model: %w", err)
	}
	return nil
}

// maxModelBytes bounds a model file Load reads.
const maxModelBytes = 1 << 30

// Load reads a model written by Save.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open model: %w", err)
	}
	defer f.Close()
	return Decode(io.LimitReader(f, maxModelBytes))
}

// Decode reads a model's JSON and checks it.
func Decode(r io.Reader) (*Model, error) {
	var m Model
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	if m.Version != Version {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBadModel, m.Version, Version)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	return &m, nil
}

func (m *Model) check() error {
	p := &m.Params
	for _, v := range []float64{p.Margin, p.Jump, p.Narrow, p.StuckOdds, p.Dropout, p.MinRate} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("negative or non-finite threshold")
		}
	}
	if p.StuckOdds >= 1 || p.MinStuck < 2 || p.MaxStuck < p.MinStuck || p.Hold < 0 {
		return errors.New("impossible stuck or hold thresholds")
	}
	check := func(where string, s *Stats) error {
		if s == nil {
			return fmt.Errorf("%s: no stats", where)
		}
		for _, v := range []float64{s.Lo, s.Hi, s.Median, s.Step, s.Repeat, s.Rate} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s: non-finite stats", where)
			}
		}
		if s.N < 0 || s.Hi < s.Lo || s.Step < 0 || s.Repeat < 0 || s.Repeat > 1 || s.Rate < 0 || s.Rate > 1 {
			return fmt.Errorf("%s: impossible stats", where)
		}
		return nil
	}
	for sig, s := range m.Fleet {
		if err := check("fleet "+sig, s); err != nil {
			return err
		}
	}
	for dev, sigs := range m.Devices {
		for sig, s := range sigs {
			if err := check(dev+" "+sig, s); err != nil {
				return err
			}
		}
	}
	return nil
}
