package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-iot/tributary/simulators/fleet"
)

// Intervals between updates.
const (
	TTYInterval = 250 * time.Millisecond
	LogInterval = 5 * time.Second
)

// IsTerminal reports whether f is a terminal (a character device).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Options configure Progress.
type Options struct {
	// Out is the terminal the progress line is drawn on (TTY true).
	Out io.Writer
	// TTY draws a live line on Out; otherwise Logger gets a line every
	// LogInterval.
	TTY bool
	// Logger receives the periodic lines when not on a terminal.
	Logger *slog.Logger
	// Every overrides the interval (tests).
	Every time.Duration
}

// Progress shows snap() until ctx is done. On a terminal it then ends the
// line, so that what follows starts on a fresh one.
func Progress(ctx context.Context, o Options, snap func() fleet.Progress) {
	every := o.Every
	if every <= 0 {
		every = LogInterval
		if o.TTY {
			every = TTYInterval
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var prev fleet.Progress
	for {
		select {
		case <-ctx.Done():
			if o.TTY {
				fmt.Fprintf(o.Out, "\r%s\n", Line(snap(), prev))
			}
			return
		case <-t.C:
		}
		p := snap()
		if o.TTY {
			fmt.Fprintf(o.Out, "\r%s\x1b[K", Line(p, prev))
		} else {
			o.Logger.Info("progress", "points", p.Points, "messages", p.Messages, "points_per_s",
				int64(rate(p, prev)), "errors", p.Errors, "elapsed", p.Elapsed.Round(time.Second))
		}
		prev = p
	}
}

// rate is the points per second between two snapshots (over the whole
// run for the first one).
func rate(p, prev fleet.Progress) float64 {
	dt := (p.Elapsed - prev.Elapsed).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(p.Points-prev.Points) / dt
}

// Line is the progress line: published points and messages, the current
// rate, errors and elapsed time.
func Line(p, prev fleet.Progress) string {
	return fmt.Sprintf("published %s points (%s messages) | %s points/s | %s errors | %s",
		group(p.Points), group(p.Messages), group(int64(rate(p, prev))), group(p.Errors), clock(p.Elapsed))
}

// Summary writes the end-of-run summary for people.
func Summary(w io.Writer, r fleet.Report) {
	var b strings.Builder
	fmt.Fprintf(&b, "fleetsim: stopped (%s) after %s\n", r.Stopped, clock(time.Duration(r.ElapsedSeconds*float64(time.Second))))
	fmt.Fprintf(&b, "  points     %s in %s messages (%s bytes) to %s\n", group(r.Points), group(r.Messages), group(r.Bytes), r.Target)
	fmt.Fprintf(&b, "  rate       %s points/s, %s messages/s (asked %s per vehicle x %d vehicles)\n",
		group(int64(r.PointsPerSecond)), group(int64(r.MessagesPerSecond)), askedRate(r.RatePerVehicle), r.Vehicles)
	fmt.Fprintf(&b, "  errors     %s\n", group(r.Errors))
	var names []string
	for name := range r.Profiles {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		p := r.Profiles[name]
		fmt.Fprintf(&b, "  profile    %-16s %d vehicles, %s points\n", name, p.Vehicles, group(p.Points))
	}
	fmt.Fprintf(&b, "  anomalies  %s%s\n", group(r.Anomalies), byKind(r.AnomaliesByKind))
	fmt.Fprintf(&b, "  mess       %s garbage, %s duplicates, %s late, %s reordered, %s drops, %d skewed clocks\n",
		group(r.Garbage), group(r.Duplicates), group(r.Late), group(r.Reordered), group(r.Disconnects), r.SkewedVehicles)
	io.WriteString(w, b.String())
}

func askedRate(r float64) string {
	if r == 0 {
		return "max"
	}
	return strconv.FormatFloat(r, 'g', -1, 64) + " points/s"
}

func byKind(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for k, n := range m {
		parts = append(parts, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(parts)
	return " (" + strings.Join(parts, ", ") + ")"
}

// group writes n with thousands separators: 1,234,567.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// clock writes d as h:mm:ss.
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}
