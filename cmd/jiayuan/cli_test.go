package main

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runCLI runs a jiayuan command line in a child process, as an operator would beside
// a running server.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "JIAYUAN_TEST_MAIN=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestCLIBesideARunningServer: `jiayuan admin` works against a running server's data
// without touching its search index, and `jiayuan reindex` refuses to, saying why;
// the server's index is the same files with the same posts afterwards, and the server
// still stops cleanly on SIGTERM.
func TestCLIBesideARunningServer(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir)
	c := newAPIClient(t, srv.base)
	c.signUp("operator")
	st, m := c.call("POST", "/api/v1/boards/nianhua/threads", `{"title":"索引还在","body":"运行中的索引"}`)
	if st != 201 {
		t.Fatalf("thread: %d %v", st, m)
	}
	tid := int64(m["thread"].(map[string]any)["id"].(float64))
	for i := 0; i < 5; i++ {
		if st, m := c.call("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), fmt.Sprintf(`{"body":"运行中的索引 %d"}`, i)); st != 201 {
			t.Fatalf("reply: %d %v", st, m)
		}
	}
	found := func() float64 {
		st, m := c.call("GET", "/api/v1/search?q="+url.QueryEscape("运行中的索引"), "")
		if st != 200 {
			return -1
		}
		return m["total"].(float64)
	}
	eventually(t, 10*time.Second, "the posts to be searchable", func() bool { return found() == 6 })
	root := filepath.Join(dir, "search.bleve", "store", "root.bolt")
	before, err := os.Stat(root)
	if err != nil {
		t.Fatal(err)
	}

	out, err := runCLI(t, "admin", "create-user", "newcomer", "password-newcomer", "--data", dir)
	if err != nil {
		t.Fatalf("admin create-user beside the server: %v\n%s", err, out)
	}
	out, err = runCLI(t, "reindex", "--data", dir)
	if err == nil {
		t.Fatalf("reindex beside a running server succeeded:\n%s", out)
	}
	if !strings.Contains(out, "stop the server first") {
		t.Fatalf("reindex beside a running server says:\n%s", out)
	}

	after, err := os.Stat(root)
	if err != nil {
		t.Fatalf("the server's index lost its root: %v", err)
	}
	if !os.SameFile(before, after) {
		t.Fatal("the server's index was replaced")
	}
	if n := found(); n != 6 {
		t.Fatalf("the server finds %v posts after the commands, want 6", n)
	}
	// The user made from the console signs in on the running server.
	nc := newAPIClient(t, srv.base)
	if st, m := nc.call("POST", "/api/v1/auth/login", `{"username":"newcomer","password":"password-newcomer"}`); st != 200 {
		t.Fatalf("console-made user signs in: %d %v", st, m)
	}

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.cmd.Wait(); err != nil {
		t.Fatalf("server after SIGTERM: %v\n%s", err, srv.out.String())
	}
}
