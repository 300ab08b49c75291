package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/schollz/progressbar/v3"

	"jiayuan/app/config"
)

// reindex rebuilds the search index from the database with a progress bar. Stop the
// server first: the index is one process's at a time.
func reindex(ctx context.Context, args []string) error {
	cfg, err := config.Load(args)
	if err != nil {
		return err
	}
	n, err := newNode(ctx, cfg, newLogger("error"))
	if err != nil {
		return err
	}
	defer n.close()
	boards, err := n.store.ListBoards(ctx)
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
	err = n.search.Reindex(ctx, func(k int) { done += k; _ = bar.Add(k) })
	_ = bar.Finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "\nindexed %d posts in %s (%.0f posts/s)\n", done, time.Since(start).Round(time.Millisecond), float64(done)/time.Since(start).Seconds())
	return nil
}
