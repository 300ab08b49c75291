package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// TestSecurityHeadersEverywhere: pages, API answers, assets and errors (a missing page,
// a refused call) all carry the same security headers, and no policy
// lets an inline script run.
func TestSecurityHeadersEverywhere(t *testing.T) {
	e := newEnv(t)
	u := e.user("anquan")
	th, _ := u.thread("xinyu", "安全头", "正文")
	answers := map[string]resp{
		"home":         u.page("/"),
		"thread":       u.page("/t/" + itoa(th)),
		"login":        e.guest().page("/login"),
		"api":          u.do("GET", "/api/v1/boards", nil),
		"api refusal":  e.guest().do("POST", "/api/v1/boards/xinyu/threads", map[string]string{"title": "t", "body": "b"}),
		"missing page": u.page("/no/such/page"),
		"asset":        u.do("GET", "/static/app.css", nil),
		"openapi":      e.guest().do("GET", "/api/openapi.json", nil),
	}
	for name, r := range answers {
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "same-origin",
		} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s (%d): %s = %q, want %q", name, r.Status, h, got, want)
			}
		}
		if !strings.Contains(r.Header.Get("Permissions-Policy"), "camera=()") {
			t.Errorf("%s: Permissions-Policy %q", name, r.Header.Get("Permissions-Policy"))
		}
		csp := directives(r.Header.Get("Content-Security-Policy"))
		if csp["frame-ancestors"] != "'none'" || csp["script-src"] != "'self'" || csp["object-src"] != "'none'" ||
			!strings.Contains(csp["connect-src"], "'self'") {
			t.Errorf("%s: Content-Security-Policy %q", name, r.Header.Get("Content-Security-Policy"))
		}
		if strings.Contains(r.Header.Get("Content-Security-Policy"), "unsafe-") {
			t.Errorf("%s: the policy allows something unsafe: %q", name, r.Header.Get("Content-Security-Policy"))
		}
	}
	// A page has no inline script at all, and its inline style carries the nonce that
	// this answer's policy names (a fresh one on every page).
	p := answers["thread"]
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(p.Body) || strings.Contains(p.Body, " onclick=") {
		t.Errorf("the thread page has an inline script:\n%s", p.Body)
	}
	nonce := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(p.Header.Get("Content-Security-Policy"))
	if nonce == nil || !strings.Contains(p.Body, `<style nonce="`+nonce[1]+`">`) {
		t.Fatalf("the page's style is not let in by its policy %q", p.Header.Get("Content-Security-Policy"))
	}
	if again := u.page("/t/" + itoa(th)); strings.Contains(again.Header.Get("Content-Security-Policy"), nonce[1]) {
		t.Errorf("two pages share the nonce %s", nonce[1])
	}
}

func directives(csp string) map[string]string {
	out := map[string]string{}
	for d := range strings.SplitSeq(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		out[name] = value
	}
	return out
}

// TestCompressedAnswers: pages, API answers and assets come brotli- or gzip-compressed to
// a client that accepts it, and plain to one that does not; assets are compressed once
// (the same bytes every time) and say that the answer varies with Accept-Encoding.
func TestCompressedAnswers(t *testing.T) {
	e := newEnv(t)
	u := e.user("yasuo")
	th, _ := u.thread("xinyu", "压缩", strings.Repeat("这段正文足够长，值得压缩。", 40))
	for _, path := range []string{"/t/" + itoa(th), "/api/v1/threads/" + itoa(th), "/static/app.js", "/static/app.css"} {
		plain := u.do("GET", path, nil) // Go's client asks for gzip and unpacks it itself
		if plain.Status != 200 || len(plain.Body) < 1000 {
			t.Fatalf("%s: %d, %d bytes", path, plain.Status, len(plain.Body))
		}
		unbrotli := func(b []byte) ([]byte, error) { return io.ReadAll(brotli.NewReader(bytes.NewReader(b))) }
		for enc, unpack := range map[string]func([]byte) ([]byte, error){
			"br":                      unbrotli,
			"gzip":                    gunzip,
			"identity":                func(b []byte) ([]byte, error) { return b, nil },
			"gzip, deflate, br, zstd": nil, // a browser: pages come as gzip, built around their cached parts
		} {
			r := u.page(path, "Accept-Encoding", enc)
			want := enc
			switch {
			case enc == "identity":
				want = ""
			case unpack == nil && strings.HasPrefix(path, "/t/"):
				want, unpack = "gzip", gunzip
			case unpack == nil:
				want, unpack = "br", unbrotli
			}
			if got := r.Header.Get("Content-Encoding"); got != want {
				t.Errorf("%s with Accept-Encoding %s: Content-Encoding %q", path, enc, got)
				continue
			}
			if !strings.Contains(r.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s: Vary %q", path, r.Header.Get("Vary"))
			}
			body, err := unpack([]byte(r.Body))
			if err != nil {
				t.Errorf("%s in %s: %v", path, enc, err)
				continue
			}
			if want != "" && len(r.Body) >= len(body) {
				t.Errorf("%s in %s: %d bytes for %d", path, enc, len(r.Body), len(body))
			}
			if strings.HasPrefix(path, "/static/") && string(body) != plain.Body {
				t.Errorf("%s in %s unpacks to other bytes", path, enc)
			}
		}
	}
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// TestPageBasics: every page names a favicon and has a description; assets at their
// fingerprinted address are cached for a year, and at another only with revalidation.
func TestPageBasics(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/", "/b/xinyu", "/login", "/no/such/page"} {
		p := e.guest().page(path)
		icon := regexp.MustCompile(`<link rel="icon" href="(/static/favicon\.svg\?v=\w+)"`).FindStringSubmatch(p.Body)
		if icon == nil || !regexp.MustCompile(`<meta name="description" content="[^"]{20,}">`).MatchString(p.Body) {
			t.Fatalf("%s lacks a favicon or a description:\n%s", path, p.Body)
		}
		r := e.guest().do("GET", icon[1], nil)
		if r.Status != 200 || r.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(r.Body, "<svg") ||
			r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Fatalf("favicon: %d %v", r.Status, r.Header)
		}
	}
	if r := e.guest().do("GET", "/static/favicon.svg?v=old", nil); r.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("an old fingerprint is cached: %q", r.Header.Get("Cache-Control"))
	}
}

// TestLanguageLinksKeepThePage: the language switch leads to the same page with its
// query, a search's q included.
func TestLanguageLinksKeepThePage(t *testing.T) {
	e := newEnv(t)
	p := e.user("yuyan").page("/search?q=" + url.QueryEscape("学习") + "&lang=zh-Hant")
	links := regexp.MustCompile(`<a href="([^"]+)" lang="([^"]+)" hreflang`).FindAllStringSubmatch(p.Body, -1)
	if len(links) != 3 {
		t.Fatalf("language links: %v", links)
	}
	for _, l := range links {
		u, err := url.Parse(strings.ReplaceAll(l[1], "&amp;", "&"))
		if err != nil || u.Path != "/search" || u.Query().Get("q") != "学习" || u.Query().Get("lang") != l[2] {
			t.Errorf("the %s link %q does not keep the search", l[2], l[1])
		}
	}
}
