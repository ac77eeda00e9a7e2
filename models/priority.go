package models

import "fmt"

// Priority is a priority class. When the edge buffer is full, lower classes
// are dropped first; after an outage, higher classes drain first.
type Priority uint8

// The priority classes, lowest first.
const (
	PriorityLow    Priority = 0
	PriorityNormal Priority = 1
	PriorityHigh   Priority = 2
)

// NumPriorities is the number of priority classes.
const NumPriorities = 3

// Priorities returns every class from highest to lowest (drain order).
func Priorities() [NumPriorities]Priority {
	return [NumPriorities]Priority{PriorityHigh, PriorityNormal, PriorityLow}
}

// String returns "low", "normal" or "high".
func (p Priority) String() string {
	switch p {
	case PriorityLow:
		return "low"
	case PriorityNormal:
		return "normal"
	case PriorityHigh:
		return "high"
	}
	return fmt.Sprintf("priority(%d)", uint8(p))
}

// ParsePriority parses "low", "normal" or "high" ("" means normal).
func ParsePriority(s string) (Priority, error) {
	switch s {
	case "low", "bulk":
		return PriorityLow, nil
	case "", "normal":
		return PriorityNormal, nil
	case "high", "alert", "critical":
		return PriorityHigh, nil
	}
	return 0, fmt.Errorf("unknown priority class %q (want low, normal or high)", s)
}
