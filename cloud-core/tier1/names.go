package tier1

import (
	"fmt"
	"strings"

	"github.com/tributary-iot/tributary/models"
)

// Header names of a tier-1 message.
const (
	// HeaderMark holds the Seq of the message's last point: the writer's
	// high-water mark in the segment once the message is stored.
	HeaderMark = "Trib-Mark"
	// HeaderPoints holds the number of points.
	HeaderPoints = "Trib-Points"
	// HeaderMinTime and HeaderMaxTime bound the points' device times.
	HeaderMinTime = "Trib-Min-Time"
	HeaderMaxTime = "Trib-Max-Time"
	// HeaderFormat names the payload format (batchmsg.Format).
	HeaderFormat = "Trib-Format"
)

// maxWriterLen bounds a writer id (it becomes part of a subject).
const maxWriterLen = 2*models.MaxIDLen + 1

// StreamName returns the name of the JetStream stream that holds segment
// seg of stream: "T1_<stream>_<seg>". Segment ids are decimal numbers, so
// the last '_' separates the two.
func StreamName(stream, seg string) string { return "T1_" + stream + "_" + seg }

// SubjectFilter returns the subjects of a segment's stream: "t1.<stream>.<seg>.>".
func SubjectFilter(stream, seg string) string { return "t1." + stream + "." + seg + ".>" }

// NoticeFilter returns the subjects on which a segment's stream announces
// each stored message (headers only): "t1n.<stream>.<seg>.>".
func NoticeFilter(stream, seg string) string { return "t1n." + stream + "." + seg + ".>" }

// Subject returns writer's subject in a segment: "t1.<stream>.<seg>.<writer>".
func Subject(stream, seg, writer string) string {
	return "t1." + stream + "." + seg + "." + writer
}

// WriterFromSubject returns the writer id a subject names, or "".
func WriterFromSubject(stream, seg, subject string) string {
	prefix := "t1." + stream + "." + seg + "."
	if !strings.HasPrefix(subject, prefix) {
		return ""
	}
	return subject[len(prefix):]
}

// ValidateWriter checks that w can be a writer id: one or more
// dot-separated tokens that each pass models.ValidateID ("gw-7.high", as
// made by models.WriterID), at most 257 bytes.
func ValidateWriter(w string) error {
	if len(w) > maxWriterLen {
		return fmt.Errorf("%w: writer id longer than %d bytes", models.ErrBadID, maxWriterLen)
	}
	for tok := range strings.SplitSeq(w, ".") {
		if err := models.ValidateID("writer", tok); err != nil {
			return fmt.Errorf("writer id %q: %w", w, err)
		}
	}
	return nil
}
