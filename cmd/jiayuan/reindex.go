package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/schollz/progressbar/v3"

	"jiayuan/app/config"
	"jiayuan/app/node"
	"jiayuan/search"
)

// reindex rebuilds the search index from the database with a progress bar. The index
// is one process's at a time: against a running server's it fails, and leaves it be.
func reindex(ctx context.Context, args []string) error {
	cfg, err := config.Load(args)
	if err != nil {
		return err
	}
	log := newLogger("error")
	c, err := node.NewConsole(ctx, cfg, node.Options{Log: log})
	if err != nil {
		return err
	}
	defer c.Close()
	idx, err := search.NewService(cfg.SearchDir, c.Fold, c.Store, log)
	if errors.Is(err, search.ErrInUse) {
		return fmt.Errorf("reindex: %w", err) // says: stop the server first
	}
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	defer idx.Close()
	boards, err := c.Store.ListBoards(ctx)
	if err != nil {
		return err
	}
	var total int64
	for _, b := range boards {
		total += b.PostCount
	}
	bar := progressbar.NewOptions64(total, progressbar.OptionSetDescription("reindexing posts"),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("posts"),
		progressbar.OptionSetPredictTime(true), progressbar.OptionSetWriter(os.Stderr), progressbar.OptionThrottle(200*time.Millisecond))
	// Rebuilding makes garbage fast, and Bleve holds new segments in memory until they
	// are merged to disk. Collecting only near a fixed budget, rather than each time
	// the heap doubles, spends less time collecting and keeps the process under the
	// budget the issue sets (500 MB); GOGC or GOMEMLIMIT in the environment win.
	if os.Getenv("GOMEMLIMIT") == "" && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(440 << 20)
	}
	start := time.Now()
	done := 0
	err = idx.Reindex(ctx, func(k int) { done += k; _ = bar.Add(k) })
	_ = bar.Finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "\nindexed %d posts in %s (%.0f posts/s)\n", done, time.Since(start).Round(time.Millisecond), float64(done)/time.Since(start).Seconds())
	return nil
}
