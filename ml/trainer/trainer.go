package trainer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/client"
	"github.com/tributary-iot/tributary/ml/model"
	"github.com/tributary-iot/tributary/models"
)

// Options configure Train.
type Options struct {
	// Client reads the stream; required.
	Client *client.Client
	// Stream is the stream to learn from; required.
	Stream string
	// Start and End bound the points' device times (zero: open).
	Start, End time.Time
	// Workers is the number of splits read at a time (0: 2).
	Workers int
	// Target is about how many points a split holds (0: the server's).
	Target int64
	// Params are the model's thresholds (zero: model.DefaultParams()).
	Params model.Params
	// Seed makes the sampling repeatable.
	Seed uint64
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

// Result says what a training read.
type Result struct {
	Splits  int           `json:"splits"`
	Points  int64         `json:"points"`
	Elapsed time.Duration `json:"elapsed"`
}

// Train lists the stream's splits for the range, reads them with
// opts.Workers workers, each learning from its splits, and returns the
// merged model.
func Train(ctx context.Context, opts Options) (*model.Model, Result, error) {
	if opts.Client == nil || opts.Stream == "" {
		return nil, Result{}, errors.New("trainer: a client and a stream are required")
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.Params == (model.Params{}) {
		opts.Params = model.DefaultParams()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	began := time.Now()
	splits, err := opts.Client.Splits(ctx, opts.Stream, client.SplitQuery{Start: opts.Start, End: opts.End, Target: opts.Target})
	if err != nil {
		return nil, Result{}, fmt.Errorf("trainer: cannot list splits: %w", err)
	}
	log.Info("training", "stream", opts.Stream, "splits", len(splits), "workers", opts.Workers)
	workers := make([]*model.Trainer, opts.Workers)
	current := make([]int, opts.Workers) // the split each worker reads
	for w := range workers {
		workers[w] = model.NewTrainer(opts.Seed + uint64(w))
		current[w] = -1
	}
	err = opts.Client.ReadSplits(ctx, splits, opts.Workers, func(w, split int, p *models.Point) error {
		tr := workers[w]
		if current[w] != split {
			current[w] = split
			tr.Begin()
		}
		tr.Add(p)
		return nil
	})
	if err != nil {
		return nil, Result{}, fmt.Errorf("trainer: %w", err)
	}
	all := workers[0]
	for _, tr := range workers[1:] {
		all.Merge(tr)
	}
	res := Result{Splits: len(splits), Points: all.Points(), Elapsed: time.Since(began)}
	log.Info("trained", "points", res.Points, "elapsed", res.Elapsed)
	return all.Model(opts.Stream, opts.Params), res, nil
}
