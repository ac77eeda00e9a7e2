package segment_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/segment"
)

func TestScalingPolicy(t *testing.T) {
	for _, tc := range []struct {
		in                    string
		ok, auto              bool
		parts, floor, ceiling int
	}{
		{in: `{"segments":3}`, ok: true, parts: 2, floor: 1, ceiling: segment.MaxSegments},
		{in: `{"segments":3,"scaling":{"by":"fixed"}}`, ok: true, parts: 2, floor: 1, ceiling: segment.MaxSegments},
		{in: `{"segments":1,"scaling":{"by":"points","target":5000}}`, ok: true, auto: true, parts: 2, floor: 1, ceiling: segment.MaxSegments},
		{in: `{"segments":1,"scaling":{"by":"bytes","target":1048576,"factor":4,"min_segments":2,"max_segments":32,"cooldown":"2m"}}`,
			ok: true, auto: true, parts: 4, floor: 2, ceiling: 32},
		{in: `{"segments":1,"scaling":{"by":"points"}}`},                                              // no target
		{in: `{"segments":1,"scaling":{"by":"points","target":-5}}`},                                  // negative target
		{in: `{"segments":1,"scaling":{"by":"points","target":5,"min_segments":8,"max_segments":4}}`}, // floor above ceiling
		{in: `{"segments":1,"scaling":{"by":"points","target":5,"max_segments":5000}}`},               // too many
		{in: `{"segments":1,"scaling":{"by":"points","target":5,"cooldown":"-1s"}}`},                  // negative cooldown
		{in: `{"segments":1,"scaling":{"by":"points","target":5,"factor":17}}`},                       // factor too large
	} {
		var p segment.Policy
		err := json.Unmarshal([]byte(tc.in), &p)
		if err == nil {
			err = p.Validate()
		}
		if tc.ok != (err == nil) {
			t.Errorf("%s: Validate = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok {
			if !errors.Is(err, segment.ErrBadPolicy) {
				t.Errorf("%s: %v, want ErrBadPolicy", tc.in, err)
			}
			continue
		}
		sc := p.Scaling
		if sc.Auto() != tc.auto || sc.Parts() != tc.parts || sc.Floor() != tc.floor || sc.Ceiling() != tc.ceiling {
			t.Errorf("%s: auto %v parts %d floor %d ceiling %d", tc.in, sc.Auto(), sc.Parts(), sc.Floor(), sc.Ceiling())
		}
	}
}

// randomLayout applies n random splits and merges to a fresh layout.
func randomLayout(t *testing.T, rng *rand.Rand, n int) segment.Layout {
	t.Helper()
	l, err := segment.NewLayout(1+rng.IntN(3), t0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		cur := l.Current().Segments
		var next segment.Layout
		if len(cur) > 1 && rng.IntN(3) == 0 {
			j := rng.IntN(len(cur) - 1)
			next, err = l.Merge(cur[j:j+2], t0.Add(time.Duration(i+1)*time.Minute))
		} else {
			next, err = l.Split(cur[rng.IntN(len(cur))], 2+rng.IntN(3), t0.Add(time.Duration(i+1)*time.Minute))
		}
		if err != nil {
			t.Fatal(err)
		}
		l = next
	}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAncestorsAreTheEarlierOwners(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		l := randomLayout(t, rng, 3+round)
		for range 200 {
			h := rng.Uint64()
			owners := l.Owners(h)
			last := owners[len(owners)-1]
			var got []string
			for _, a := range l.Ancestors(last) {
				s, _ := l.Segment(a)
				if s.Range.Contains(h) {
					got = append(got, a)
				}
			}
			if want := owners[:len(owners)-1]; !slices.Equal(got, want) {
				t.Fatalf("round %d hash %x: ancestors holding it %v, earlier owners %v", round, h, got, want)
			}
		}
	}
	l, _ := segment.NewLayout(2, t0)
	if a := l.Ancestors("0"); len(a) != 0 {
		t.Errorf("ancestors of a first-epoch segment: %v", a)
	}
}

func TestEpochChangeIsCloned(t *testing.T) {
	l, _ := segment.NewLayout(1, t0)
	l, err := l.Split("0", 2, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	l.Epochs[1].Change = &segment.Change{Kind: segment.KindSplit, Sealed: []string{"0"}, Created: []string{"1", "2"}, By: "points", Window: "long", Rate: 7.5, Target: 5}
	c := l.Clone()
	c.Epochs[1].Change.Created[0] = "x"
	c.Epochs[1].Change.Rate = 1
	if got := l.Epochs[1].Change; got.Created[0] != "1" || got.Rate != 7.5 {
		t.Errorf("changing a clone changed the original: %+v", got)
	}
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var back segment.Layout
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*back.Epochs[1].Change) != fmt.Sprint(*l.Epochs[1].Change) || back.Epochs[0].Change != nil {
		t.Errorf("round trip: %+v", back.Epochs)
	}
}
