package profiles

import "fmt"

// Encoding is a payload format.
type Encoding uint8

// The payload formats a profile can name.
const (
	EncodingInvalid      Encoding = iota
	EncodingLineProtocol          // "line-protocol": InfluxDB line protocol (package lineproto)
	EncodingJSON                  // "json": JSON points (package jsonpoint)
	EncodingMsgpack               // "msgpack": msgpack points (package msgpackpoint)
)

// String returns the encoding's name as written in profiles.
func (e Encoding) String() string {
	switch e {
	case EncodingLineProtocol:
		return "line-protocol"
	case EncodingJSON:
		return "json"
	case EncodingMsgpack:
		return "msgpack"
	}
	return fmt.Sprintf("encoding(%d)", uint8(e))
}

// ParseEncoding returns the Encoding named s.
func ParseEncoding(s string) (Encoding, error) {
	switch s {
	case "line-protocol":
		return EncodingLineProtocol, nil
	case "json":
		return EncodingJSON, nil
	case "msgpack":
		return EncodingMsgpack, nil
	}
	return EncodingInvalid, fmt.Errorf("unknown encoding %q (want line-protocol, json or msgpack)", s)
}

// Anomaly is a fault mode the simulator may inject into a signal.
type Anomaly uint8

// The anomaly modes. Stuck and dropout apply to every signal type; the
// others to numeric signals only (see Anomaly.Numeric).
const (
	AnomalyInvalid Anomaly = iota
	AnomalyStuck           // "stuck": the value freezes at its last reading
	AnomalySpike           // "spike": single readings far outside the range
	AnomalyDrift           // "drift": a slowly growing offset (sensor ageing)
	AnomalyBurst           // "burst": a stretch of much larger noise
	AnomalyDropout         // "dropout": the signal is missing from points for a while
)

// String returns the mode's name as written in profiles.
func (a Anomaly) String() string {
	switch a {
	case AnomalyStuck:
		return "stuck"
	case AnomalySpike:
		return "spike"
	case AnomalyDrift:
		return "drift"
	case AnomalyBurst:
		return "burst"
	case AnomalyDropout:
		return "dropout"
	}
	return fmt.Sprintf("anomaly(%d)", uint8(a))
}

// Numeric reports whether the mode only makes sense for numeric signals.
func (a Anomaly) Numeric() bool {
	return a == AnomalySpike || a == AnomalyDrift || a == AnomalyBurst
}

// ParseAnomaly returns the Anomaly named s.
func ParseAnomaly(s string) (Anomaly, error) {
	for a := AnomalyStuck; a <= AnomalyDropout; a++ {
		if a.String() == s {
			return a, nil
		}
	}
	return AnomalyInvalid, fmt.Errorf("unknown anomaly %q (want stuck, spike, drift, burst or dropout)", s)
}
