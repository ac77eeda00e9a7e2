package assemble

// Text is a payload held twice: as the caller's bytes, and as one string
// copy that keys and values are sliced from. Decoders get byte slices of the
// payload from their parsers; String turns such a slice into a string
// without allocating. Points built this way keep the whole payload copy
// alive as long as one of their strings is referenced, which is fine for
// payloads of a few kilobytes that are written out soon after.
type Text struct {
	b []byte
	s string
}

// NewText copies b into a string once.
func NewText(b []byte) Text { return Text{b: b, s: string(b)} }

// Offset returns where sub starts in the payload, or -1 if sub is not a
// slice of the payload's bytes (e.g. a parser's unescape buffer).
func (t *Text) Offset(sub []byte) int {
	if len(sub) == 0 || len(t.b) == 0 {
		return -1
	}
	// A slice of t.b starting at i has capacity cap(t.b)-i. The pointer
	// comparison rules out another array that happens to fit.
	i := cap(t.b) - cap(sub)
	if i < 0 || i >= len(t.b) || len(sub) > len(t.b)-i || &t.b[i] != &sub[0] {
		return -1
	}
	return i
}

// String returns sub as a string: a substring of the copy when sub is a
// slice of the payload, else a new string.
func (t *Text) String(sub []byte) string {
	if len(sub) == 0 {
		return ""
	}
	if i := t.Offset(sub); i >= 0 {
		return t.s[i : i+len(sub)]
	}
	return string(sub)
}

// Slice returns the payload's text from i to j.
func (t *Text) Slice(i, j int) string { return t.s[i:j] }
