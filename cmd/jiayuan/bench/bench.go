// Package bench is `jiayuan bench`: it seeds a community and measures a server under
// load. The server runs as a child process of the same binary (its `serve` and
// `reindex` commands), so its memory is its own.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Run seeds a community, starts the server as a child process, and measures it under
// concurrent load, each figure also as a ratio to a trivial static response (/healthz)
// served by the same process in the same run: these machines are shared and noisy, so
// ratios travel where absolute numbers do not.
func Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	plan := seedPlan{}
	fs.IntVar(&plan.Threads, "threads", 10000, "threads to seed")
	fs.IntVar(&plan.Posts, "posts", 200000, "posts to seed in all")
	fs.IntVar(&plan.Users, "users", 500, "users to seed")
	fs.IntVar(&plan.BigThread, "big-thread", 10000, "posts of one extra long thread, for deep paging")
	conns := fs.Int("conns", 50, "concurrent connections")
	dur := fs.Duration("duration", 10*time.Second, "measuring time per scenario")
	warm := fs.Duration("warmup", 2*time.Second, "warm-up per scenario, not counted")
	dataDir := fs.String("data", "", "data directory (default: a temporary one, removed after)")
	keep := fs.Bool("keep", false, "keep the data directory")
	asJSON := fs.Bool("json", false, "also print the report as JSON")
	wsFanout := fs.Int("ws-fanout", 10000, "websocket subscribers of one thread for the fan-out scenario (0 skips the websocket scenarios)")
	wsMixed := fs.Int("ws-mixed", 5000, "websocket subscribers spread over 100 threads for the mixed scenario")
	wsRate := fs.Float64("ws-rate", 1000, "replies per second in the mixed scenario")
	wsFor := fs.Duration("ws-for", 5*time.Second, "how long the mixed scenario posts")
	searchOnly := fs.Bool("search", false, "measure search instead: reindex the seeded posts, then query them (use with --posts 1000000)")
	modOnly := fs.Bool("moderation", false, "measure the policy decision and the sensitive-word check instead (no seeding)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *modOnly {
		return benchModeration(ctx, os.Stdout, 200000)
	}
	if *dataDir == "" {
		d, err := os.MkdirTemp("", "jiayuan-bench-")
		if err != nil {
			return err
		}
		*dataDir = d
	}
	if !*keep {
		defer os.RemoveAll(*dataDir)
	}
	dbPath := filepath.Join(*dataDir, "jiayuan.db")
	if _, err := os.Stat(dbPath); err == nil {
		return fmt.Errorf("%s exists: bench seeds a fresh community, give it an empty --data directory", dbPath)
	}
	fmt.Fprintf(os.Stderr, "seeding %d threads, %d posts, %d users into %s\n", plan.Threads, plan.Posts, plan.Users, *dataDir)
	seeded, err := seedCommunity(ctx, dbPath, plan)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(os.Stderr, "seeded %d threads, %d posts in %s\n", seeded.Threads, seeded.Posts, seeded.Took.Round(time.Millisecond))
	if *searchOnly {
		sr, err := benchSearch(ctx, *dataDir, seeded, runtime.GOMAXPROCS(0), *dur, *warm)
		if err != nil {
			return err
		}
		rep := report{Machine: fmt.Sprintf("%d cores, GOMAXPROCS %d, %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version()), Seed: *seeded, Search: sr}
		rep.printSearch(os.Stdout)
		if *asJSON {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(rep)
		}
		return nil
	}
	if len(seeded.HotThread) == 0 {
		return errors.New("no thread has 50 posts; seed more posts")
	}

	// Build the search index first, as a running community has one: otherwise the
	// server would rebuild it while being measured.
	fmt.Fprintln(os.Stderr, "building the search index…")
	if err := runReindex(ctx, *dataDir); err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	srv, err := startChild(ctx, *dataDir, addr)
	if err != nil {
		return err
	}
	defer func() { srv.stop() }()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns * 2, MaxIdleConns: *conns * 2, DisableCompression: true}, Timeout: 30 * time.Second}
	base := srv.base
	pick := func(r *rand.Rand, ids []int64) int64 { return ids[r.IntN(len(ids))] }
	cookie, csrf, err := benchLogin(client, base)
	if err != nil {
		return err
	}
	replyBody, _ := json.Marshal(map[string]string{"body": benchText(rand.New(rand.NewPCG(3, 4)), 200)})
	hot := seeded.HotThread
	scenarios := []scenario{
		{Name: "static (baseline)", Conns: *conns, next: get(base, "/healthz", ""), want: 200},
		{Name: "thread-html", Conns: *conns, want: 200, next: func(r *rand.Rand) (*http.Request, error) {
			return get(base, fmt.Sprintf("/t/%d?view=time", pick(r, hot)), "text/html")(r)
		}},
		{Name: "thread-json", Conns: *conns, want: 200, next: func(r *rand.Rand) (*http.Request, error) {
			return get(base, fmt.Sprintf("/api/v1/threads/%d", pick(r, hot)), "")(r)
		}},
		{Name: "board-json", Conns: *conns, want: 200, next: func(r *rand.Rand) (*http.Request, error) {
			return get(base, "/api/v1/boards/"+seeded.Boards[r.IntN(len(seeded.Boards))]+"/threads", "")(r)
		}},
		{Name: "board-html", Conns: *conns, want: 200, next: func(r *rand.Rand) (*http.Request, error) {
			return get(base, "/b/"+seeded.Boards[r.IntN(len(seeded.Boards))], "text/html")(r)
		}},
	}
	if seeded.BigThread != 0 {
		big, last := seeded.BigThread, int64(plan.BigThread)
		scenarios = append(scenarios,
			scenario{Name: "first-page", Conns: *conns, want: 200, next: get(base, fmt.Sprintf("/api/v1/threads/%d?after=0", big), "")},
			scenario{Name: "deep-page", Conns: *conns, want: 200, next: func(r *rand.Rand) (*http.Request, error) {
				return get(base, fmt.Sprintf("/api/v1/threads/%d?after=%d", big, last-last/10+r.Int64N(last/10-50)), "")(r)
			}})
	}
	post := func(r *rand.Rand) (*http.Request, error) {
		return jsonPost(fmt.Sprintf("%s/api/v1/threads/%d/posts", base, pick(r, hot)), replyBody, cookie, csrf)
	}
	scenarios = append(scenarios,
		scenario{Name: "reply-post (1 conn)", Conns: 1, want: 201, next: post},
		scenario{Name: "reply-post", Conns: *conns, want: 201, next: post},
		scenario{Name: "static (baseline, again)", Conns: *conns, next: get(base, "/healthz", ""), want: 200},
	)
	var results []result
	runAll := func(scs []scenario, suffix string) error {
		for _, sc := range scs {
			sc.Name += suffix
			fmt.Fprintf(os.Stderr, "measuring %s…\n", sc.Name)
			results = append(results, measure(ctx, client, sc, *warm, *dur))
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		return nil
	}
	if err := runAll(scenarios, ""); err != nil {
		return err
	}
	mem, err := srv.memory()
	if err != nil {
		return err
	}
	var ws *wsReport
	if *wsFanout > 0 {
		if ws, err = benchWebsockets(ctx, client, srv, hot, cookie, csrf, *wsFanout, *wsMixed, *wsRate, *wsFor); err != nil {
			return fmt.Errorf("websockets: %w", err)
		}
	}
	// The same reads with the page cache off: what a cold page costs in the database and
	// the templates, so the cache is not all the figures show.
	srv.stop()
	if srv, err = startChild(ctx, *dataDir, addr, "--page-cache", "0"); err != nil {
		return err
	}
	var uncached []scenario
	for _, sc := range scenarios {
		switch sc.Name {
		case "thread-html", "thread-json", "board-json", "first-page", "deep-page":
			uncached = append(uncached, sc)
		}
	}
	if err := runAll(uncached, " (no cache)"); err != nil {
		return err
	}
	rep := report{Machine: fmt.Sprintf("%d cores, GOMAXPROCS %d, %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version()),
		Seed: *seeded, Conns: *conns, Duration: *dur, Results: results, Memory: mem, WS: ws}
	rep.print(os.Stdout)
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	}
	for _, r := range results {
		if r.Requests > 0 && float64(r.Errors) > 0.01*float64(r.Requests) {
			return fmt.Errorf("%s: %d of %d requests failed (first: %s)", r.Name, r.Errors, r.Requests, r.FirstErr)
		}
	}
	return nil
}

func benchLogin(client *http.Client, base string) (*http.Cookie, string, error) {
	req, err := jsonPost(base+"/api/v1/auth/login", []byte(`{"username":"bench","password":"bench-password"}`), nil, "")
	if err != nil {
		return nil, "", err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != 200 {
		return nil, "", fmt.Errorf("bench login: %s %v", res.Status, err)
	}
	for _, c := range res.Cookies() {
		if c.Name == "jy_session" {
			return c, body.CSRF, nil
		}
	}
	return nil, "", errors.New("bench login: no session cookie")
}

// child is the server under test, in its own process so its memory is its own.
type child struct {
	cmd  *exec.Cmd
	base string
}

// freeAddr finds a local port for the server under test; both of its runs use it.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func startChild(ctx context.Context, dataDir, addr string, extra ...string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, append([]string{"serve", "--addr", addr, "--data", dataDir, "--login-rate", "0", "--post-rate", "0", "--ws-per-user", "0", "--ws-per-address", "0", "--log-level", "error"}, extra...)...)
	cmd.Env = append(os.Environ(), "JIAYUAN_ADMIN_PASSWORD=bench-admin-password")
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr // the child logs errors only
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, base: "http://" + addr}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(c.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return c, nil
			}
		}
	}
	c.stop()
	return nil, errors.New("server did not become ready")
}

func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
	}
}

// memory reads the child's peak and current resident memory in MB from /proc.
func (c *child) memory() (memory, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return memory{}, err
	}
	var m memory
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmHWM:":
			m.PeakMB = kb / 1024
		case "VmRSS:":
			m.RSSMB = kb / 1024
		case "RssAnon:":
			m.AnonMB = kb / 1024
		case "RssFile:":
			m.FileMB = kb / 1024
		}
	}
	return m, nil
}
