package profiles

import (
	"fmt"
	"math"
	"time"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/jsonpoint"
	"github.com/tributary-iot/tributary/protocols/lineproto"
	"github.com/tributary-iot/tributary/protocols/msgpackpoint"
	"github.com/tributary-iot/tributary/protocols/payload"
	"github.com/tributary-iot/tributary/protocols/topic"
)

// Decode turns one payload that arrived on a topic matched as m into points
// appended to dst. In order it: refuses payloads over MaxPayload
// (ErrOversized); decodes them in the profile's encoding with the device and
// stream from the topic (ErrUndecodable); coerces the fields of declared
// signals to their types (ErrBadType); checks each point's time against the
// timestamp window around received (ErrBadTimestamp). A device or stream id
// that models.ValidateDevice or models.ValidateID refuses fails decoding
// with an error that wraps both ErrUndecodable and models.ErrBadID.
//
// It is all or nothing: on any error the result has the length of dst and
// no point of the payload is kept. As with the decoders in protocols/, the
// points in dst's spare capacity are reused. Reason(err) names the failure.
func (p *Profile) Decode(dst []models.Point, m topic.Match, data []byte, received time.Time) ([]models.Point, error) {
	if len(data) > p.MaxPayload {
		return dst, fmt.Errorf("%s: %w: %d bytes, max_payload is %d", p.Name, ErrOversized, len(data), p.MaxPayload)
	}
	c := payload.Context{
		Device:    m.Device,
		Stream:    p.StreamFor(m),
		DeviceTag: p.DeviceTag,
		Received:  received.UnixNano(),
	}
	n := len(dst)
	out, err := p.decode(dst, data, c)
	if err != nil {
		return dst[:n], fmt.Errorf("%s: %w: %w", p.Name, ErrUndecodable, err)
	}
	for i := n; i < len(out); i++ {
		if err := p.check(&out[i], c.Received); err != nil {
			return out[:n], fmt.Errorf("%s: point %d: %w", p.Name, i-n, err)
		}
	}
	return out, nil
}

// decode runs the decoder of the profile's encoding.
func (p *Profile) decode(dst []models.Point, data []byte, c payload.Context) ([]models.Point, error) {
	switch p.Encoding {
	case EncodingLineProtocol:
		return lineproto.Decode(dst, data, c)
	case EncodingJSON:
		return jsonpoint.Decode(dst, data, c)
	case EncodingMsgpack:
		return msgpackpoint.Decode(dst, data, c)
	}
	return dst, fmt.Errorf("no decoder for %s", p.Encoding)
}

// check coerces pt's declared fields and checks its time. (The decoders
// have already checked its ids and keys; see payload.Finish.)
func (p *Profile) check(pt *models.Point, received int64) error {
	if len(p.signals) > 0 {
		for i := range pt.Fields {
			f := &pt.Fields[i]
			j, ok := p.signals[f.Key]
			if !ok {
				continue
			}
			v, err := coerce(f.Value, p.Signals[j].Type)
			if err != nil {
				return fmt.Errorf("%w: field %q: %w", ErrBadType, f.Key, err)
			}
			f.Value = v
		}
	}
	return p.Timestamps.check(pt.Time, received)
}

// check reports whether t (Unix ns) lies in the window around received.
func (w Timestamps) check(t, received int64) error {
	if w.MaxPast > 0 && t < satAdd(received, -int64(w.MaxPast)) {
		return fmt.Errorf("%w: %s is %s before receive time (max_past %s)", ErrBadTimestamp,
			fmtTime(t), fmtGap(received, t), w.MaxPast)
	}
	if w.MaxFuture > 0 && t > satAdd(received, int64(w.MaxFuture)) {
		return fmt.Errorf("%w: %s is %s after receive time (max_future %s)", ErrBadTimestamp,
			fmtTime(t), fmtGap(t, received), w.MaxFuture)
	}
	return nil
}

// satAdd returns a+b, saturating at the int64 limits.
func satAdd(a, b int64) int64 {
	s := a + b
	switch {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a:
		return math.MinInt64
	}
	return s
}

func fmtTime(t int64) string { return time.Unix(0, t).UTC().Format(time.RFC3339Nano) }

// fmtGap renders later-earlier as a duration, or "more than 292 years" when
// the difference overflows.
func fmtGap(later, earlier int64) string {
	d := later - earlier
	if d < 0 {
		return "more than 292 years"
	}
	return time.Duration(d).Round(time.Millisecond).String()
}

// coerce converts v to kind k when that loses nothing: any number to float;
// integral floats and in-range integers to int or uint; 0 and 1 to bool.
// Strings and bools never become numbers, nor numbers strings.
func coerce(v models.Value, k models.Kind) (models.Value, error) {
	if v.Kind() == k {
		return v, nil
	}
	switch k {
	case models.KindFloat:
		switch v.Kind() {
		case models.KindInt:
			return models.Float(float64(v.IntV())), nil
		case models.KindUint:
			return models.Float(float64(v.UintV())), nil
		}
	case models.KindInt:
		switch v.Kind() {
		case models.KindFloat:
			f := v.FloatV()
			// float64(math.MaxInt64) rounds up to 2^63, which is out of range.
			if isIntegral(f) && f >= math.MinInt64 && f < math.MaxInt64 {
				return models.Int(int64(f)), nil
			}
		case models.KindUint:
			if v.UintV() <= math.MaxInt64 {
				return models.Int(int64(v.UintV())), nil
			}
		}
	case models.KindUint:
		switch v.Kind() {
		case models.KindFloat:
			f := v.FloatV()
			if isIntegral(f) && f >= 0 && f < math.MaxUint64 {
				return models.Uint(uint64(f)), nil
			}
		case models.KindInt:
			if v.IntV() >= 0 {
				return models.Uint(uint64(v.IntV())), nil
			}
		}
	case models.KindBool:
		switch v.Kind() {
		case models.KindFloat, models.KindInt, models.KindUint:
			if f := v.FloatV(); f == 0 || f == 1 {
				return models.Bool(f == 1), nil
			}
		}
	}
	return v, fmt.Errorf("%s %s is not a valid %s", v.Kind(), quoteIfString(v), k)
}

func quoteIfString(v models.Value) string {
	if v.Kind() == models.KindString {
		return fmt.Sprintf("%q", v.Str())
	}
	return v.String()
}
