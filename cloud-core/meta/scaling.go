package meta

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"go.etcd.io/bbolt"
)

// bucketRates holds the scaler's rate history: stream name -> JSON Rates.
const bucketRates = "rates"

// Windows are one load measure averaged over the scaler's three windows,
// per second.
type Windows struct {
	Short  float64 `json:"short"`
	Medium float64 `json:"medium"`
	Long   float64 `json:"long"`
}

// SegmentRates is what the scaler knows of one segment's load.
type SegmentRates struct {
	// Points and Bytes are the segment's points/s and stored bytes/s.
	Points Windows `json:"points"`
	Bytes  Windows `json:"bytes"`
	// Observed is how long the averages have been measured (ns), the time
	// a new segment inherited from its predecessors included.
	Observed int64 `json:"observed"`
}

// Rates is the scaler's rate history of one stream, kept so that a
// restart does not forget it.
type Rates struct {
	// At is when the rates were last updated (Unix ns).
	At int64 `json:"at"`
	// Segments holds the rates of the stream's segments by id.
	Segments map[string]SegmentRates `json:"segments"`
}

func (r *Rates) validate() error {
	if r.At < 0 {
		return fmt.Errorf("negative time %d", r.At)
	}
	for id, sr := range r.Segments {
		if !decimalID(id) {
			return fmt.Errorf("segment id %q is not a decimal number", id)
		}
		if sr.Observed < 0 {
			return fmt.Errorf("segment %s: negative observed time", id)
		}
		for _, v := range []float64{sr.Points.Short, sr.Points.Medium, sr.Points.Long, sr.Bytes.Short, sr.Bytes.Medium, sr.Bytes.Long} {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return fmt.Errorf("segment %s: rate %v", id, v)
			}
		}
	}
	return nil
}

func decimalID(id string) bool {
	if id == "" || len(id) > 20 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

func decodeRates(key, val []byte) (Rates, error) {
	var r Rates
	if err := json.Unmarshal(val, &r); err != nil {
		return Rates{}, &CorruptError{Bucket: bucketRates, Key: string(key), Err: err}
	}
	if err := r.validate(); err != nil {
		return Rates{}, &CorruptError{Bucket: bucketRates, Key: string(key), Err: err}
	}
	return r, nil
}

// Rates returns the rate history of every stream that has one.
func (db *DB) Rates() (map[string]Rates, error) {
	out := map[string]Rates{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketRates))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			r, err := decodeRates(k, v)
			out[string(k)] = r
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read rate history: %w", err)
	}
	return out, nil
}

// StreamRates returns the rate history of one stream (zero if it has
// none).
func (db *DB) StreamRates(stream string) (Rates, error) {
	var r Rates
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketRates))
		if b == nil {
			return nil
		}
		v := b.Get([]byte(stream))
		if v == nil {
			return nil
		}
		var err error
		r, err = decodeRates([]byte(stream), v)
		return err
	})
	if err != nil {
		return Rates{}, fmt.Errorf("cannot read rate history of %q: %w", stream, err)
	}
	return r, nil
}

// SaveRates records the rate history of the given streams, replacing
// what they had, in one transaction; other streams keep theirs.
func (db *DB) SaveRates(rates map[string]Rates) error {
	vals := make(map[string][]byte, len(rates))
	for name, r := range rates {
		if name == "" {
			return errors.New("cannot save rates: empty stream name")
		}
		if err := r.validate(); err != nil {
			return fmt.Errorf("cannot save rates of %q: %w", name, err)
		}
		v, err := json.Marshal(&r)
		if err != nil {
			return fmt.Errorf("cannot encode rates of %q: %w", name, err)
		}
		vals[name] = v
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucketRates))
		if err != nil {
			return err
		}
		for name, v := range vals {
			if err := b.Put([]byte(name), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot save rate history: %w", err)
	}
	return nil
}
