package fleet_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/fleet"
	"github.com/tributary-iot/tributary/simulators/internal/simtest"
	"github.com/tributary-iot/tributary/simulators/signal"
)

// Every kind of garbage, made from real payloads of every profile, fails
// decoding with that profile.
func TestGarbageNeverDecodes(t *testing.T) {
	set := simtest.NoWindow(t)
	kinds := []fleet.Garbage{fleet.GarbageTruncated, fleet.GarbageCorrupt, fleet.GarbageNoise, fleet.GarbageWrongEncoding}
	for _, p := range set.Profiles() {
		for _, batch := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/batch=%d", p.Name, batch), func(t *testing.T) {
				gen, err := signal.New(signal.Config{Profile: p, Device: "veh-00001", Seed: 1, Start: start, Interval: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				top, err := p.FormatTopic("veh-00001", "")
				if err != nil {
					t.Fatal(err)
				}
				r := rand.New(rand.NewPCG(1, 2))
				pts := make([]models.Point, batch)
				for i := range 300 {
					for j := range pts {
						gen.Next(&pts[j])
					}
					valid, err := fleet.AppendBatch(nil, p, pts)
					if err != nil {
						t.Fatal(err)
					}
					if _, _, err := set.Decode(nil, top, valid, start); err != nil {
						t.Fatalf("valid payload fails: %v", err)
					}
					other, err := fleet.AppendOtherEncoding(nil, p, pts)
					if err != nil {
						t.Fatal(err)
					}
					g := kinds[i%len(kinds)]
					bad := fleet.AppendGarbage(nil, p, g, valid, other, r)
					if _, _, err := set.Decode(nil, top, bad, start); err == nil {
						t.Fatalf("%s garbage decodes: %q (from %q)", g, bad, valid)
					}
				}
			})
		}
	}
}
