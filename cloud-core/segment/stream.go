package segment

import (
	"time"

	"github.com/tributary-iot/tributary/models"
)

// Stream is the metadata of one stream: its policy and successor graph.
type Stream struct {
	Name    string    `json:"name"`
	Policy  Policy    `json:"policy"`
	Layout  Layout    `json:"layout"`
	Created time.Time `json:"created"`
}

// New returns the metadata of a new stream with policy p.
func New(name string, p Policy, now time.Time) (Stream, error) {
	if err := models.ValidateID("stream", name); err != nil {
		return Stream{}, err
	}
	if err := p.Validate(); err != nil {
		return Stream{}, err
	}
	l, err := NewLayout(p.Segments, now)
	if err != nil {
		return Stream{}, err
	}
	return Stream{Name: name, Policy: p, Layout: l, Created: now.UTC()}, nil
}
