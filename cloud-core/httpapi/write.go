package httpapi

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/models"
)

// writeBatchPoints is the most points the write endpoint appends at once.
const writeBatchPoints = 10_000

// maxLineBytes bounds one line of written points.
const maxLineBytes = 1 << 20

// writePoints appends NDJSON points. Consecutive lines of one writer go
// to the store as one batch; the 200 answer is the ack of every line. On
// an error some batches may be stored: sending the same body again is
// safe (the store drops what it already has).
func (a *api) writePoints(w http.ResponseWriter, r *http.Request, stream string) {
	defaultWriter := r.URL.Query().Get("writer")
	sc := bufio.NewScanner(http.MaxBytesReader(w, r.Body, a.maxBody))
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	var (
		b              models.Batch
		points, nbatch int
		lineNo         int
	)
	flush := func() error {
		if len(b.Points) == 0 {
			return nil
		}
		b.FirstSeq, b.LastSeq = b.Points[0].Seq, b.Points[len(b.Points)-1].Seq
		if err := a.st.Append(r.Context(), &b); err != nil {
			return err
		}
		points += len(b.Points)
		nbatch++
		b.Points = b.Points[:0]
		return nil
	}
	for sc.Scan() {
		lineNo++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var p models.Point
		writer, err := decodeWrite(line, &p)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("line %d: %v", lineNo, err))
			return
		}
		if writer == "" {
			writer = defaultWriter
		}
		if writer == "" && p.Agent != "" {
			writer = models.WriterID(p.Agent, models.PriorityNormal)
		}
		if writer == "" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("line %d: no writer (give ?writer=, or writer or agent on the line)", lineNo))
			return
		}
		if p.Agent == "" {
			if p.Agent, err = store.WriterAgent(writer); err != nil {
				a.fail(w, fmt.Errorf("line %d: %w", lineNo, err))
				return
			}
		}
		if p.Stream == "" {
			p.Stream = stream
		} else if p.Stream != stream {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("line %d: stream %q posted to stream %q", lineNo, p.Stream, stream))
			return
		}
		if writer != b.Writer || len(b.Points) >= writeBatchPoints {
			if err := flush(); err != nil {
				a.fail(w, fmt.Errorf("line %d: %w", lineNo, err))
				return
			}
			b.Writer = writer
		}
		b.Points = append(b.Points, p)
	}
	if err := sc.Err(); err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		writeError(w, status, "body: "+err.Error())
		return
	}
	if err := flush(); err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"points": points, "batches": nbatch})
}
