// Package scorer is the reference streaming scorer: it follows a stream
// live as a member of a reader group (so several instances share the
// work, and a restarted one resumes at the group's checkpoint), scores
// every point with the model of package model, and writes the anomalies
// to their own stream through the write endpoint, idempotently: scoring
// the same points again after a restart stores no anomaly twice.
package scorer
