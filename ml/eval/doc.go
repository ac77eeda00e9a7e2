// Package eval measures an anomaly detector against ground truth: it
// reads fleetsim's truth file (JSON lines or a JSON array of injected
// anomalies: device, kind, signal, start, end), groups detections into
// events and computes event precision and recall, overall and by kind.
package eval
