// Package simfleet generates labelled vehicle telemetry for the tests
// and benchmarks of the ML jobs, with fleetsim's vehicle model: points in
// device-time order across the fleet, and the ground truth of the
// anomalies injected into them.
package simfleet

import (
	"fmt"
	"time"

	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/ml/eval"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/signal"
)

// Options describe a simulated fleet.
type Options struct {
	// Profile names a built-in firmware profile ("passenger-car").
	Profile string
	// Vehicles is the number of vehicles.
	Vehicles int
	// Seed selects the simulation.
	Seed uint64
	// Start is the device time of the first points.
	Start time.Time
	// AnomalyRate is the chance per point that an anomaly starts.
	AnomalyRate float64
}

// Fleet generates the points of a fleet, round by round: one point of
// each vehicle a round.
type Fleet struct {
	gens []*signal.Generator
	pt   models.Point
}

// New returns the fleet of opts.
func New(opts Options) (*Fleet, error) {
	all, err := profiles.Builtin()
	if err != nil {
		return nil, err
	}
	var prof *profiles.Profile
	for _, p := range all {
		if p.Name == opts.Profile {
			prof = p
		}
	}
	if prof == nil {
		return nil, fmt.Errorf("simfleet: no built-in profile %q", opts.Profile)
	}
	f := &Fleet{}
	for i := range opts.Vehicles {
		g, err := signal.New(signal.Config{
			Profile: prof, Device: fmt.Sprintf("veh-%04d", i), Seed: opts.Seed, Vehicle: uint64(i),
			Start: opts.Start, AnomalyRate: opts.AnomalyRate,
		})
		if err != nil {
			return nil, err
		}
		f.gens = append(f.gens, g)
	}
	return f, nil
}

// Round calls fn with the next point of every vehicle that has one; the
// point is only valid during the call.
func (f *Fleet) Round(fn func(p *models.Point) error) error {
	for _, g := range f.gens {
		if !g.Next(&f.pt) {
			continue
		}
		if err := fn(&f.pt); err != nil {
			return err
		}
	}
	return nil
}

// Truth ends the anomalies in progress and returns every one injected.
func (f *Fleet) Truth() []eval.Truth {
	var out []eval.Truth
	for _, g := range f.gens {
		g.Finish()
		for _, r := range g.Truth(nil) {
			out = append(out, eval.Truth{
				Device: r.Device, Kind: r.Kind.String(), Signal: r.Signal, Related: r.Related,
				Start: r.Start, End: r.End,
			})
		}
	}
	return out
}
