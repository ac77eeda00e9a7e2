package signal

import (
	"github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
)

// DefaultSignals returns the signals a Generator sends for a profile that
// declares none (the generic line-protocol and json profiles): a basic
// car at 1 Hz. Each call returns a fresh slice.
func DefaultSignals() []profiles.Signal {
	rng := func(lo, hi float64) *profiles.Range { return &profiles.Range{Min: lo, Max: hi} }
	const (
		stuck   = profiles.AnomalyStuck
		spike   = profiles.AnomalySpike
		drift   = profiles.AnomalyDrift
		dropout = profiles.AnomalyDropout
	)
	return []profiles.Signal{
		{Name: "speed_kmh", Unit: "km/h", Type: models.KindFloat, Range: rng(0, 250), RateHz: 1,
			Noise: 0.3, Decimals: 1, Anomalies: []profiles.Anomaly{stuck, spike, dropout}},
		{Name: "rpm", Unit: "rpm", Type: models.KindUint, Range: rng(0, 7000), RateHz: 1,
			Noise: 15, Decimals: -1, Anomalies: []profiles.Anomaly{stuck, spike}},
		{Name: "coolant_temp_c", Unit: "°C", Type: models.KindInt, Range: rng(-40, 130), RateHz: 1,
			Decimals: -1, Anomalies: []profiles.Anomaly{stuck, drift, spike}},
		{Name: "fuel_level_pct", Unit: "%", Type: models.KindFloat, Range: rng(0, 100), RateHz: 1,
			Noise: 0.3, Decimals: 1, Anomalies: []profiles.Anomaly{stuck, drift}},
		{Name: "battery_v", Unit: "V", Type: models.KindFloat, Range: rng(11.5, 14.8), RateHz: 1,
			Noise: 0.02, Decimals: 2, Anomalies: []profiles.Anomaly{drift, spike, dropout}},
		{Name: "lat", Unit: "deg", Type: models.KindFloat, Range: rng(-90, 90), RateHz: 1,
			Noise: 0.00002, Decimals: 6, Anomalies: []profiles.Anomaly{stuck, dropout}},
		{Name: "lon", Unit: "deg", Type: models.KindFloat, Range: rng(-180, 180), RateHz: 1,
			Noise: 0.00002, Decimals: 6, Anomalies: []profiles.Anomaly{stuck, dropout}},
		{Name: "odometer_km", Unit: "km", Type: models.KindFloat, Range: rng(0, 999999.9), RateHz: 1,
			Decimals: 1, Anomalies: []profiles.Anomaly{stuck}},
	}
}
