package eval

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tributary-iot/tributary/simulators/truth"
)

// ErrBadTruth is returned (wrapped) by ReadTruth for a record that does
// not decode or makes no sense.
var ErrBadTruth = errors.New("bad truth record")

// Truth is one injected anomaly.
type Truth struct {
	Device string `json:"device"`
	Kind   string `json:"kind"`
	Signal string `json:"signal"`
	// Related are other signals the anomaly changed.
	Related []string `json:"related,omitempty"`
	// Start and End bound the device times of the points it shows in.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// ReadTruth reads a truth file as truth.Read does: JSON lines or one JSON
// array, every record checked.
func ReadTruth(r io.Reader) ([]Truth, error) {
	recs, err := truth.Read(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadTruth, err)
	}
	var out []Truth
	for _, rec := range recs {
		out = append(out, Truth{
			Device: rec.Device, Kind: rec.Kind.String(), Signal: rec.Signal, Related: rec.Related,
			Start: rec.Start, End: rec.End,
		})
	}
	return out, nil
}

// Detection is one anomaly a detector reported.
type Detection struct {
	Device string
	Signal string
	Kind   string
	Time   time.Time
}

// Options tune Evaluate.
type Options struct {
	// Gap joins detections of one device and signal less than Gap apart
	// into one event (0: 30s).
	Gap time.Duration
	// Tolerance widens each truth window on both sides (0: 5s): a
	// dropout is only noticed some samples after it began.
	Tolerance time.Duration
}

// KindResult is the recall of one kind of injected anomaly.
type KindResult struct {
	Truth    int     `json:"truth"`
	Detected int     `json:"detected"`
	Recall   float64 `json:"recall"`
}

// Result is a detector's score.
type Result struct {
	// Truth is the number of injected anomalies, Detected how many of
	// them at least one event found.
	Truth    int `json:"truth"`
	Detected int `json:"detected"`
	// Events is the number of detection events, Matched how many of them
	// lie on an injected anomaly.
	Events    int     `json:"events"`
	Matched   int     `json:"matched"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// ByKind holds the recall of each kind of injected anomaly.
	ByKind map[string]KindResult `json:"by_kind"`
	// EventsByKind counts the events by the kind the detector gave them,
	// and MatchedByKind those that matched.
	EventsByKind  map[string]int `json:"events_by_kind"`
	MatchedByKind map[string]int `json:"matched_by_kind"`
}

// event is a run of detections of one device and signal.
type event struct {
	device, signal, kind string
	first, last          time.Time
}

// Evaluate scores detections against truth: an event matches an injected
// anomaly of the same device whose signal (or a related one) it names and
// whose window, widened by the tolerance, it overlaps.
func Evaluate(truth []Truth, dets []Detection, opts Options) Result {
	if opts.Gap <= 0 {
		opts.Gap = 30 * time.Second
	}
	if opts.Tolerance <= 0 {
		opts.Tolerance = 5 * time.Second
	}
	dets = slices.Clone(dets)
	slices.SortFunc(dets, func(a, b Detection) int {
		if c := strings.Compare(a.Device, b.Device); c != 0 {
			return c
		}
		if c := strings.Compare(a.Signal, b.Signal); c != 0 {
			return c
		}
		return a.Time.Compare(b.Time)
	})
	var events []event
	for _, d := range dets {
		if n := len(events); n > 0 {
			e := &events[n-1]
			if e.device == d.Device && e.signal == d.Signal && d.Time.Sub(e.last) <= opts.Gap {
				e.last = d.Time
				continue
			}
		}
		events = append(events, event{device: d.Device, signal: d.Signal, kind: d.Kind, first: d.Time, last: d.Time})
	}
	byDevice := map[string][]int{}
	for i, t := range truth {
		byDevice[t.Device] = append(byDevice[t.Device], i)
	}
	found := make([]bool, len(truth))
	res := Result{Truth: len(truth), Events: len(events), ByKind: map[string]KindResult{},
		EventsByKind: map[string]int{}, MatchedByKind: map[string]int{}}
	for _, e := range events {
		res.EventsByKind[e.kind]++
		hit := false
		for _, i := range byDevice[e.device] {
			t := &truth[i]
			if t.Signal != e.signal && !slices.Contains(t.Related, e.signal) {
				continue
			}
			if e.last.Before(t.Start.Add(-opts.Tolerance)) || e.first.After(t.End.Add(opts.Tolerance)) {
				continue
			}
			found[i], hit = true, true
		}
		if hit {
			res.Matched++
			res.MatchedByKind[e.kind]++
		}
	}
	for i, t := range truth {
		k := res.ByKind[t.Kind]
		k.Truth++
		if found[i] {
			k.Detected++
			res.Detected++
		}
		res.ByKind[t.Kind] = k
	}
	for kind, k := range res.ByKind {
		k.Recall = ratio(k.Detected, k.Truth)
		res.ByKind[kind] = k
	}
	res.Precision, res.Recall = ratio(res.Matched, res.Events), ratio(res.Detected, res.Truth)
	if res.Precision+res.Recall > 0 {
		res.F1 = 2 * res.Precision * res.Recall / (res.Precision + res.Recall)
	}
	return res
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
