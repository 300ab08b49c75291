package web_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"jiayuan/app/config"
)

// TestMetricsAreNotPublic: /metrics tells much about a deployment, so without a token
// only this machine reads it, and with one only whoever sends it.
func TestMetricsAreNotPublic(t *testing.T) {
	e := newEnv(t)
	if r := e.guest().do("GET", "/metrics", nil); r.Status != 200 || !strings.Contains(r.Body, "go_goroutines") {
		t.Fatalf("local scrape: %d", r.Status)
	}
	// From another machine (app.Test's peer is 0.0.0.0, not loopback).
	res, err := e.srv.App().Test(httptest.NewRequest("GET", "/metrics", nil))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Fatalf("remote scrape without a token: %d, want 403", res.StatusCode)
	}
	// Through a proxy on this machine: every visitor would look local.
	g := e.guest()
	g.header = map[string]string{"X-Forwarded-For": "198.51.100.4"}
	if r := g.do("GET", "/metrics", nil); r.Status != 403 || r.errCode(t) != "metrics_local_only" {
		t.Fatalf("scrape through a local proxy: %d %s", r.Status, r.Body)
	}

	tok := e.node(func(c *config.Config) { c.MetricsToken = "s3cret-scrape-token" })
	scrape := func(auth string) int {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RequestURI, req.URL.Scheme, req.URL.Host = "", "http", tok
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, auth := range []string{"", "Bearer wrong", "s3cret-scrape-token", "Basic czNjcmV0"} {
		if st := scrape(auth); st != 401 {
			t.Errorf("scrape with %q: %d, want 401", auth, st)
		}
	}
	if st := scrape("Bearer s3cret-scrape-token"); st != 200 {
		t.Fatalf("scrape with the token: %d", st)
	}
}
