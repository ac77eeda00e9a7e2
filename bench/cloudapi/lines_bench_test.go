package cloudapi_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tributary-iot/tributary/bench/cloudapi"
)

// BenchmarkLineCounter writes an NDJSON body in 32 KiB chunks, as
// io.Copy does when a read is timed.
//
//	go test -run '^$' -bench LineCounter ./bench/cloudapi
func BenchmarkLineCounter(b *testing.B) {
	var body bytes.Buffer
	for i := 0; body.Len() < 1<<20; i++ {
		fmt.Fprintf(&body, "{\"device\":\"truck-%03d\",\"time\":\"2024-01-01T00:00:%02dZ\",\"speed\":%d.5,\"rpm\":%d}\n", i%500, i%60, i%130, 800+i%3000)
	}
	data := body.Bytes()
	const chunk = 32 << 10
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var lc cloudapi.LineCounter
		for p := data; len(p) > 0; {
			n := min(chunk, len(p))
			_, _ = lc.Write(p[:n])
			p = p[n:]
		}
		if lc.Lines() == 0 {
			b.Fatal("no lines")
		}
	}
}
