package topic_test

import (
	"testing"

	"github.com/tributary-iot/tributary/protocols/topic"
)

// Run with:
//
//	go test ./protocols/topic -run '^$' -bench . -benchmem

func BenchmarkMatch(b *testing.B) {
	p := topic.MustCompile("fleet/+/{device}/{stream}/#")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := p.Match("fleet/eu-west/veh-000123/can/raw"); !ok {
			b.Fatal("no match")
		}
	}
}
