// Package config reads Jiayuan's settings from command-line flags and the environment.
// Flags win over environment variables, which win over defaults.
package config

import (
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything the server needs to start.
type Config struct {
	Addr             string
	DataDir          string
	MongoURI         string
	MongoDatabase    string
	OpenRegistration bool
	AdminPassword    string
	// PublicOrigin, when set, is the origin browsers use (https://forum.example.com);
	// it is what cross-site checks compare against behind a proxy.
	PublicOrigin string
	// SearchDir holds this node's search index (each node keeps its own).
	SearchDir string
	// NATSURL links several nodes' event buses; empty runs one node alone.
	NATSURL string
	// Rate limits per minute; 0 turns a limit off (benchmarks do).
	LoginPerMinute int
	PostPerMinute  int
	// PageCacheMB is how much memory ready-made pages and JSON bodies may take; 0 turns
	// the cache off.
	PageCacheMB   int
	ShutdownGrace time.Duration
	LogLevel      string
	// TrustedProxies are the addresses (IPs or CIDR ranges) of the load balancers in
	// front: only from them is X-Forwarded-For believed, and rate limits are keyed on
	// the client address it gives. Empty: every peer is the client.
	TrustedProxies []string
	// MetricsToken, when set, is the bearer token /metrics requires; unset, /metrics
	// answers only callers on this machine that came through no proxy.
	MetricsToken string

	// WSPerUser and WSPerAddress cap open websockets per person and guest websockets
	// per client address; 0 is no cap.
	WSPerUser    int
	WSPerAddress int
	// RequestTimeout bounds each HTTP request (websockets aside): its context, which
	// every store call gets, ends then. 0 is the default, 10 s.
	RequestTimeout time.Duration
}

// Load parses args (without the program and command names) over the environment.
func Load(args []string) (*Config, error) {
	c := &Config{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", env("JIAYUAN_ADDR", "127.0.0.1:8080"), "listen address (JIAYUAN_ADDR)")
	fs.StringVar(&c.DataDir, "data", env("JIAYUAN_DATA", "./data"), "data directory for the embedded database and files (JIAYUAN_DATA)")
	fs.StringVar(&c.MongoURI, "mongodb-uri", env("MONGODB_URI", ""), "MongoDB connection string; empty uses the embedded SQLite engine (MONGODB_URI)")
	fs.StringVar(&c.MongoDatabase, "mongodb-database", env("JIAYUAN_MONGODB_DATABASE", "jiayuan"), "MongoDB database name (JIAYUAN_MONGODB_DATABASE)")
	openDefault := env("JIAYUAN_OPEN_REGISTRATION", "")
	fs.StringVar(&openDefault, "open-registration", openDefault, "allow anyone to sign up: true or false (default: true with the embedded engine, false with MongoDB) (JIAYUAN_OPEN_REGISTRATION)")
	fs.StringVar(&c.PublicOrigin, "public-origin", env("JIAYUAN_PUBLIC_ORIGIN", ""), "origin browsers use, e.g. https://jiayuan.example.com (JIAYUAN_PUBLIC_ORIGIN)")
	fs.StringVar(&c.SearchDir, "search-dir", env("JIAYUAN_SEARCH_DIR", ""), "this node's search index directory (default: <data>/search.bleve) (JIAYUAN_SEARCH_DIR)")
	fs.StringVar(&c.NATSURL, "nats-url", env("JIAYUAN_NATS_URL", ""), "NATS server linking several Jiayuan nodes, e.g. nats://nats:4222; empty: one node (JIAYUAN_NATS_URL)")
	fs.IntVar(&c.LoginPerMinute, "login-rate", envInt("JIAYUAN_LOGIN_RATE", 10), "sign-in and sign-up attempts per minute per address; 0 is unlimited (JIAYUAN_LOGIN_RATE)")
	fs.IntVar(&c.PostPerMinute, "post-rate", envInt("JIAYUAN_POST_RATE", 30), "posts per minute per user; 0 is unlimited (JIAYUAN_POST_RATE)")
	fs.IntVar(&c.PageCacheMB, "page-cache", envInt("JIAYUAN_PAGE_CACHE", 64), "megabytes of ready-made pages and JSON bodies kept in memory; 0 turns the cache off (JIAYUAN_PAGE_CACHE)")
	fs.IntVar(&c.WSPerUser, "ws-per-user", envInt("JIAYUAN_WS_PER_USER", 20), "open websockets per signed-in person; 0 is unlimited (JIAYUAN_WS_PER_USER)")
	fs.IntVar(&c.WSPerAddress, "ws-per-address", envInt("JIAYUAN_WS_PER_ADDRESS", 100), "open guest websockets per client address (signed-in ones are capped per person only); 0 is unlimited (JIAYUAN_WS_PER_ADDRESS)")
	fs.StringVar(&c.LogLevel, "log-level", env("JIAYUAN_LOG_LEVEL", "info"), "debug, info, warn or error (JIAYUAN_LOG_LEVEL)")
	proxies := env("JIAYUAN_TRUSTED_PROXIES", "")
	fs.StringVar(&proxies, "trusted-proxies", proxies, "comma-separated IPs or CIDR ranges of the load balancers in front, whose X-Forwarded-For is believed (JIAYUAN_TRUSTED_PROXIES)")
	fs.StringVar(&c.MetricsToken, "metrics-token", env("JIAYUAN_METRICS_TOKEN", ""), "bearer token required for /metrics; empty: /metrics answers only local callers (JIAYUAN_METRICS_TOKEN)")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", 10*time.Second, "how long to let requests finish on SIGTERM")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", envDuration("JIAYUAN_REQUEST_TIMEOUT", 10*time.Second), "how long one HTTP request may take before its database calls are cancelled (JIAYUAN_REQUEST_TIMEOUT)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.TrustedProxies, err = parseProxies(proxies); err != nil {
		return nil, err
	}
	c.AdminPassword = os.Getenv("JIAYUAN_ADMIN_PASSWORD")
	if c.SearchDir == "" {
		c.SearchDir = filepath.Join(c.DataDir, "search.bleve")
	}
	switch openDefault {
	case "":
		c.OpenRegistration = c.MongoURI == ""
	default:
		v, err := strconv.ParseBool(openDefault)
		if err != nil {
			return nil, fmt.Errorf("--open-registration: %q is not true or false", openDefault)
		}
		c.OpenRegistration = v
	}
	return c, nil
}

// parseProxies splits a comma-separated list of IPs and CIDR ranges, refusing anything
// else: a typo must not quietly trust nobody, or everybody.
func parseProxies(list string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, fmt.Errorf("--trusted-proxies: %q is not an IP address or CIDR range", p)
		}
		out = append(out, p)
	}
	return out, nil
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return v
	}
	return def
}
