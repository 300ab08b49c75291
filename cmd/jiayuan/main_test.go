package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"jiayuan/app/testkit"
)

// TestMain lets the test binary stand in for the jiayuan binary: with JIAYUAN_TEST_MAIN
// set it runs the command line it was given, so tests can start real server processes
// (and kill them) without building anything.
func TestMain(m *testing.M) {
	if os.Getenv("JIAYUAN_TEST_MAIN") == "1" {
		// As main does: SIGTERM shuts the server down in order.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := run(ctx, os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serverProcess is a jiayuan server running in a child process.
type serverProcess struct {
	cmd  *exec.Cmd
	base string
	out  *syncBuffer
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startServer(t *testing.T, dataDir string) *serverProcess {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	out := &syncBuffer{}
	cmd := exec.Command(os.Args[0], "serve", "--addr", addr, "--data", dataDir, "--log-level", "error")
	cmd.Env = append(os.Environ(), "JIAYUAN_TEST_MAIN=1", "JIAYUAN_ADMIN_PASSWORD=admin-password-1")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sp := &serverProcess{cmd: cmd, base: "http://" + addr, out: out}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if !testkit.Poll(30*time.Second, func() bool {
		res, err := http.Get(sp.base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	}) {
		t.Fatalf("server did not become ready:\n%s", out.String())
	}
	return sp
}

// apiClient is a script using the JSON API with a cookie session.
type apiClient struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func newAPIClient(t *testing.T, base string) *apiClient {
	jar, _ := cookiejar.New(nil)
	return &apiClient{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (c *apiClient) call(method, path, body string) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, m
}

func (c *apiClient) signUp(name string) {
	c.t.Helper()
	if st, m := c.call("POST", "/api/v1/auth/register", fmt.Sprintf(`{"username":%q,"password":"password-%s"}`, name, name)); st != 201 {
		c.t.Fatalf("register: %d %v", st, m)
	}
	st, m := c.call("POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":"password-%s"}`, name, name))
	if st != 200 {
		c.t.Fatalf("login: %d %v", st, m)
	}
	c.csrf = m["csrf_token"].(string)
}

// TestKillNineLosesNothing: every write acknowledged with 201 is there after the process
// is killed without warning and started again, and a websocket subscriber that missed
// 2,000 of them is caught up with every one, in order.
func TestKillNineLosesNothing(t *testing.T) {
	t.Setenv("JIAYUAN_POST_RATE", "0") // the child inherits it: 2,000 replies in a row
	dir := t.TempDir()
	srv := startServer(t, dir)
	c := newAPIClient(t, srv.base)
	c.signUp("durable")
	st, m := c.call("POST", "/api/v1/boards/nianhua/threads", `{"title":"断电也不丢","body":"第一帖"}`)
	if st != 201 {
		t.Fatalf("thread: %d %v", st, m)
	}
	tid := int64(m["thread"].(map[string]any)["id"].(float64))
	const replies = 20
	for i := 0; i < replies; i++ {
		if st, m := c.call("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), fmt.Sprintf(`{"body":"回复 %d"}`, i)); st != 201 {
			t.Fatalf("reply %d: %d %v", i, st, m)
		}
	}
	// 2,000 more that a subscriber who left at seq replies+1 misses.
	const missed = 2000
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < missed/4; i++ {
				if st, m := c.call("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), fmt.Sprintf(`{"body":"错过的回复 %d-%d"}`, w, i)); st != 201 {
					t.Errorf("missed reply: %d %v", st, m)
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.cmd.Wait()

	srv2 := startServer(t, dir)
	c2 := newAPIClient(t, srv2.base)
	st, m = c2.call("GET", fmt.Sprintf("/api/v1/threads/%d?limit=100", tid), "")
	if st != 200 {
		t.Fatalf("after restart: %d %v", st, m)
	}
	posts := m["posts"].([]any)
	if len(posts) != 100 {
		t.Fatalf("%d posts after kill -9, want the first 100 of %d", len(posts), replies+1+missed)
	}
	if n := m["thread"].(map[string]any)["reply_count"].(float64); n != replies+missed {
		t.Fatalf("%v replies after kill -9, want %d", n, replies+missed)
	}
	if last := posts[replies].(map[string]any); last["body"] != fmt.Sprintf("回复 %d", replies-1) || last["seq"].(float64) != replies+1 {
		t.Fatalf("last post %v", last)
	}
	// The restarted server neither re-seeds boards nor makes a second admin.
	_, b := c2.call("GET", "/api/v1/boards", "")
	if n := len(b["boards"].([]any)); n != 8 {
		t.Fatalf("%d boards after restart", n)
	}
	if strings.Contains(srv2.out.String(), "password") && strings.Contains(srv2.out.String(), "shown once") {
		t.Fatalf("second start printed a new admin password:\n%s", srv2.out.String())
	}
	catchUpAfterRestart(t, srv2.base, tid, replies+1, missed)

	// Notifications: two people answer each other as fast as they can while the process
	// is killed, twice; after the restarts every reply owes its parent's author exactly
	// one notification, counted in the database.
	partner := newAPIClient(t, srv2.base)
	partner.signUp("partner")
	op := int64(posts[0].(map[string]any)["id"].(float64))
	st, m = partner.call("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), fmt.Sprintf(`{"body":"伙伴的回复","reply_to":%d}`, op))
	if st != 201 {
		t.Fatalf("partner's reply: %d %v", st, m)
	}
	theirs := int64(m["post"].(map[string]any)["id"].(float64))
	c.base = srv2.base // sessions live in the database: the cookie still signs in
	var acked []int64
	cur := srv2
	for round := 0; round < 2; round++ {
		acked = append(acked, replyStorm(t, cur, tid, map[*apiClient]int64{c: theirs, partner: op})...)
		cur = startServer(t, dir)
		c.base, partner.base = cur.base, cur.base
	}
	checkReplyNotifications(t, filepath.Join(dir, "jiayuan.db"), acked)
}

// replyStorm has each client answer its post (reply_to) as fast as it can, kills the
// server once 40 replies are acknowledged (however long that takes on a busy machine),
// and returns the ids of those acknowledged.
func replyStorm(t *testing.T, srv *serverProcess, tid int64, to map[*apiClient]int64) []int64 {
	t.Helper()
	var mu sync.Mutex
	var acked []int64
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for c, parent := range to {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				st, m := c.try("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), fmt.Sprintf(`{"body":"互相回复 %d","reply_to":%d}`, i, parent))
				if st != 201 {
					return // the server is gone
				}
				mu.Lock()
				acked = append(acked, int64(m["post"].(map[string]any)["id"].(float64)))
				if len(acked) >= 40 {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		}()
	}
	if !killOnce(t, srv, enough, &wg) {
		t.Fatalf("the server stopped taking replies after %d of 40", len(acked))
	}
	return acked
}

// killOnce kills the server once enough is closed, and waits for the writers in wg to
// see it gone. It reports false if the writers all stopped first (the server refused
// or died), which no time budget decides.
func killOnce(t *testing.T, srv *serverProcess, enough chan struct{}, wg *sync.WaitGroup) bool {
	t.Helper()
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	select {
	case <-enough:
	case <-stopped:
		return false
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-stopped
	_ = srv.cmd.Wait()
	return true
}

// try is call for a server that may die: a failed round trip is status 0.
func (c *apiClient) try(method, path, body string) (int, map[string]any) {
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// checkReplyNotifications waits until the database holds a reply notification for every
// reply to another person's post, and checks that each is there exactly once and that
// every acknowledged reply is stored. What is owed is read from the posts themselves.
func checkReplyNotifications(t *testing.T, path string, acked []int64) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const owed = `SELECT p.id, parent.author_id FROM posts p JOIN posts parent ON parent.id = p.reply_to
		WHERE p.author_id != parent.author_id AND p.held = 0 AND p.deleted = 0`
	const missing = `SELECT COUNT(*) FROM (` + owed + `) o WHERE NOT EXISTS
		(SELECT 1 FROM notifications n WHERE n.kind = 'reply' AND n.post_id = o.id AND n.user_id = o.author_id)`
	var left int
	if !testkit.Poll(20*time.Second, func() bool {
		if err := db.QueryRow(missing).Scan(&left); err != nil {
			t.Fatal(err)
		}
		return left == 0
	}) {
		t.Fatalf("%d reply notifications owed are missing after the restarts", left)
	}
	var owedN, stored, twice int
	if err := db.QueryRow(`SELECT COUNT(*) FROM (` + owed + `)`).Scan(&owedN); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM notifications WHERE kind = 'reply'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE kind = 'reply' GROUP BY user_id, post_id HAVING COUNT(*) > 1)`).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if stored != owedN || twice != 0 {
		t.Fatalf("%d reply notifications stored for %d owed (%d written more than once)", stored, owedN, twice)
	}
	for _, id := range acked {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM posts WHERE id = ?`, id).Scan(&n); err != nil || n != 1 {
			t.Fatalf("acknowledged reply %d is not stored (%v)", id, err)
		}
	}
	if owedN < len(acked) {
		t.Fatalf("%d notifications owed for %d acknowledged replies", owedN, len(acked))
	}
}

// catchUpAfterRestart subscribes to a thread `missed` posts behind after and checks that
// every missed post arrives, once and in seq order, before `subscribed`.
func catchUpAfterRestart(t *testing.T, base string, tid, after int64, missed int) {
	t.Helper()
	c := newAPIClient(t, base)
	c.signUp("returning")
	d := websocket.Dialer{Jar: c.http.Jar, HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// As a page that left before the posts were written: its `since` is older than all
	// of them, and a post written (not changed) since is no change to catch up with.
	since := time.Now().Add(-time.Hour).UnixMilli()
	if err := conn.WriteJSON(map[string]any{"type": "subscribe", "channel": fmt.Sprintf("thread:%d", tid), "after": after, "since": since}); err != nil {
		t.Fatal(err)
	}
	next := after + 1
	for {
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		var m struct {
			Type string `json:"type"`
			Seq  int64  `json:"seq"`
		}
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("catch-up after restart: at seq %d: %v", next, err)
		}
		if m.Type == "subscribed" {
			break
		}
		if m.Type != "post.created" || m.Seq != next {
			t.Fatalf("catch-up after restart: %s seq %d, want post %d", m.Type, m.Seq, next)
		}
		next++
	}
	if got := next - after - 1; got != int64(missed) {
		t.Fatalf("caught up with %d posts after restart, want %d", got, missed)
	}
}

// TestFirstStartPrintsHowToSignIn checks the newcomer's first screen.
func TestFirstStartPrintsHowToSignIn(t *testing.T) {
	srv := startServer(t, t.TempDir())
	out := srv.out.String()
	for _, w := range []string{"running at " + srv.base, `username "admin"`} {
		if !strings.Contains(out, w) {
			t.Fatalf("first start output lacks %q:\n%s", w, out)
		}
	}
	c := newAPIClient(t, srv.base)
	if st, m := c.call("POST", "/api/v1/auth/login", `{"username":"admin","password":"admin-password-1"}`); st != 200 {
		t.Fatalf("admin sign-in: %d %v", st, m)
	}
	if st, m := c.call("GET", "/api/v1/me", ""); st != 200 || !strings.Contains(fmt.Sprint(m["roles"]), "admin") {
		t.Fatalf("admin roles: %d %v", st, m)
	}
}

// TestSearchAfterKillNine: during heavy posting the process is killed; after restart
// every acknowledged post is searchable within seconds (the index catches up from the
// database).
func TestSearchAfterKillNine(t *testing.T) {
	t.Setenv("JIAYUAN_POST_RATE", "0") // heavy posting: one user's writers, unthrottled
	dir := t.TempDir()
	srv := startServer(t, dir)
	c := newAPIClient(t, srv.base)
	c.signUp("crash")
	st, m := c.call("POST", "/api/v1/boards/xinyu/threads", `{"title":"压力测试","body":"开始"}`)
	if st != 201 {
		t.Fatalf("thread: %d %v", st, m)
	}
	tid := int64(m["thread"].(map[string]any)["id"].(float64))
	// Four writers post as fast as they can; the process dies while they do, once at
	// least 200 replies are acknowledged (however long that takes on a busy machine).
	post := func(i, w int) bool {
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/threads/%d/posts", srv.base, tid), strings.NewReader(fmt.Sprintf(`{"body":"崩溃恢复测试%d号%d"}`, w, i)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", c.csrf)
		res, err := c.http.Do(req)
		if err != nil {
			return false // the server is gone (killed mid-request)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode == 201
	}
	var mu sync.Mutex
	acked := 0
	enough := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; post(i, w); i++ {
				mu.Lock()
				if acked++; acked == 200 {
					close(enough)
				}
				mu.Unlock()
			}
		}(w)
	}
	if !killOnce(t, srv, enough, &wg) {
		t.Fatalf("the server stopped taking replies after %d of 200", acked)
	}

	srv2 := startServer(t, dir)
	c2 := newAPIClient(t, srv2.base)
	var total float64
	if !testkit.Poll(15*time.Second, func() bool {
		st, m := c2.call("GET", "/api/v1/search?q="+url.QueryEscape("崩溃恢复测试")+"&limit=1", "")
		if st == 200 {
			total = m["total"].(float64)
		}
		return int(total) >= acked
	}) {
		t.Fatalf("after restart %v of %d acknowledged replies are searchable", total, acked)
	}
}
