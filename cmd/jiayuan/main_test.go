package main

import (
	"context"
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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(sp.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return sp
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not become ready:\n%s", out.String())
	return nil
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
// is killed without warning and started again.
func TestKillNineLosesNothing(t *testing.T) {
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
	if len(posts) != replies+1 {
		t.Fatalf("%d posts after kill -9, want %d", len(posts), replies+1)
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
	dir := t.TempDir()
	srv := startServer(t, dir)
	c := newAPIClient(t, srv.base)
	c.signUp("crash")
	st, m := c.call("POST", "/api/v1/boards/xinyu/threads", `{"title":"压力测试","body":"开始"}`)
	if st != 201 {
		t.Fatalf("thread: %d %v", st, m)
	}
	tid := int64(m["thread"].(map[string]any)["id"].(float64))
	// Four writers post as fast as they can; the process dies while they do.
	var mu sync.Mutex
	acked := 0
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				st, _ := c.call("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), fmt.Sprintf(`{"body":"崩溃恢复测试%d号%d"}`, w, i))
				if st != 201 {
					return // the server is gone
				}
				mu.Lock()
				acked++
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	_ = srv.cmd.Wait()
	if acked < 20 {
		t.Fatalf("only %d replies before the kill", acked)
	}

	srv2 := startServer(t, dir)
	c2 := newAPIClient(t, srv2.base)
	var total float64
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		st, m := c2.call("GET", "/api/v1/search?q="+url.QueryEscape("崩溃恢复测试")+"&limit=1", "")
		if st == 200 {
			if total = m["total"].(float64); int(total) >= acked {
				return
			}
		}
	}
	t.Fatalf("after restart %v of %d acknowledged replies are searchable", total, acked)
}
