package store

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/tributary-iot/tributary/models"
)

// splitTokenVersion is the first byte of a split token's payload.
const splitTokenVersion = 1

// maxSplitToken bounds the length of a token ParseSplitToken looks at.
const maxSplitToken = 1024

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Token returns the split as an opaque, URL-safe string: the stream, a
// dot, and the base64url (unpadded) of
//
//	version (1 byte, 1) | uvarint len(segment) | segment | uvarint first |
//	uvarint last | varint start | varint end | tier (1 byte) |
//	CRC-32C of what precedes (4 bytes, big endian)
//
// The stream stays readable so that access checks need not decode the rest.
func (sp Split) Token() string {
	b := make([]byte, 0, 48+len(sp.Segment))
	b = append(b, splitTokenVersion)
	b = binary.AppendUvarint(b, uint64(len(sp.Segment)))
	b = append(b, sp.Segment...)
	b = binary.AppendUvarint(b, sp.First)
	b = binary.AppendUvarint(b, sp.Last)
	b = binary.AppendVarint(b, sp.Start)
	b = binary.AppendVarint(b, sp.End)
	b = append(b, byte(sp.Tier))
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return sp.Stream + "." + base64.RawURLEncoding.EncodeToString(b)
}

// SplitTokenStream returns the stream a split token names, or "" if the
// token has no valid stream part. It does not check the rest.
func SplitTokenStream(tok string) string {
	stream, _, ok := strings.Cut(tok, ".")
	if !ok || models.ValidateID("stream", stream) != nil {
		return ""
	}
	return stream
}

// ParseSplitToken decodes a token made by Split.Token. Only the split's
// position and time bounds come back (not its counts). A token that does
// not decode gives an error wrapping ErrBadSplit.
func ParseSplitToken(tok string) (Split, error) {
	bad := func(why string) (Split, error) {
		return Split{}, fmt.Errorf("%w: token %s", ErrBadSplit, why)
	}
	if len(tok) > maxSplitToken {
		return bad("too long")
	}
	stream := SplitTokenStream(tok)
	if stream == "" {
		return bad("names no valid stream")
	}
	b, err := base64.RawURLEncoding.DecodeString(tok[len(stream)+1:])
	if err != nil {
		return bad("is not base64url")
	}
	if len(b) < 5 {
		return bad("is truncated")
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return bad("checksum does not match")
	}
	if body[0] != splitTokenVersion {
		return bad(fmt.Sprintf("version %d", body[0]))
	}
	r := tokenReader{b: body[1:]}
	n := r.uvarint()
	seg := r.bytes(n)
	sp := Split{Stream: stream, Segment: string(seg), First: r.uvarint(), Last: r.uvarint(), Start: r.varint(), End: r.varint(), Tier: int(r.byte())}
	if r.bad || len(r.b) != 0 {
		return bad("is malformed")
	}
	if sp.Segment == "" || sp.First == 0 || sp.Last < sp.First || sp.Tier != 1 && sp.Tier != 2 {
		return bad("holds an impossible split")
	}
	return sp, nil
}

// tokenReader reads a token's fields, remembering the first failure.
type tokenReader struct {
	b   []byte
	bad bool
}

func (r *tokenReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *tokenReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *tokenReader) bytes(n uint64) []byte {
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *tokenReader) byte() byte {
	if r.bad || len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}
