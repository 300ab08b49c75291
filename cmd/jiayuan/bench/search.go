package bench

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"jiayuan/app/sqlstore"
	"jiayuan/search"
)

// searchReport is what the search scenario measured.
type searchReport struct {
	Posts        int           `json:"posts"`
	TextBytes    int64         `json:"text_bytes"`
	IndexBytes   int64         `json:"index_bytes"`
	Reindex      time.Duration `json:"reindex_ns"`
	ReindexPeak  float64       `json:"reindex_peak_mb"`      // resident, all of it
	ReindexAnon  float64       `json:"reindex_peak_anon_mb"` // the process's own memory
	ReindexFile  float64       `json:"reindex_peak_file_mb"` // index files mapped in
	PostsPerSec  float64       `json:"reindex_posts_per_s"`
	Query        result        `json:"query"`
	QueryBoard   result        `json:"query_with_board_filter"`
	QueryLoaded  result        `json:"query_8_conns"` // four queries per core at once: throughput
	Baseline     result        `json:"static"`
	QueryCorpus  int           `json:"query_strings"`
	QueryConns   int           `json:"query_conns"`
	QueryTimeout time.Duration `json:"-"`
}

// benchSearch rebuilds the index of the seeded community with `jiayuan reindex` in a
// child process (its peak memory is its own), then queries it through the API. The
// latency budget is measured with conns clients (one per core: a query's own time,
// not time spent queueing behind others); a run with 8 clients shows throughput.
func benchSearch(ctx context.Context, dataDir string, seeded *seedResult, conns int, dur, warm time.Duration) (*searchReport, error) {
	rep := &searchReport{Posts: seeded.Posts, QueryConns: conns}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// The text indexed, and the query strings: runs of 2–8 characters from the posts.
	st, err := sqlstore.Open(ctx, filepath.Join(dataDir, "jiayuan.db"))
	if err != nil {
		return nil, err
	}
	var queries []string
	r := rand.New(rand.NewPCG(5, 6))
	var since time.Time
	var after int64
	for {
		ps, err := st.PostsChangedSince(ctx, since, after, 5000)
		if err != nil {
			st.Close()
			return nil, err
		}
		if len(ps) == 0 {
			break
		}
		for _, p := range ps {
			rep.TextBytes += int64(len(p.Body))
			if len(queries) < 2000 && r.IntN(200) == 0 {
				if runs := search.CJKRuns([]rune(p.Body)); len(runs) > 0 {
					run := runs[r.IntN(len(runs))]
					if len(run) >= 2 {
						l := 2 + r.IntN(min(7, len(run)-1))
						at := r.IntN(len(run) - l + 1)
						queries = append(queries, string(run[at:at+l]))
					}
				}
			}
		}
		since, after = ps[len(ps)-1].ChangedAt, ps[len(ps)-1].ID
	}
	st.Close()
	rep.QueryCorpus = len(queries)
	if len(queries) == 0 {
		return nil, fmt.Errorf("no query strings found in the seeded posts")
	}

	fmt.Fprintf(os.Stderr, "reindexing %d posts…\n", seeded.Posts)
	cmd := exec.CommandContext(ctx, exe, "reindex", "--data", dataDir, "--log-level", "error")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("reindex: %w", err)
	}
	// Bleve maps its segment files into memory: sample the process's own memory and
	// the mapped files apart, since the kernel can drop mapped pages at will.
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	rc := &child{cmd: cmd}
sample:
	for {
		select {
		case err := <-done:
			if err != nil {
				return nil, fmt.Errorf("reindex: %w", err)
			}
			break sample
		case <-time.After(200 * time.Millisecond):
			if m, err := rc.memory(); err == nil {
				rep.ReindexAnon, rep.ReindexFile = max(rep.ReindexAnon, m.AnonMB), max(rep.ReindexFile, m.FileMB)
			}
		}
	}
	rep.Reindex = time.Since(start)
	rep.PostsPerSec = float64(seeded.Posts) / rep.Reindex.Seconds()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rep.ReindexPeak = float64(ru.Maxrss) / 1024
	}
	_ = filepath.WalkDir(filepath.Join(dataDir, "search.bleve"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				rep.IndexBytes += info.Size()
			}
		}
		return nil
	})

	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	srv, err := startChild(ctx, dataDir, addr)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns * 2}, Timeout: 30 * time.Second}
	rep.Baseline = measure(ctx, client, scenario{Name: "static", Conns: conns, want: 200, next: get(srv.base, "/healthz", "")}, warm, dur)
	searchReq := func(extra string) func(*rand.Rand) (*http.Request, error) {
		return func(r *rand.Rand) (*http.Request, error) {
			q := queries[r.IntN(len(queries))] + extra
			return http.NewRequest(http.MethodGet, srv.base+"/api/v1/search?limit=20&q="+url.QueryEscape(q), nil)
		}
	}
	fmt.Fprintln(os.Stderr, "measuring search…")
	rep.Query = measure(ctx, client, scenario{Name: "search", Conns: conns, want: 200, next: searchReq("")}, warm, dur)
	rep.QueryBoard = measure(ctx, client, scenario{Name: "search board:", Conns: conns, want: 200, next: searchReq(" board:xinyu")}, warm, dur)
	rep.QueryLoaded = measure(ctx, client, scenario{Name: "search, 8 conns", Conns: 8, want: 200, next: searchReq("")}, warm, dur)
	return rep, nil
}

// searchBudgets are the search issue's targets.
var searchBudgets = []budget{
	{"search p99 < 50 ms (2–8 characters, highlighted)", func(r report) (string, bool) {
		s := r.Search
		return fmt.Sprintf("p50 %.1f ms, p99 %.1f ms, %.0f q/s over %d posts", ms(s.Query.P50), ms(s.Query.P99), s.Query.ReqPerSec, s.Posts), s.Query.Errors == 0 && s.Query.P99 < 50*time.Millisecond
	}},
	{"search with a board filter p99 < 50 ms", func(r report) (string, bool) {
		s := r.Search
		return fmt.Sprintf("p99 %.1f ms", ms(s.QueryBoard.P99)), s.QueryBoard.Errors == 0 && s.QueryBoard.P99 < 50*time.Millisecond
	}},
	{"reindex ≥ 5,000 posts/s", func(r report) (string, bool) {
		return fmt.Sprintf("%.0f posts/s (%s)", r.Search.PostsPerSec, r.Search.Reindex.Round(time.Second)), r.Search.PostsPerSec >= 5000
	}},
	{"index ≤ 3× the text", func(r report) (string, bool) {
		s := r.Search
		ratio := float64(s.IndexBytes) / float64(max(s.TextBytes, 1))
		return fmt.Sprintf("%.2f× (%d MB index, %d MB text)", ratio, s.IndexBytes>>20, s.TextBytes>>20), ratio <= 3
	}},
	{"memory < 500 MB while indexing (the process's own; index files mapped in apart)", func(r report) (string, bool) {
		s := r.Search
		return fmt.Sprintf("peak %.0f MB own + %.0f MB of mapped index files (peak resident %.0f MB)", s.ReindexAnon, s.ReindexFile, s.ReindexPeak), s.ReindexAnon > 0 && s.ReindexAnon < 500
	}},
}

// runReindex runs `jiayuan reindex` on dataDir in a child process.
func runReindex(ctx context.Context, dataDir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe, "reindex", "--data", dataDir, "--log-level", "error")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	return nil
}
