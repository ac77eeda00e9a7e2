package locallog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/tinylib/msgp/msgp"

	"github.com/tributary-iot/tributary/models"
)

// A stored point is its msgp encoding (models.Point.MarshalMsg, a tuple
// whose last two fields are Seq and Received). The log encodes Seq as a
// fixed 9-byte msgpack uint64 (0xcf + 8 bytes big-endian) so that Append
// can encode points in the caller's goroutine and the committer only writes
// the 8 seq bytes in place once it assigns seqs. Decoders see a normal
// msgpack uint64.

const (
	seqFieldLen = 9 // 0xcf + uint64
	msgpUint64  = 0xcf
)

// errSeqLayout means models.Point's encoding no longer ends in Seq,
// Received; it is a programming error caught by tests.
var errSeqLayout = errors.New("BUG: point encoding does not end with seq and received")

// appendPoint appends p's encoding with a zero fixed-width seq to dst and
// returns it with the offset (within the appended bytes) of the 8 seq bytes.
func appendPoint(dst []byte, p *models.Point) ([]byte, int, error) {
	start := len(dst)
	seq := p.Seq
	p.Seq = 0
	b, err := p.MarshalMsg(dst)
	p.Seq = seq
	if err != nil {
		return dst, 0, err
	}
	var tmp [9]byte // the longest msgpack int64
	recvLen := len(msgp.AppendInt64(tmp[:0], p.Received))
	at := len(b) - recvLen - 1 // the 1-byte encoding of seq 0
	if at <= start || b[at] != 0x00 {
		return dst, 0, errSeqLayout
	}
	b = append(b[:at], msgpUint64, 0, 0, 0, 0, 0, 0, 0, 0)
	b = msgp.AppendInt64(b, p.Received)
	return b, at + 1 - start, nil
}

// putSeq writes seq into an encoding made by appendPoint.
func putSeq(enc []byte, seqOff int, seq uint64) {
	binary.BigEndian.PutUint64(enc[seqOff:], seq)
}

// pointTail decodes the Seq and Received of an encoded point without
// decoding the rest.
func pointTail(v []byte) (seq uint64, received int64, err error) {
	n, b, err := msgp.ReadArrayHeaderBytes(v)
	if err != nil {
		return 0, 0, err
	}
	if n != 8 {
		return 0, 0, msgp.ArrayError{Wanted: 8, Got: n}
	}
	for range 6 {
		if b, err = msgp.Skip(b); err != nil {
			return 0, 0, err
		}
	}
	if seq, b, err = msgp.ReadUint64Bytes(b); err != nil {
		return 0, 0, err
	}
	received, _, err = msgp.ReadInt64Bytes(b)
	return seq, received, err
}

// DeadLetter is a message the agent could not take in, kept for
// inspection. The log truncates Topic, Reason, Error and Payload (see
// AddDeadLetter); PayloadSize keeps the payload's original length.
type DeadLetter struct {
	// ID is assigned by the log: dead letters are numbered in arrival order.
	ID uint64 `json:"id"`
	// Time is when the message arrived.
	Time time.Time `json:"time"`
	// Topic is the MQTT topic it came on.
	Topic string `json:"topic"`
	// Reason is a short machine-readable cause ("undecodable", "oversized",
	// "unknown-topic", ...); dead letters are counted by it.
	Reason string `json:"reason"`
	// Error is the human-readable error, if any.
	Error string `json:"error,omitempty"`
	// Payload is the start of the message body.
	Payload []byte `json:"payload"`
	// PayloadSize is the length of the whole body.
	PayloadSize int `json:"payload_size"`
}

// Limits on what a dead letter keeps, for 8 KiB pages. Smaller pages
// shrink the payload limit (see geometry.dlPayloadMax).
const (
	dlTopicMax   = 256
	dlReasonMax  = 64
	dlErrorMax   = 256
	dlPayloadMax = 1024
	dlFields     = 6
	// dlOverhead bounds the msgpack framing of a dead letter.
	dlOverhead = 1 + 9 + 3*3 + 5 + 9
)

// truncUTF8 cuts s to at most n bytes, at a rune boundary.
func truncUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// normalize truncates d to the limits, keeping the payload's size.
func (d DeadLetter) normalize(payloadMax int) DeadLetter {
	if d.PayloadSize < len(d.Payload) {
		d.PayloadSize = len(d.Payload)
	}
	d.Topic = truncUTF8(d.Topic, dlTopicMax)
	d.Reason = truncUTF8(d.Reason, dlReasonMax)
	if d.Reason == "" {
		d.Reason = "unknown"
	}
	d.Error = truncUTF8(d.Error, dlErrorMax)
	if len(d.Payload) > payloadMax {
		d.Payload = d.Payload[:payloadMax]
	}
	return d
}

// appendDeadLetter appends the encoding of d (without its ID, which is the
// key) to dst: a msgpack array [time ns, topic, reason, error, payload,
// payload size].
func appendDeadLetter(dst []byte, d *DeadLetter) []byte {
	dst = msgp.AppendArrayHeader(dst, dlFields)
	dst = msgp.AppendInt64(dst, d.Time.UnixNano())
	dst = msgp.AppendString(dst, d.Topic)
	dst = msgp.AppendString(dst, d.Reason)
	dst = msgp.AppendString(dst, d.Error)
	dst = msgp.AppendBytes(dst, d.Payload)
	return msgp.AppendInt(dst, d.PayloadSize)
}

// decodeDeadLetter decodes an encoding made by appendDeadLetter. Later
// versions may append fields; they are skipped.
func decodeDeadLetter(b []byte) (DeadLetter, error) {
	var d DeadLetter
	n, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return d, fmt.Errorf("dead letter: %w", err)
	}
	if n < dlFields {
		return d, fmt.Errorf("dead letter: %w", msgp.ArrayError{Wanted: dlFields, Got: n})
	}
	var ns int64
	if ns, b, err = msgp.ReadInt64Bytes(b); err != nil {
		return d, fmt.Errorf("dead letter time: %w", err)
	}
	d.Time = time.Unix(0, ns)
	if d.Topic, b, err = msgp.ReadStringBytes(b); err != nil {
		return d, fmt.Errorf("dead letter topic: %w", err)
	}
	if d.Reason, b, err = msgp.ReadStringBytes(b); err != nil {
		return d, fmt.Errorf("dead letter reason: %w", err)
	}
	if d.Error, b, err = msgp.ReadStringBytes(b); err != nil {
		return d, fmt.Errorf("dead letter error: %w", err)
	}
	if d.Payload, b, err = msgp.ReadBytesBytes(b, nil); err != nil {
		return d, fmt.Errorf("dead letter payload: %w", err)
	}
	if d.PayloadSize, _, err = msgp.ReadIntBytes(b); err != nil {
		return d, fmt.Errorf("dead letter payload size: %w", err)
	}
	return d, nil
}
