package main

import (
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"jiayuan/app/testkit"
)

// TestMakeRunAsTheREADMESays: `make run` on a fresh data directory prints the lines the
// README quotes, and Ctrl-C (SIGINT to the terminal's process group: make, and the
// server under it) stops it without make reporting an error.
func TestMakeRunAsTheREADMESays(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make on this machine")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	quoted := readmeRunOutput(t, string(readme))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command("make", "run")
	cmd.Dir = "../.."
	// As typed in a fresh terminal: no admin password chosen, not inside another make.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "JIAYUAN_") && k != "MAKEFLAGS" && k != "MAKELEVEL" && k != "MFLAGS" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "JIAYUAN_ADDR="+addr, "JIAYUAN_DATA="+t.TempDir(), "JIAYUAN_LOG_LEVEL=error")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	// The first `make run` builds the binary.
	if !testkit.Poll(5*time.Minute, func() bool {
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	}) {
		t.Fatalf("make run did not become ready:\n%s", out.String())
	}
	printed := out.String()
	for _, line := range quoted {
		// The README shows the default address and a placeholder for the password.
		line = strings.ReplaceAll(line, "127.0.0.1:8080", addr)
		re := "(?m)^" + strings.ReplaceAll(regexp.QuoteMeta(line), "…", `[^"]+`) + "$"
		if !regexp.MustCompile(re).MatchString(printed) {
			t.Errorf("the README quotes %q, make run printed:\n%s", line, printed)
		}
	}

	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	// make passes Ctrl-C on by dying of it, as a shell expects; what it must not do is
	// report its recipe as failed.
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGINT) {
		t.Errorf("make run after Ctrl-C: %v", err)
	}
	if s := out.String(); strings.Contains(s, "make: ***") || strings.Contains(s, "exit status") {
		t.Errorf("Ctrl-C on make run reports an error:\n%s", s)
	}
}

// readmeRunOutput returns the lines of the README's "Run it" section quoted as what the
// server prints: the first code block after the one that says `make run`.
func readmeRunOutput(t *testing.T, readme string) []string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Run it\n")
	if ok {
		section, _, _ = strings.Cut(section, "\n## ")
	}
	blocks := regexp.MustCompile("(?s)```[a-z]*\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) < 2 || strings.TrimSpace(blocks[0][1]) != "make run" {
		t.Fatalf("the README's Run it section has no `make run` block followed by its output")
	}
	var lines []string
	for _, l := range strings.Split(blocks[1][1], "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}
