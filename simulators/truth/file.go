package truth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// ErrBadRecord is returned (wrapped) by Read for a record that parses but
// makes no sense: no device or signal, or an end before its start.
var ErrBadRecord = errors.New("bad truth record")

// Format is the layout of a truth file.
type Format uint8

// The truth file layouts.
const (
	// FormatLines is JSON lines: one record per line.
	FormatLines Format = iota
	// FormatArray is one JSON array of records.
	FormatArray
)

// String returns "jsonl" or "json".
func (f Format) String() string {
	if f == FormatArray {
		return "json"
	}
	return "jsonl"
}

// FormatFor picks the layout for a file name: FormatArray for "*.json",
// FormatLines for anything else ("*.jsonl", "*.ndjson", ...).
func FormatFor(path string) Format {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return FormatArray
	}
	return FormatLines
}

// Writer writes records to an io.Writer. It is not safe for concurrent
// use. Close must be called to flush (and, for FormatArray, to close the
// array); it does not close the underlying writer.
type Writer struct {
	w      *bufio.Writer
	format Format
	n      int
	closed bool
}

// NewWriter returns a Writer that writes records to w in format f.
func NewWriter(w io.Writer, f Format) *Writer {
	return &Writer{w: bufio.NewWriter(w), format: f}
}

// Write writes one record.
func (w *Writer) Write(r *Record) error {
	if w.closed {
		return errors.New("truth: write after close")
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("truth: encode record: %w", err)
	}
	if w.format == FormatArray {
		if w.n == 0 {
			w.w.WriteString("[\n")
		} else {
			w.w.WriteString(",\n")
		}
	}
	w.w.Write(b)
	if w.format == FormatLines {
		w.w.WriteByte('\n')
	}
	w.n++
	return nil
}

// Count returns the number of records written.
func (w *Writer) Count() int { return w.n }

// Flush writes buffered records to the underlying writer. (A FormatArray
// file is valid JSON only after Close.)
func (w *Writer) Flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("truth: write: %w", err)
	}
	return nil
}

// Close finishes the file (closing the array of a FormatArray file) and
// flushes it. Later writes fail.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.format == FormatArray {
		if w.n == 0 {
			w.w.WriteString("[]\n")
		} else {
			w.w.WriteString("\n]\n")
		}
	}
	return w.Flush()
}

// Read reads a truth file in either layout: a JSON array of records, or
// JSON values one after another (JSON lines). Every record is checked: it
// needs a device, a signal, a valid kind and an end not before its start.
func Read(r io.Reader) ([]Record, error) {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("truth: read: %w", err)
	}
	dec := json.NewDecoder(br)
	var out []Record
	if first == '[' {
		if err := dec.Decode(&out); err != nil {
			return nil, fmt.Errorf("truth: decode array: %w", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, fmt.Errorf("truth: decode: data after the array")
		}
	} else {
		for {
			var rec Record
			err := dec.Decode(&rec)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("truth: decode record %d: %w", len(out)+1, err)
			}
			out = append(out, rec)
		}
	}
	for i := range out {
		if err := out[i].check(); err != nil {
			return nil, fmt.Errorf("truth: record %d: %w", i+1, err)
		}
	}
	return out, nil
}

// firstByte returns the first byte after white space, without consuming it.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if !bytes.ContainsRune([]byte(" \t\r\n"), rune(b)) {
			return b, br.UnreadByte()
		}
	}
}

func (r *Record) check() error {
	switch {
	case r.Device == "":
		return fmt.Errorf("%w: no device", ErrBadRecord)
	case r.Signal == "":
		return fmt.Errorf("%w: no signal", ErrBadRecord)
	case r.Kind == KindInvalid || r.Kind >= numKinds:
		return fmt.Errorf("%w: no kind", ErrBadRecord)
	case r.End.Before(r.Start):
		return fmt.Errorf("%w: end %s before start %s", ErrBadRecord, r.End, r.Start)
	case r.Points < 0:
		return fmt.Errorf("%w: negative point count", ErrBadRecord)
	}
	return nil
}
