package simconfig

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/simulators/fleet"
)

// Profiles resolves a profile spec against the built-in profiles and those
// in dir (if not empty; they replace built-ins of the same name). The spec
// is a name ("passenger-car"), a comma list with equal shares
// ("passenger-car,heavy-truck"), or names with weights
// ("passenger-car=3,heavy-truck=1"); a name without a weight weighs 1.
func Profiles(spec, dir string) ([]fleet.Weighted, error) {
	set, err := profiles.LoadSet(dir)
	if err != nil {
		return nil, fmt.Errorf("--profiles %s: %w", dir, firstLine(err))
	}
	var out []fleet.Weighted
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		name, weight, hasWeight := strings.Cut(part, "=")
		w := 1.0
		if hasWeight {
			w, err = strconv.ParseFloat(weight, 64)
			if err != nil || !(w > 0) || math.IsInf(w, 0) {
				return nil, fmt.Errorf("--profile %q: weight %q is not a positive number", spec, weight)
			}
		}
		p, ok := set.Get(name)
		if !ok {
			return nil, fmt.Errorf("--profile: unknown profile %q (have %s)", name, names(set))
		}
		if seen[name] {
			return nil, fmt.Errorf("--profile: %q named twice", name)
		}
		seen[name] = true
		out = append(out, fleet.Weighted{Profile: p, Weight: w})
	}
	return out, nil
}

func names(set *profiles.Set) string {
	var n []string
	for _, p := range set.Profiles() {
		n = append(n, p.Name)
	}
	return strings.Join(n, ", ")
}

// firstLine keeps error reports to one line: a profile file with many
// problems reports the first and how many more.
func firstLine(err error) error {
	msg := err.Error()
	first, rest, ok := strings.Cut(msg, "\n")
	if !ok {
		return err
	}
	return fmt.Errorf("%s (and %d more problems)", first, strings.Count(rest, "\n")+1)
}
