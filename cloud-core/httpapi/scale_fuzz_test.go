package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func FuzzDecodeScaleRequest(f *testing.F) {
	for _, s := range []string{
		`{"split":"0"}`, `{"split":"3","parts":4}`, `{"merge":["1","2"]}`, `{}`, `{"split":"0","merge":["1"]}`,
		`{"merge":[]}`, `{"merge":["1"],"parts":2}`, `{"split":"0"} {"split":"1"}`, `{"x":1}`, `[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeScaleRequest(bytes.NewReader(body))
		if err != nil {
			if !errors.Is(err, errBadScaleRequest) {
				t.Fatalf("error %v does not wrap errBadScaleRequest", err)
			}
			return
		}
		if (req.Split == "") == (req.Merge == nil) || req.Merge != nil && (len(req.Merge) == 0 || req.Parts != 0) {
			t.Fatalf("accepted an ambiguous request %+v", req)
		}
		out, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeScaleRequest(bytes.NewReader(out))
		if err != nil || !reflect.DeepEqual(back, req) {
			t.Fatalf("round trip of %s: %+v %v, want %+v", out, back, err, req)
		}
	})
}
