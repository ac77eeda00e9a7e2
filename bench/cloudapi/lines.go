package cloudapi

import (
	"bytes"
	"encoding/json"
)

// LineCounter is an io.Writer that counts NDJSON lines and keeps the
// last one, to tell a trailing {"error": ...} line from a point.
type LineCounter struct {
	lines int64
	// last holds the last complete line; cur the one being written.
	last, cur []byte
}

// maxKept bounds the bytes kept of a line: an error line is short.
const maxKept = 4 << 10

// Write counts the newlines in p. Of the lines in p it keeps only the
// last complete one and the unterminated rest.
func (l *LineCounter) Write(p []byte) (int, error) {
	nl := bytes.Count(p, []byte{'\n'})
	if nl == 0 {
		l.keep(p)
		return len(p), nil
	}
	l.lines += int64(nl)
	end := bytes.LastIndexByte(p, '\n')
	line := p[:end]
	if i := bytes.LastIndexByte(line, '\n'); i >= 0 {
		// The last complete line starts in p: what cur held ended earlier.
		l.cur, line = l.cur[:0], line[i+1:]
	}
	l.keep(line)
	l.last, l.cur = l.cur, l.last[:0]
	l.keep(p[end+1:])
	return len(p), nil
}

func (l *LineCounter) keep(p []byte) {
	if room := maxKept - len(l.cur); room > 0 {
		l.cur = append(l.cur, p[:min(len(p), room)]...)
	}
}

// Lines returns the number of points: complete lines, plus an
// unterminated last line, minus a trailing error line.
func (l *LineCounter) Lines() int64 {
	n := l.lines
	if len(bytes.TrimSpace(l.cur)) > 0 {
		n++
	}
	if _, ok := l.TrailingError(); ok {
		n--
	}
	return n
}

// TrailingError reports whether the last line is {"error": MSG}.
func (l *LineCounter) TrailingError() (string, bool) {
	last := l.last
	if len(bytes.TrimSpace(l.cur)) > 0 {
		last = l.cur
	}
	if !bytes.HasPrefix(bytes.TrimSpace(last), []byte(`{"error"`)) {
		return "", false
	}
	var v map[string]json.RawMessage
	if err := json.Unmarshal(last, &v); err != nil || len(v) != 1 {
		return "", false
	}
	var msg string
	if err := json.Unmarshal(v["error"], &msg); err != nil {
		return "", false
	}
	return msg, true
}
