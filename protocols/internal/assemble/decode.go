package assemble

import (
	"fmt"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// Decode is the frame of every payload decoder: it refuses data larger
// than payload.MaxSize, then calls run to append the points of data to
// dst. On error it returns dst with its original length and run's error;
// when run appends no point, a payload.ErrNoPoints error. Its own errors
// are *payload.Error naming format.
func Decode(format string, dst []models.Point, data []byte,
	run func(dst []models.Point) ([]models.Point, error)) ([]models.Point, error) {
	n0 := len(dst)
	if len(data) > payload.MaxSize {
		return dst, &payload.Error{Format: format, Offset: -1, Err: payload.ErrTooLarge,
			Reason: fmt.Sprintf("%d bytes, limit %d", len(data), payload.MaxSize)}
	}
	out, err := run(dst)
	if err != nil {
		return dst[:n0], err
	}
	if len(out) == n0 {
		return dst[:n0], &payload.Error{Format: format, Offset: -1, Err: payload.ErrNoPoints}
	}
	return out, nil
}
