package profiles

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/topic"
)

// MaxFileSize is the largest profile file Parse reads.
const MaxFileSize = 1 << 20

// maxNameLen bounds profile names, signal names and tag keys.
const maxNameLen = 64

var (
	profileKeys   = []string{"name", "description", "topic", "encoding", "stream", "device_tag", "priority", "max_payload", "timestamps", "rate_hz", "tags", "signals"}
	timestampKeys = []string{"max_past", "max_future"}
	signalKeys    = []string{"name", "description", "unit", "type", "range", "rate_hz", "noise", "decimals", "anomalies", "values"}
)

// Parse reads one profile from data, a YAML document. file names the
// source in error messages. It returns every problem found, each a
// *ValidationError, joined with errors.Join.
func Parse(file string, data []byte) (*Profile, error) {
	c := &checker{file: file}
	p := c.parse(data)
	if len(c.errs) > 0 {
		slices.SortStableFunc(c.errs, func(a, b *ValidationError) int { return cmp.Compare(a.Line, b.Line) })
		errs := make([]error, len(c.errs))
		for i, e := range c.errs {
			errs[i] = e
		}
		return nil, errors.Join(errs...)
	}
	p.File = file
	return p, nil
}

func (c *checker) parse(data []byte) *Profile {
	if len(data) > MaxFileSize {
		c.addf(nil, "", "file is larger than %s", formatSize(MaxFileSize))
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			c.addf(nil, "", "empty file: want a profile mapping")
		} else {
			c.syntaxError(err)
		}
		return nil
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		line := 0
		if err == nil {
			line = more.Line
		}
		c.errs = append(c.errs, &ValidationError{File: c.file, Line: line, Msg: "more than one YAML document: want one profile per file"})
		return nil
	}
	if len(doc.Content) != 1 || !c.noAliases(doc.Content[0]) {
		if len(doc.Content) != 1 {
			c.addf(&doc, "", "empty file: want a profile mapping")
		}
		return nil
	}
	return c.profile(doc.Content[0])
}

// profile checks the top-level mapping and builds the Profile.
func (c *checker) profile(n *yaml.Node) *Profile {
	f := c.fields(n, "", profileKeys)
	if f == nil {
		return nil
	}
	p := &Profile{
		Priority:   models.PriorityNormal,
		MaxPayload: DefaultMaxPayload,
		Timestamps: Timestamps{MaxPast: DefaultMaxPast, MaxFuture: DefaultMaxFuture},
		RateHz:     DefaultRateHz,
	}
	c.required(n, f, "", "name", "topic", "encoding")

	if s, ok := c.str(f["name"]); ok {
		if err := validName(s); err != nil {
			c.addf(f["name"].val, "name", "%v", err)
		}
		p.Name = s
	}
	p.Description, _ = c.str(f["description"])
	if s, ok := c.str(f["encoding"]); ok {
		enc, err := ParseEncoding(s)
		if err != nil {
			c.addf(f["encoding"].val, "encoding", "%v", err)
		}
		p.Encoding = enc
	}
	if s, ok := c.str(f["device_tag"]); ok && s != "" {
		if err := validKey(s); err != nil {
			c.addf(f["device_tag"].val, "device_tag", "%v", err)
		}
		p.DeviceTag = s
	}
	if s, ok := c.str(f["stream"]); ok {
		if err := models.ValidateID("stream", s); err != nil {
			c.addf(f["stream"].val, "stream", "%v", err)
		}
		p.Stream = s
	}
	if s, ok := c.str(f["topic"]); ok {
		p.Topic = s
		c.topic(f, p)
	}
	if s, ok := c.str(f["priority"]); ok {
		pr, err := models.ParsePriority(s)
		if err != nil {
			c.addf(f["priority"].val, "priority", "%v", err)
		}
		p.Priority = pr
	}
	if e := f["max_payload"]; e.val != nil {
		c.maxPayload(e, p)
	}
	if e := f["timestamps"]; e.val != nil {
		c.timestamps(e, p)
	}
	if e := f["rate_hz"]; e.val != nil {
		if r, ok := c.rate(e); ok {
			p.RateHz = r
		}
	}
	if e := f["tags"]; e.val != nil {
		p.Tags = c.tags(e, p.DeviceTag)
	}
	if e := f["signals"]; e.val != nil {
		c.signals(e, p)
	}
	return p
}

// reservedKeys are the top-level keys that JSON and msgpack records use for
// other things than fields (see package jsonpoint): a signal cannot have
// these names.
var reservedKeys = []string{"time", "ts", "timestamp", "device", "stream", "fields", "tags"}

// required reports each key of keys that the mapping n at path lacks (or
// whose value is null).
func (c *checker) required(n *yaml.Node, f map[string]entry, path string, keys ...string) {
	for _, k := range keys {
		if e, ok := f[k]; !ok || e.val == nil {
			at := n
			if ok {
				at = e.key
			}
			c.addf(at, join(path, k), "required")
		}
	}
}

// topic compiles the pattern and checks that the device and the stream are
// named somehow, and not in two places that would be ignored.
func (c *checker) topic(f map[string]entry, p *Profile) {
	e := f["topic"]
	pat, err := topic.Compile(p.Topic)
	if err != nil {
		c.addf(e.val, "topic", "%v", err)
		return
	}
	p.pattern = pat
	if !pat.HasDevice() && p.DeviceTag == "" {
		c.addf(e.val, "topic", "has no {device}: add {device} to the topic or set device_tag")
	}
	hasStream := pat.HasStream()
	switch {
	case p.Encoding == EncodingInvalid:
	case p.Encoding == EncodingLineProtocol && hasStream:
		c.addf(e.val, "topic", "{stream} is not used with line-protocol: the measurement of each line names the stream")
	case p.Encoding == EncodingLineProtocol && p.Stream != "":
		c.addf(f["stream"].key, "stream", "not used with line-protocol: the measurement of each line names the stream")
	case !hasStream && p.Stream == "" && p.Encoding != EncodingLineProtocol:
		c.addf(e.key, "stream", "required: the topic has no {stream} and %s payloads do not name their stream", p.Encoding)
	}
}

func (c *checker) maxPayload(e entry, p *Profile) {
	var s string
	if e.val.Kind == yaml.ScalarNode {
		s = e.val.Value
	}
	n, err := parseSize(s)
	switch {
	case e.val.Kind != yaml.ScalarNode:
		c.addf(e.val, e.path, "want a byte size, got %s", describe(e.val))
	case err != nil:
		c.addf(e.val, e.path, "%v", err)
	case n <= 0:
		c.addf(e.val, e.path, "must be above zero")
	case n > MaxMaxPayload:
		c.addf(e.val, e.path, "%s is above the limit of %s", s, formatSize(MaxMaxPayload))
	default:
		p.MaxPayload = int(n)
	}
}

func (c *checker) timestamps(e entry, p *Profile) {
	f := c.fields(e.val, e.path, timestampKeys)
	bounds := []struct {
		key string
		dst *time.Duration
	}{{"max_past", &p.Timestamps.MaxPast}, {"max_future", &p.Timestamps.MaxFuture}}
	for _, b := range bounds {
		s, ok := c.str(f[b.key])
		if !ok {
			continue
		}
		fe := f[b.key]
		d, err := parseDuration(s)
		if err == nil && d < 0 {
			err = errors.New("must not be negative (0 turns the check off)")
		}
		if err != nil {
			c.addf(fe.val, fe.path, "%v", err)
			continue
		}
		*b.dst = d
	}
}

func (c *checker) rate(e entry) (float64, bool) {
	r, ok := c.num(e)
	if !ok {
		return 0, false
	}
	if r <= 0 || r > MaxRateHz {
		c.addf(e.val, e.path, "%g is outside (0, %g]", r, MaxRateHz)
		return 0, false
	}
	return r, true
}

func (c *checker) tags(e entry, deviceTag string) []models.Tag {
	if e.val.Kind != yaml.MappingNode {
		c.addf(e.val, e.path, "want a mapping of tag names to values, got %s", describe(e.val))
		return nil
	}
	var tags []models.Tag
	for i := 0; i+1 < len(e.val.Content); i += 2 {
		k, v := e.val.Content[i], e.val.Content[i+1]
		p := join(e.path, k.Value)
		if err := validKey(k.Value); k.Kind != yaml.ScalarNode || err != nil {
			if err == nil {
				err = fmt.Errorf("want a plain key, got %s", describe(k))
			}
			c.addf(k, p, "%v", err)
			continue
		}
		if slices.ContainsFunc(tags, func(t models.Tag) bool { return t.Key == k.Value }) {
			c.addf(k, p, "duplicate tag")
			continue
		}
		if k.Value == deviceTag {
			c.addf(k, p, "the device_tag cannot be a static tag: it carries each device's own id")
			continue
		}
		if v.Kind != yaml.ScalarNode || isNull(v) || v.Value == "" {
			c.addf(v, p, "want a non-empty value, got %s", describe(v))
			continue
		}
		tags = append(tags, models.Tag{Key: k.Value, Value: v.Value})
	}
	slices.SortFunc(tags, func(a, b models.Tag) int { return strings.Compare(a.Key, b.Key) })
	return tags
}

// validName checks a profile name: letters, digits and '-'.
func validName(s string) error {
	if s == "" || len(s) > maxNameLen {
		return fmt.Errorf("want 1 to %d letters, digits or '-'", maxNameLen)
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '-' {
			return fmt.Errorf("%q has %q (allowed: letters, digits, '-')", s, s[i])
		}
	}
	return nil
}

// validKey checks a signal name or tag key: a letter or '_' first, then
// letters, digits, '_', '-' or '.'. Such keys need no escaping in line
// protocol and make plain column names.
func validKey(s string) error {
	if s == "" || len(s) > maxNameLen {
		return fmt.Errorf("want 1 to %d letters, digits, '_', '-' or '.'", maxNameLen)
	}
	if !isAlpha(s[0]) && s[0] != '_' {
		return fmt.Errorf("%q must start with a letter or '_'", s)
	}
	for i := 1; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.' {
			return fmt.Errorf("%q has %q (allowed: letters, digits, '_', '-', '.')", s, s[i])
		}
	}
	return nil
}

func isAlpha(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
func isAlnum(b byte) bool { return isAlpha(b) || b >= '0' && b <= '9' }

// isIntegral reports whether f has no fractional part.
func isIntegral(f float64) bool { return f == math.Trunc(f) }
