package simtest

import (
	"testing"

	"github.com/tributary-iot/tributary/firmware-profiles"
)

// Builtin returns the built-in profile called name; t fails if there is
// none.
func Builtin(t testing.TB, name string) *profiles.Profile {
	t.Helper()
	ps, err := profiles.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no built-in profile %q", name)
	return nil
}

// NoWindow returns the set of built-in profiles without their timestamp
// windows: a simulation's device clock is not the test's, and long
// simulations are decoded at one receive time.
func NoWindow(t testing.TB) *profiles.Set {
	t.Helper()
	ps, err := profiles.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		c := *p
		c.Timestamps = profiles.Timestamps{}
		ps[i] = &c
	}
	set, err := profiles.NewSet(ps...)
	if err != nil {
		t.Fatal(err)
	}
	return set
}
