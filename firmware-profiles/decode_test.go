package profiles_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"

	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/payload"
	"github.com/tributary-iot/tributary/protocols/topic"
)

// recv is the receive time the decode tests use.
var recv = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// ms returns recv shifted by d, in Unix milliseconds.
func ms(d time.Duration) int64 { return recv.Add(d).UnixMilli() }

func field(k string, v models.Value) models.Field { return models.Field{Key: k, Value: v} }

// TestDecodeBuiltinRoundTrip encodes a realistic point per built-in with the
// profile's own encoder and decodes it back through the set.
func TestDecodeBuiltinRoundTrip(t *testing.T) {
	set := builtinSet(t)
	at := recv.Add(-1500 * time.Millisecond).UnixNano()
	tests := []struct {
		profile, stream string
		pt              models.Point
	}{
		{"passenger-car", "", models.Point{Device: "veh-0001", Stream: "vehicle-telemetry", Time: at,
			Fields: []models.Field{
				field("battery_v", models.Float(14.12)), field("coolant_temp_c", models.Int(91)),
				field("gear", models.Int(-1)), field("lat", models.Float(48.137154)),
				field("lon", models.Float(11.576124)), field("odometer_km", models.Float(48213.7)),
				field("rpm", models.Uint(2150)), field("speed_kmh", models.Float(52.5)),
				field("throttle_pct", models.Float(18.4)),
			},
			Tags: []models.Tag{{Key: "class", Value: "passenger-car"}, {Key: "firmware", Value: "3.8.2"}}}},
		{"heavy-truck", "", models.Point{Device: "trk-0042", Stream: "truck-telemetry", Time: at,
			Fields: []models.Field{
				field("accel_pedal_pct", models.Float(36.4)), field("battery_potential", models.Float(27.65)),
				field("boost_pressure", models.Uint(182)), field("coolant_temp", models.Int(88)),
				field("current_gear", models.Int(11)), field("drive_axle_weight", models.Float(10840.5)),
				field("engine_load_pct", models.Uint(63)), field("engine_speed", models.Float(1387.125)),
				field("fuel_level_pct", models.Float(58.8)), field("fuel_rate", models.Float(31.45)),
				field("oil_pressure", models.Uint(412)), field("total_distance", models.Float(812334.125)),
				field("vehicle_speed", models.Float(84.5)),
			}}},
		{"ev-battery", "", models.Point{Device: "ev-7", Stream: "ev-battery", Time: at,
			Fields: []models.Field{
				field("cell_voltage_max", models.Float(4.012)), field("cell_voltage_min", models.Float(3.987)),
				field("charge_state", models.String("dc-charging")), field("contactors_closed", models.Bool(true)),
				field("isolation_kohm", models.Uint(4200)), field("pack_current", models.Float(-212.4)),
				field("pack_temp_c", models.Float(31.5)), field("pack_voltage", models.Float(383.9)),
				field("soc_pct", models.Float(46.2)),
			}}},
		{"line-protocol", "", models.Point{Device: "gw-1", Stream: "env", Time: at,
			Fields: []models.Field{field("hum_pct", models.Int(40)), field("temp_c", models.Float(21.5))},
			Tags:   []models.Tag{{Key: "site", Value: "plant-3"}}}},
		{"json", "pressure", models.Point{Device: "pump-17", Stream: "pressure", Time: at,
			Fields: []models.Field{field("bar", models.Float(3.2)), field("ok", models.Bool(true))}}},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			p, ok := set.Get(tt.profile)
			if !ok {
				t.Fatalf("no profile %s", tt.profile)
			}
			data, err := p.AppendPayload(nil, &tt.pt)
			if err != nil {
				t.Fatal(err)
			}
			topic, err := p.FormatTopic(tt.pt.Device, tt.stream)
			if err != nil {
				t.Fatal(err)
			}
			got, q, err := set.Decode(nil, topic, data, recv)
			if err != nil {
				t.Fatalf("Decode(%s, %q): %v", topic, data, err)
			}
			if q != p {
				t.Fatalf("topic %s matched %s", topic, q.Name)
			}
			want := tt.pt.Clone()
			want.Received = recv.UnixNano()
			if len(got) != 1 || !got[0].Equal(&want) {
				t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// TestDecodeRealisticPayloads decodes payloads shaped the way firmware
// writes them (flat records, batches, numeric epochs) rather than the
// encoders' structured form.
func TestDecodeRealisticPayloads(t *testing.T) {
	set := builtinSet(t)

	truck := msgp.AppendMapHeader(nil, 6)
	truck = msgp.AppendString(truck, "ts")
	truck = msgp.AppendInt64(truck, ms(-2*time.Second))
	truck = msgp.AppendString(truck, "engine_speed")
	truck = msgp.AppendFloat32(truck, 1450.5)
	truck = msgp.AppendString(truck, "engine_load_pct")
	truck = msgp.AppendInt(truck, 71) // a signed fixint for a uint signal
	truck = msgp.AppendString(truck, "coolant_temp")
	truck = msgp.AppendUint8(truck, 92) // an unsigned int for an int signal
	truck = msgp.AppendString(truck, "oil_pressure")
	truck = msgp.AppendFloat64(truck, 388) // a whole float for a uint signal
	truck = msgp.AppendString(truck, "tags")
	truck = msgp.AppendMapHeader(truck, 1)
	truck = msgp.AppendString(truck, "trailer")
	truck = msgp.AppendString(truck, "TRL-881")

	tests := []struct {
		name, topic string
		data        []byte
		want        []models.Point
	}{
		{"passenger-car flat JSON", "vehicles/veh-0001/telemetry",
			[]byte(fmt.Sprintf(`{"time": %d, "speed_kmh": 52.5, "rpm": 2150, "throttle_pct": 18.4, "gear": 3, "coolant_temp_c": 91.0}`, ms(-100*time.Millisecond))),
			[]models.Point{{Device: "veh-0001", Stream: "vehicle-telemetry", Time: recv.Add(-100 * time.Millisecond).UnixNano(),
				Fields: []models.Field{field("coolant_temp_c", models.Int(91)), field("gear", models.Int(3)), field("rpm", models.Uint(2150)),
					field("speed_kmh", models.Float(52.5)), field("throttle_pct", models.Float(18.4))}}}},
		{"ev-battery batch", "vehicles/ev-7/bms",
			[]byte(fmt.Sprintf(`[{"ts": %d, "pack_voltage": 383.9, "pack_current": -212.4, "contactors_closed": 1},
			  {"ts": %d, "pack_voltage": 384.0, "charge_state": "dc-charging", "isolation_kohm": 4200, "contactors_closed": true}]`,
				ms(-200*time.Millisecond), ms(-100*time.Millisecond))),
			[]models.Point{
				{Device: "ev-7", Stream: "ev-battery", Time: recv.Add(-200 * time.Millisecond).UnixNano(),
					Fields: []models.Field{field("contactors_closed", models.Bool(true)), field("pack_current", models.Float(-212.4)), field("pack_voltage", models.Float(383.9))}},
				{Device: "ev-7", Stream: "ev-battery", Time: recv.Add(-100 * time.Millisecond).UnixNano(),
					Fields: []models.Field{field("charge_state", models.String("dc-charging")), field("contactors_closed", models.Bool(true)),
						field("isolation_kohm", models.Uint(4200)), field("pack_voltage", models.Float(384))}},
			}},
		{"heavy-truck flat msgpack", "trucks/trk-9/j1939", truck,
			[]models.Point{{Device: "trk-9", Stream: "truck-telemetry", Time: recv.Add(-2 * time.Second).UnixNano(),
				Fields: []models.Field{field("coolant_temp", models.Int(92)), field("engine_load_pct", models.Uint(71)),
					field("engine_speed", models.Float(1450.5)), field("oil_pressure", models.Uint(388))},
				Tags: []models.Tag{{Key: "trailer", Value: "TRL-881"}}}}},
		{"line protocol, two streams", "lp/gw-1",
			[]byte(fmt.Sprintf("env,site=plant-3 temp_c=21.5,hum_pct=40i %d\npower,site=plant-3 kw=12.75 %d\n", recv.UnixNano()-1e9, recv.UnixNano())),
			[]models.Point{
				{Device: "gw-1", Stream: "env", Time: recv.UnixNano() - 1e9,
					Fields: []models.Field{field("hum_pct", models.Int(40)), field("temp_c", models.Float(21.5))}, Tags: []models.Tag{{Key: "site", Value: "plant-3"}}},
				{Device: "gw-1", Stream: "power", Time: recv.UnixNano(),
					Fields: []models.Field{field("kw", models.Float(12.75))}, Tags: []models.Tag{{Key: "site", Value: "plant-3"}}},
			}},
		{"json without time", "json/pump-17/pressure", []byte(`{"bar": 3.2, "gps": {"lat": 48.1}}`),
			[]models.Point{{Device: "pump-17", Stream: "pressure", Time: recv.UnixNano(),
				Fields: []models.Field{field("bar", models.Float(3.2)), field("gps_lat", models.Float(48.1))}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := set.Decode(nil, tt.topic, tt.data, recv)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d points, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				tt.want[i].Received = recv.UnixNano()
				if !got[i].Equal(&tt.want[i]) {
					t.Errorf("point %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestDecodeOversized(t *testing.T) {
	p := mustParse(t, "small", "s/{device}", "encoding: line-protocol\nmax_payload: 100B")
	line := fmt.Sprintf("env v=1 %d\n", recv.UnixNano())
	atLimit := line + "#" + strings.Repeat("x", 100-len(line)-2) + "\n"
	if len(atLimit) != 100 {
		t.Fatalf("test payload has %d bytes", len(atLimit))
	}
	m := topic.Match{Device: "d"}
	if pts, err := p.Decode(nil, m, []byte(atLimit), recv); err != nil || len(pts) != 1 {
		t.Fatalf("payload at the limit: %d points, %v", len(pts), err)
	}
	over := []byte(atLimit + "\n")
	pts, err := p.Decode(nil, m, over, recv)
	if !errors.Is(err, profiles.ErrOversized) || profiles.Reason(err) != "oversized" || len(pts) != 0 {
		t.Errorf("101 bytes: %d points, err %v (reason %q)", len(pts), err, profiles.Reason(err))
	}
	if want := "small: payload too large: 101 bytes, max_payload is 100"; err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestDecodeTimestampWindow(t *testing.T) {
	lp := func(past, future string) *profiles.Profile {
		return mustParse(t, "tw", "tw/{device}", fmt.Sprintf("encoding: line-protocol\ntimestamps: {max_past: %s, max_future: %s}", past, future))
	}
	tests := []struct {
		p      *profiles.Profile
		offset time.Duration
		ok     bool
	}{
		{lp("1h", "5m"), 0, true},
		{lp("1h", "5m"), -time.Hour, true},
		{lp("1h", "5m"), -time.Hour - time.Nanosecond, false},
		{lp("1h", "5m"), 5 * time.Minute, true},
		{lp("1h", "5m"), 5*time.Minute + time.Nanosecond, false},
		{lp("1h", "5m"), -24 * 365 * time.Hour, false},
		{lp("0", "5m"), -24 * 365 * 50 * time.Hour, true}, // max_past off
		{lp("1h", "0"), 24 * 365 * time.Hour, true},       // max_future off
		{lp("7d", "1s"), -7*24*time.Hour + time.Second, true},
	}
	for _, tt := range tests {
		at := recv.Add(tt.offset).UnixNano()
		data := fmt.Sprintf("env v=1 %d\nenv v=2 %d\n", recv.UnixNano(), at)
		dst := []models.Point{{Device: "keep"}}
		got, err := tt.p.Decode(dst, topic.Match{Device: "d"}, []byte(data), recv)
		if tt.ok != (err == nil) {
			t.Errorf("window %v/%v, offset %v: err %v", tt.p.Timestamps.MaxPast, tt.p.Timestamps.MaxFuture, tt.offset, err)
			continue
		}
		if tt.ok {
			if len(got) != 3 || got[2].Time != at {
				t.Errorf("offset %v: got %+v", tt.offset, got)
			}
			continue
		}
		if !errors.Is(err, profiles.ErrBadTimestamp) || profiles.Reason(err) != "timestamp" {
			t.Errorf("offset %v: error %v is not a timestamp error", tt.offset, err)
		}
		if len(got) != 1 || got[0].Device != "keep" {
			t.Errorf("offset %v: failed decode changed dst: %+v", tt.offset, got)
		}
		if !strings.Contains(err.Error(), "point 1: ") {
			t.Errorf("error %q does not name the point", err)
		}
	}
	// The error reads well.
	_, err := lp("1h", "5m").Decode(nil, topic.Match{Device: "d"}, []byte(fmt.Sprintf("env v=1 %d", recv.Add(-90*time.Minute).UnixNano())), recv)
	want := "tw: point 0: timestamp out of window: 2026-11-25T10:30:00Z is 1h30m0s before receive time (max_past 1h0m0s)"
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestDecodeCoercion(t *testing.T) {
	p, err := profiles.Parse("coerce.yaml", []byte(`
name: coerce
topic: c/{device}
encoding: json
stream: s
signals:
  - {name: f, type: float}
  - {name: i, type: int}
  - {name: u, type: uint}
  - {name: b, type: bool}
  - {name: s, type: string}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		json string
		want models.Value // invalid: type_mismatch expected
	}{
		{`"f": 1.5`, models.Float(1.5)},
		{`"f": 2`, models.Float(2)},
		{`"f": true`, models.Value{}},
		{`"f": "1.5"`, models.Value{}},
		{`"i": 52.0`, models.Int(52)},
		{`"i": -7`, models.Int(-7)},
		{`"i": 52.5`, models.Value{}},
		{`"i": 1e19`, models.Value{}},
		{`"i": -9223372036854775808`, models.Int(-9223372036854775808)},
		{`"i": "52"`, models.Value{}},
		{`"u": 0`, models.Uint(0)},
		{`"u": 4294967296`, models.Uint(4294967296)},
		{`"u": -1`, models.Value{}},
		{`"u": 0.5`, models.Value{}},
		{`"u": 1.8446744073709552e19`, models.Value{}},
		{`"b": true`, models.Bool(true)},
		{`"b": 0`, models.Bool(false)},
		{`"b": 1`, models.Bool(true)},
		{`"b": 2`, models.Value{}},
		{`"b": "true"`, models.Value{}},
		{`"s": "D"`, models.String("D")},
		{`"s": 5`, models.Value{}},
		{`"s": false`, models.Value{}},
		{`"other": 5`, models.Float(5)}, // undeclared: as decoded
	}
	for _, tt := range tests {
		data := []byte(`{"x": 1, ` + tt.json + `}`)
		key := strings.Trim(strings.SplitN(tt.json, ":", 2)[0], `"`)
		got, err := p.Decode(nil, topic.Match{Device: "d"}, data, recv)
		if !tt.want.IsValid() {
			if !errors.Is(err, profiles.ErrBadType) || profiles.Reason(err) != "type_mismatch" || len(got) != 0 {
				t.Errorf("%s: got %v, %v; want a type mismatch", tt.json, got, err)
			} else if !strings.Contains(err.Error(), fmt.Sprintf("field %q", key)) {
				t.Errorf("%s: error %q does not name the field", tt.json, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.json, err)
			continue
		}
		if v, _ := got[0].Field(key); v != tt.want {
			t.Errorf("%s: got %s %v, want %s %v", tt.json, v.Kind(), v, tt.want.Kind(), tt.want)
		}
	}

	// Line protocol keeps its number kinds, and they coerce too.
	lp := mustParse(t, "coerce-lp", "clp/{device}", "encoding: line-protocol\nsignals: [{name: i, type: int}, {name: f, type: float}, {name: u, type: uint}]")
	got, err := lp.Decode(nil, topic.Match{Device: "d"}, []byte("m i=7u,f=3i,u=9i"), recv)
	if err != nil {
		t.Fatal(err)
	}
	want := []models.Field{field("f", models.Float(3)), field("i", models.Int(7)), field("u", models.Uint(9))}
	if len(got) != 1 || fmt.Sprint(got[0].Fields) != fmt.Sprint(want) {
		t.Errorf("got %+v, want fields %+v", got, want)
	}
	if _, err := lp.Decode(nil, topic.Match{Device: "d"}, []byte("m i=18446744073709551615u"), recv); !errors.Is(err, profiles.ErrBadType) {
		t.Errorf("uint above MaxInt64 as int: %v", err)
	}
}

// TestDecodeAllOrNothing checks that a bad record anywhere in a payload
// keeps every point of it out, and leaves dst as it was.
func TestDecodeAllOrNothing(t *testing.T) {
	set := builtinSet(t)
	prior := models.Point{Device: "earlier", Stream: "s", Fields: []models.Field{field("v", models.Float(1))}}
	tests := []struct {
		name, topic, data, reason string
	}{
		{"type in last record", "vehicles/v1/telemetry", `[{"rpm": 1}, {"rpm": 2}, {"rpm": 2.5}]`, "type_mismatch"},
		{"time in middle record", "vehicles/v1/telemetry", fmt.Sprintf(`[{"rpm": 1}, {"ts": %d, "rpm": 2}, {"rpm": 3}]`, ms(-30*24*time.Hour)), "timestamp"},
		{"syntax", "vehicles/v1/telemetry", `[{"rpm": 1}, {"rpm": }]`, "undecodable"},
		{"no fields", "json/d/s", `{"time": 1}`, "undecodable"},
		{"empty", "json/d/s", ``, "undecodable"},
		{"bad stream from topic", "json/d/a.b", `{"v": 1}`, "bad_id"},
		{"bad line", "lp/gw", "env v=1\nenv v=\n", "undecodable"},
		{"unknown topic", "nowhere/d", `{"v": 1}`, "unknown_topic"},
	}
	for _, tt := range tests {
		dst := make([]models.Point, 1, 8)
		dst[0] = prior.Clone()
		got, _, err := set.Decode(dst, tt.topic, []byte(tt.data), recv)
		if err == nil {
			t.Errorf("%s: decoded %+v", tt.name, got)
			continue
		}
		if r := profiles.Reason(err); r != tt.reason {
			t.Errorf("%s: reason %q, want %q (%v)", tt.name, r, tt.reason, err)
		}
		if len(got) != 1 || !got[0].Equal(&prior) {
			t.Errorf("%s: dst changed to %+v", tt.name, got)
		}
	}
}

func TestReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{profiles.ErrOversized, "oversized"},
		{fmt.Errorf("car: %w: 9 bytes", profiles.ErrOversized), "oversized"},
		{fmt.Errorf("car: %w: %w", profiles.ErrUndecodable, &payload.Error{Format: "json", Err: payload.ErrSyntax}), "undecodable"},
		{fmt.Errorf("car: %w: %w", profiles.ErrUndecodable, &payload.Error{Format: "json", Err: models.ErrBadID}), "bad_id"},
		{fmt.Errorf("x: %w", profiles.ErrBadTimestamp), "timestamp"},
		{profiles.ErrBadType, "type_mismatch"},
		{profiles.ErrUnknownTopic, "unknown_topic"},
		{errors.New("disk on fire"), "other"},
		{os.ErrNotExist, "other"},
	}
	for _, tt := range tests {
		if got := profiles.Reason(tt.err); got != tt.want {
			t.Errorf("Reason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestDecodeReusesDst decodes into a slice with spare capacity holding
// earlier points, as the agent's hot path does.
func TestDecodeReusesDst(t *testing.T) {
	set := builtinSet(t)
	var buf []models.Point
	for i := range 3 {
		data := fmt.Sprintf(`{"speed_kmh": %d, "rpm": %d}`, 50+i, 2000+i)
		var err error
		buf, _, err = set.Decode(buf[:0], "vehicles/v1/telemetry", []byte(data), recv)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := buf[0].Field("rpm"); len(buf) != 1 || v != models.Uint(uint64(2000+i)) {
			t.Fatalf("round %d: %+v", i, buf)
		}
	}
}
