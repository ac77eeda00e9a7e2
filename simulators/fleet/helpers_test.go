package fleet_test

import (
	"testing"

	"github.com/tributary-iot/tributary/firmware-profiles"
)

func builtin(t testing.TB, name string) *profiles.Profile {
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
