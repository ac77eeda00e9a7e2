package profiles

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tributary-iot/tributary/models"
)

// signals checks the signals list and fills p.Signals and its index.
func (c *checker) signals(e entry, p *Profile) {
	items, ok := c.seq(e)
	if !ok {
		return
	}
	p.signals = make(map[string]int, len(items))
	for i, n := range items {
		path := fmt.Sprintf("signals[%d]", i)
		s, ok := c.signal(n, path, p.RateHz)
		if !ok {
			continue
		}
		if s.Name == p.DeviceTag {
			c.addf(n, path+".name", "%q is the device_tag, not a field", s.Name)
			continue
		}
		if p.Encoding != EncodingLineProtocol && slices.Contains(reservedKeys, s.Name) {
			c.addf(n, path+".name", "%q is a reserved key in %s payloads (%s), not a field", s.Name, p.Encoding, strings.Join(reservedKeys, ", "))
			continue
		}
		if j, dup := p.signals[s.Name]; dup {
			c.addf(n, path+".name", "duplicate signal %q (first at line %d)", s.Name, p.Signals[j].Line)
			continue
		}
		p.signals[s.Name] = len(p.Signals)
		p.Signals = append(p.Signals, s)
	}
}

// signal checks one entry of the signals list. ok is false when the entry
// is too broken to keep (no usable name or type); other problems are
// reported and the signal is still returned so later checks can run.
func (c *checker) signal(n *yaml.Node, path string, defaultRate float64) (s Signal, ok bool) {
	s = Signal{Line: n.Line, RateHz: defaultRate, Decimals: -1}
	f := c.fields(n, path, signalKeys)
	if f == nil {
		return s, false
	}
	c.required(n, f, path, "name", "type")
	if name, ok := c.str(f["name"]); ok {
		if err := validKey(name); err != nil {
			c.addf(f["name"].val, path+".name", "%v", err)
		}
		s.Name = name
	}
	s.Description, _ = c.str(f["description"])
	s.Unit, _ = c.str(f["unit"])
	if t, ok := c.str(f["type"]); ok {
		k, err := models.ParseKind(t)
		if err != nil {
			c.addf(f["type"].val, path+".type", "%v", err)
		}
		s.Type = k
	}
	if s.Name == "" || s.Type == models.KindInvalid {
		return s, false
	}
	numeric := s.Type == models.KindFloat || s.Type == models.KindInt || s.Type == models.KindUint

	if e := f["range"]; e.val != nil {
		if !numeric {
			c.addf(e.key, e.path, "only numeric signals have a range (type is %s)", s.Type)
		} else {
			s.Range = c.signalRange(e, s.Type)
		}
	}
	if e := f["rate_hz"]; e.val != nil {
		if r, ok := c.rate(e); ok {
			s.RateHz = r
		}
	}
	if e := f["noise"]; e.val != nil {
		switch v, ok := c.num(e); {
		case !ok:
		case !numeric:
			c.addf(e.key, e.path, "only numeric signals have noise (type is %s)", s.Type)
		case v < 0:
			c.addf(e.val, e.path, "must not be negative")
		default:
			s.Noise = v
		}
	}
	if e := f["decimals"]; e.val != nil {
		switch d, ok := c.integer(e); {
		case !ok:
		case s.Type != models.KindFloat:
			c.addf(e.key, e.path, "only float signals have decimals (type is %s)", s.Type)
		case d < 0 || d > MaxDecimals:
			c.addf(e.val, e.path, "%d is outside [0, %d]", d, MaxDecimals)
		default:
			s.Decimals = d
		}
	}
	if e := f["anomalies"]; e.val != nil {
		items, _ := c.seq(e)
		for i, it := range items {
			p := fmt.Sprintf("%s[%d]", e.path, i)
			a, err := ParseAnomaly(it.Value)
			switch {
			case it.Kind != yaml.ScalarNode:
				c.addf(it, p, "want an anomaly name, got %s", describe(it))
			case err != nil:
				c.addf(it, p, "%v", err)
			case a.Numeric() && !numeric:
				c.addf(it, p, "%s applies to numeric signals only (type is %s)", a, s.Type)
			case slices.Contains(s.Anomalies, a):
				c.addf(it, p, "duplicate anomaly %q", a)
			default:
				s.Anomalies = append(s.Anomalies, a)
			}
		}
	}
	if e := f["values"]; e.val != nil {
		if s.Type != models.KindString {
			c.addf(e.key, e.path, "only string signals list values (type is %s)", s.Type)
		} else {
			s.Values = c.strList(e)
		}
	}
	return s, true
}

// signalRange checks a [min, max] pair for a signal of type k.
func (c *checker) signalRange(e entry, k models.Kind) *Range {
	items, ok := c.seq(e)
	if !ok {
		return nil
	}
	if len(items) != 2 {
		c.addf(e.val, e.path, "want [min, max], got %d values", len(items))
		return nil
	}
	var b [2]float64
	for i, it := range items {
		v, ok := c.numNode(it, fmt.Sprintf("%s[%d]", e.path, i))
		if !ok {
			return nil
		}
		b[i] = v
	}
	r := &Range{Min: b[0], Max: b[1]}
	switch {
	case r.Min > r.Max:
		c.addf(e.val, e.path, "min %g is above max %g", r.Min, r.Max)
	case k != models.KindFloat && (!isIntegral(r.Min) || !isIntegral(r.Max)):
		c.addf(e.val, e.path, "bounds of %s signals must be whole numbers", k)
	case k == models.KindUint && r.Min < 0:
		c.addf(e.val, e.path, "min %g is below zero for a uint signal", r.Min)
	case k == models.KindInt && (r.Min < math.MinInt64 || r.Max >= math.MaxInt64):
		c.addf(e.val, e.path, "bounds overflow an int signal")
	case k == models.KindUint && r.Max >= math.MaxUint64:
		c.addf(e.val, e.path, "max overflows a uint signal")
	default:
		return r
	}
	return nil
}
