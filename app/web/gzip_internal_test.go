package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestGzipPageSplicesFragments: a page written around a remembered fragment is one valid
// gzip stream (checksum and length included) that carries the fragment's blocks as they
// were deflated once, not compressed again.
func TestGzipPageSplicesFragments(t *testing.T) {
	d := newDeflatedFragments()
	frag := strings.Repeat(`<article class="post"><p>本周认真学习了党章。</p></article>`, 200)
	d.remember(frag)
	blocks, _ := d.blocksOf([]byte(frag))
	for _, parts := range [][]string{
		{"<!doctype html><title>主题</title><main>", frag, "</main><footer>页脚</footer>"},
		{frag},
		{"<p>no fragment here</p>", strings.Repeat("x", 2000)},
		{"<main>", frag, "<hr>", frag, "</main>"},
	} {
		g := newGzipPage(d)
		for _, p := range parts {
			if _, err := g.Write([]byte(p)); err != nil {
				t.Fatal(err)
			}
		}
		body, err := g.finish()
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr) // checks the CRC-32 and the length at the end
		if err != nil {
			t.Fatalf("%d parts: %v", len(parts), err)
		}
		if want := strings.Join(parts, ""); string(got) != want {
			t.Fatalf("%d parts unpack to %d bytes, want %d", len(parts), len(got), len(want))
		}
		if spliced := bytes.Contains(body, blocks); spliced != strings.Contains(strings.Join(parts, ""), frag) {
			t.Errorf("%d parts: fragment blocks spliced in: %v", len(parts), spliced)
		}
	}
}

// TestCachedBodiesCompressedOnce: a body sent again and again goes out as the brotli or
// gzip form made the first time, and a client that takes neither gets it plain.
func TestCachedBodiesCompressedOnce(t *testing.T) {
	b := newCachedBodies()
	body := []byte(strings.Repeat(`{"body":"本周认真学习了党章。"},`, 200))
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error { return b.send(c, body) })
	get := func(enc string) *http.Response {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Accept-Encoding", enc)
		res, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, enc := range []string{"br", "gzip", "br", "gzip", ""} {
		res := get(enc)
		raw, _ := io.ReadAll(res.Body)
		forms, ok := b.lru.Get(string(body))
		want := map[string][]byte{"br": forms.brotli, "gzip": forms.gzip, "": body}[enc]
		if !ok || res.Header.Get("Content-Encoding") != enc || !bytes.Equal(raw, want) || b.lru.Len() != 1 {
			t.Errorf("Accept-Encoding %q: %s, %d bytes, not the form made once", enc, res.Header.Get("Content-Encoding"), len(raw))
		}
	}
}
