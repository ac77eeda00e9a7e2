package frame_test

// Run: go test -run '^$' -bench . -benchmem ./protocols/frame

import (
	"encoding/json"
	"testing"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/frame"
)

// rawJSONBytes is the size of the batch's points as the JSON payloads a
// device would publish (one object per point: time, fields, tags).
func rawJSONBytes(b *models.Batch) int {
	n := 0
	for _, p := range b.Points {
		m := map[string]any{"time": p.Time}
		fields := map[string]any{}
		for _, f := range p.Fields {
			fields[f.Key] = f.Value.Any()
		}
		tags := map[string]string{}
		for _, t := range p.Tags {
			tags[t.Key] = t.Value
		}
		m["fields"], m["tags"] = fields, tags
		j, _ := json.Marshal(m)
		n += len(j)
	}
	return n
}

// BenchmarkEncodeBatch reports wire bytes per point and the ratio to the
// raw JSON payloads of the same points (target: under 0.10).
func BenchmarkEncodeBatch(b *testing.B) {
	in := carBatch(2000, 50, 1)
	for _, n := range []int{100, 2000} {
		sub := models.Batch{Writer: in.Writer, FirstSeq: in.FirstSeq, LastSeq: in.Points[n-1].Seq, Points: in.Points[:n]}
		b.Run("points="+itoa(n), func(b *testing.B) {
			enc, _ := frame.NewEncoder(frame.EncoderOptions{})
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = enc.AppendBatch(buf[:0], &sub)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportMetric(float64(len(buf))/float64(n), "wire_B/point")
			b.ReportMetric(float64(len(buf))/float64(rawJSONBytes(&sub)), "ratio_to_json")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

func BenchmarkDecodeBatch(b *testing.B) {
	in := carBatch(2000, 50, 1)
	enc, _ := frame.NewEncoder(frame.EncoderOptions{})
	data, _ := enc.AppendBatch(nil, &in)
	dec, _ := frame.NewDecoder()
	var out models.Batch
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := dec.DecodeBatch(&out, data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(in.Points))*float64(b.N)/b.Elapsed().Seconds(), "points/s")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
