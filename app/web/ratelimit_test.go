package web_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"jiayuan/app/config"
	"jiayuan/app/web"
)

// node starts another Jiayuan web server over e's store and services, with its own
// settings, and returns its address. It shares e's stopped rate-limit clock.
func (e *env) node(mutate func(*config.Config)) string {
	e.t.Helper()
	d := e.srv.Deps
	cfg := *d.Config
	mutate(&cfg)
	d.Config = &cfg
	srv, err := web.New(d)
	if err != nil {
		e.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go srv.Serve(ln)
	e.t.Cleanup(func() { srv.Shutdown(time.Second) })
	return ln.Addr().String()
}

// signInAt makes one failed JSON sign-in at addr and returns the status.
func signInAt(t *testing.T, addr string, header ...string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/auth/login", strings.NewReader(`{"username":"nobody","password":"wrong password"}`))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == 429 && res.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	return res.StatusCode
}

// TestRateLimitsSharedByNodes: two nodes on one database draw on one sign-in budget,
// so a load balancer spreading attempts over them gains an attacker nothing.
func TestRateLimitsSharedByNodes(t *testing.T) {
	e := newEnv(t)
	limit := func(c *config.Config) { c.LoginPerMinute = 3 }
	a, b := e.node(limit), e.node(limit)
	for i, addr := range []string{a, b, a} {
		if st := signInAt(t, addr); st != 401 {
			t.Fatalf("attempt %d: %d, want 401", i+1, st)
		}
	}
	for _, addr := range []string{b, a} {
		if st := signInAt(t, addr); st != 429 {
			t.Fatalf("fourth attempt in a minute, at %s: %d, want 429", addr, st)
		}
	}
}

// TestRateLimitsBehindTrustedProxy: behind a trusted proxy each client has its own
// budget, keyed on the address the proxy saw; from anyone else X-Forwarded-For is
// ignored.
func TestRateLimitsBehindTrustedProxy(t *testing.T) {
	e := newEnv(t)
	proxied := e.node(func(c *config.Config) { c.LoginPerMinute = 2; c.TrustedProxies = []string{"127.0.0.0/8"} })
	xff := "X-Forwarded-For"
	for i := 0; i < 2; i++ {
		if st := signInAt(t, proxied, xff, "203.0.113.5"); st != 401 {
			t.Fatalf("client 1, attempt %d: %d", i+1, st)
		}
	}
	if st := signInAt(t, proxied, xff, "203.0.113.5"); st != 429 {
		t.Fatalf("client 1, third attempt: %d, want 429", st)
	}
	// An address the client wrote itself, left of what the proxy appended, buys
	// nothing.
	if st := signInAt(t, proxied, xff, "198.51.100.77, 203.0.113.5"); st != 429 {
		t.Fatalf("client 1 with a forged X-Forwarded-For entry: %d, want 429", st)
	}
	// Another client behind the same proxy has a budget of its own.
	if st := signInAt(t, proxied, xff, "203.0.113.6"); st != 401 {
		t.Fatalf("client 2 behind the proxy: %d, want 401", st)
	}

	// The proxy named is not the peer: X-Forwarded-For is the peer's word, ignored.
	direct := e.node(func(c *config.Config) { c.LoginPerMinute = 2; c.TrustedProxies = []string{"192.0.2.1"} })
	signInAt(t, direct, xff, "203.0.113.7")
	signInAt(t, direct, xff, "203.0.113.8")
	if st := signInAt(t, direct, xff, "203.0.113.9"); st != 429 {
		t.Fatalf("untrusted peer with a new X-Forwarded-For each time: %d, want 429", st)
	}
}
