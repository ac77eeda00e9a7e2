package fleet

import (
	"context"
	"sync"
)

// MessageWriter is what WriterSink writes to; *msgfile.Writer is one.
type MessageWriter interface {
	WriteMessage(topic string, payload []byte) error
}

// WriterSink is a Sink that writes published messages (garbage and
// duplicates included) to a MessageWriter and skips connection events.
// When the writer also has a Flush() error method, it is flushed after
// every Send, so a file or pipe follows the simulation as it runs. Run the
// simulation Ordered for a file that does not depend on timing.
type WriterSink struct {
	// mu serialises writes (unordered runs send from several workers).
	mu sync.Mutex
	w  MessageWriter
}

// NewWriterSink returns a WriterSink on w.
func NewWriterSink(w MessageWriter) *WriterSink { return &WriterSink{w: w} }

// Send writes msgs.
func (s *WriterSink) Send(_ context.Context, msgs []Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range msgs {
		if msgs[i].Kind != KindPublish {
			continue
		}
		if err := s.w.WriteMessage(msgs[i].Topic, msgs[i].Payload); err != nil {
			return err
		}
	}
	if f, ok := s.w.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

// Discard is a Sink that drops everything: a dry run that only measures
// the generator.
type Discard struct{}

// Send does nothing.
func (Discard) Send(context.Context, []Message) error { return nil }
