package msgfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MaxPayload is the largest payload a Reader accepts (the MQTT limit is
// 256 MiB; the profiles' decoders stop at 64 MiB).
const MaxPayload = 64 << 20

// maxHeader bounds a header line: an MQTT topic is at most 65535 bytes.
const maxHeader = 65535 + 32

// ErrFormat is returned (wrapped) by Reader.Next for input that is not a
// message file.
var ErrFormat = errors.New("bad message file")

// Message is one MQTT message.
type Message struct {
	Topic   string
	Payload []byte
}

// Writer writes messages. It buffers: call Flush at the end.
type Writer struct {
	w   *bufio.Writer
	hdr []byte
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 256<<10)}
}

// WriteMessage writes one message. A topic with a newline, or an empty
// one, is refused.
func (w *Writer) WriteMessage(topic string, payload []byte) error {
	if topic == "" || strings.IndexByte(topic, '\n') >= 0 || len(topic) > 65535 {
		return fmt.Errorf("msgfile: bad topic %q", topic)
	}
	w.hdr = append(w.hdr[:0], topic...)
	w.hdr = append(w.hdr, ' ')
	w.hdr = strconv.AppendInt(w.hdr, int64(len(payload)), 10)
	w.hdr = append(w.hdr, '\n')
	w.w.Write(w.hdr)
	w.w.Write(payload)
	if err := w.w.WriteByte('\n'); err != nil {
		return fmt.Errorf("msgfile: write: %w", err)
	}
	return nil
}

// Flush writes what is buffered.
func (w *Writer) Flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("msgfile: write: %w", err)
	}
	return nil
}

// Reader reads messages.
type Reader struct {
	r    *bufio.Reader
	line int64 // messages read, for errors
}

// NewReader returns a Reader on r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, 64<<10)} }

// Next returns the next message, or io.EOF after the last one. The
// payload is a fresh slice. A torn or malformed file gives an error
// wrapping ErrFormat (or io.ErrUnexpectedEOF inside one).
func (r *Reader) Next() (Message, error) {
	hdr, err := r.r.ReadSlice('\n')
	switch {
	case err == io.EOF && len(hdr) == 0:
		return Message{}, io.EOF
	case err == bufio.ErrBufferFull || len(hdr) > maxHeader:
		return Message{}, r.fail("header longer than %d bytes", maxHeader)
	case err == io.EOF:
		return Message{}, r.fail("torn header: %w", io.ErrUnexpectedEOF)
	case err != nil:
		return Message{}, fmt.Errorf("msgfile: read: %w", err)
	}
	hdr = hdr[:len(hdr)-1]
	sp := bytes.LastIndexByte(hdr, ' ')
	if sp <= 0 {
		return Message{}, r.fail("header %q has no topic and length", truncate(hdr))
	}
	n, err := strconv.ParseUint(string(hdr[sp+1:]), 10, 31)
	if err != nil || n > MaxPayload || (len(hdr)-sp-1 > 1 && hdr[sp+1] == '0') {
		return Message{}, r.fail("header %q: bad length", truncate(hdr))
	}
	m := Message{Topic: string(hdr[:sp]), Payload: make([]byte, n+1)}
	if _, err := io.ReadFull(r.r, m.Payload); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Message{}, r.fail("torn payload: %w", err)
	}
	if m.Payload[n] != '\n' {
		return Message{}, r.fail("payload of %q not followed by a newline", m.Topic)
	}
	m.Payload = m.Payload[:n:n]
	r.line++
	return m, nil
}

func (r *Reader) fail(format string, args ...any) error {
	return fmt.Errorf("msgfile: message %d: %w: %w", r.line+1, ErrFormat, fmt.Errorf(format, args...))
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// ReadAll reads every message of r.
func ReadAll(r io.Reader) ([]Message, error) {
	rd := NewReader(r)
	var out []Message
	for {
		m, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}
