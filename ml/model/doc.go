// Package model is the vehicle anomaly model of the reference ML jobs:
// robust statistics of each numeric signal of each device (quantiles of
// the values and of their changes, how often a value repeats, how often
// the signal is sent), learned by a Trainer from history and saved as a
// JSON file, and a streaming Scorer that flags values out of range,
// jumps, stuck sensors and dropouts point by point.
package model
