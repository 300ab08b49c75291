package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"jiayuan/app/config"
	"jiayuan/app/forum"
	"jiayuan/app/node"
	"jiayuan/app/sqlstore"
)

// faultyStore is the real store whose post lookups fail on demand, as a broken disk
// or a lost database connection would, and which notes the contexts it is given.
type faultyStore struct {
	*sqlstore.Store
	failLookups atomic.Bool
	mu          sync.Mutex
	deadlines   []time.Time // of CreatePost contexts; zero: none
}

var errDisk = errors.New("disk I/O error (injected)")

func (f *faultyStore) PostByID(ctx context.Context, id int64) (*forum.Post, error) {
	if f.failLookups.Load() {
		return nil, errDisk
	}
	return f.Store.PostByID(ctx, id)
}

func (f *faultyStore) CreatePost(ctx context.Context, p *forum.Post) error {
	d, _ := ctx.Deadline()
	f.mu.Lock()
	f.deadlines = append(f.deadlines, d)
	f.mu.Unlock()
	return f.Store.CreatePost(ctx, p)
}

// syncLog collects the server's JSON log lines.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newFaultyEnv is a node over a faultyStore, logging to a buffer.
func newFaultyEnv(t *testing.T, cfg *config.Config) (*env, *faultyStore, *syncLog) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "jiayuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	fs := &faultyStore{Store: st}
	logs := &syncLog{}
	cfg.SearchDir, cfg.ShutdownGrace = filepath.Join(t.TempDir(), "search.bleve"), time.Second
	n, err := node.New(ctx, cfg, node.Options{Log: slog.New(slog.NewJSONHandler(logs, nil)), Store: fs, PasswordParams: cheapArgon})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, srv: n.Web, addr: serveLocally(t, n), store: st, forum: n.Forum, acc: n.Accounts, policy: n.Policy}, fs, logs
}

// TestInternalErrorCarriesRequestID: a database failure while looking up the post a
// reply answers is a 500, not the caller's mistake; the answer names the request, and
// the log line of the failure carries the same id and the cause.
func TestInternalErrorCarriesRequestID(t *testing.T) {
	e, fs, logs := newFaultyEnv(t, &config.Config{OpenRegistration: true})
	u := e.direct("wang")
	tid, first := u.thread("nianhua", "数据库故障", "第一帖")

	// A post that is really not there is still the caller's mistake.
	r := u.do("POST", "/api/v1/threads/"+itoa(tid)+"/posts", map[string]any{"body": "回复", "reply_to": 999999})
	if r.Status != 422 {
		t.Fatalf("reply to a missing post: %d %s", r.Status, r.Body)
	}

	fs.failLookups.Store(true)
	r = u.do("POST", "/api/v1/threads/"+itoa(tid)+"/posts", map[string]any{"body": "回复", "reply_to": first})
	if r.Status != 500 {
		t.Fatalf("reply while the database fails: %d %s, want 500", r.Status, r.Body)
	}
	m := r.json(t)
	id, _ := m["request_id"].(string)
	if id == "" || r.Header.Get("X-Request-Id") != id {
		t.Fatalf("500 names request %q, header %q: %s", id, r.Header.Get("X-Request-Id"), r.Body)
	}
	if code := r.errCode(t); code != "internal" {
		t.Fatalf("error code %q", code)
	}
	if strings.Contains(r.Body, errDisk.Error()) {
		t.Fatalf("the cause leaks to the caller: %s", r.Body)
	}
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, id) {
			line = l
		}
	}
	for _, want := range []string{`"request_id":"` + id + `"`, `"method":"POST"`, `"path":"/api/v1/threads/` + itoa(tid) + `/posts"`,
		fmt.Sprintf("look up reply_to post %d", first), errDisk.Error()} {
		if !strings.Contains(line, want) {
			t.Fatalf("log line for request %s lacks %q:\n%s", id, want, logs.String())
		}
	}
	// Every answer carries an id, each its own.
	if a, b := e.guest().do("GET", "/api/v1/boards", nil).Header.Get("X-Request-Id"), e.guest().do("GET", "/api/v1/boards", nil).Header.Get("X-Request-Id"); a == "" || a == b {
		t.Fatalf("request ids %q and %q", a, b)
	}
}

// TestCallersRequestIDKeptOnlyIfPlain: a caller's own X-Request-ID is echoed when it
// looks like an id; one that could forge log lines, or is huge, is replaced.
func TestCallersRequestIDKeptOnlyIfPlain(t *testing.T) {
	e := newEnv(t)
	for id, kept := range map[string]bool{
		"trace-42_a.b":          true,
		strings.Repeat("x", 64): true,
		`evil","level":"ERROR`:  false,
		"a b":                   false,
		strings.Repeat("x", 65): false,
		"日志":                    false,
	} {
		c := e.guest()
		c.header = map[string]string{"X-Request-ID": id}
		got := c.do("GET", "/api/v1/boards", nil).Header.Get("X-Request-Id")
		if (got == id) != kept || got == "" {
			t.Errorf("X-Request-ID %q answered with %q (kept: %v, want %v)", id, got, got == id, kept)
		}
	}
}

// TestRequestsHaveADeadline: the store calls of a request get a context that ends
// within the configured timeout.
func TestRequestsHaveADeadline(t *testing.T) {
	const timeout = 3 * time.Second
	e, fs, _ := newFaultyEnv(t, &config.Config{OpenRegistration: true, RequestTimeout: timeout})
	u := e.direct("li")
	tid, _ := u.thread("nianhua", "有期限", "第一帖")
	before := time.Now()
	u.reply(tid, "回复", 0)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.deadlines) != 1 {
		t.Fatalf("%d CreatePost calls", len(fs.deadlines))
	}
	d := fs.deadlines[0]
	if d.IsZero() {
		t.Fatal("the request's store call has no deadline")
	}
	if d.After(time.Now().Add(timeout)) || d.Before(before) {
		t.Fatalf("deadline %v is not within %v of the request", d, timeout)
	}
}
