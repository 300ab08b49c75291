package web

import (
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
)

// contentPolicy is the Content-Security-Policy of every answer. Scripts come only from
// our own static files; the one inline style of a page (the viewer's own posts show
// their edit links) carries the page's nonce. Images in posts may come from anywhere
// (Markdown image links), so img-src is open; 'self' covers the websocket too.
func contentPolicy(nonce string) string {
	style := "style-src 'self'"
	if nonce != "" {
		style += " 'nonce-" + nonce + "'"
	}
	return "default-src 'self'; script-src 'self'; " + style + "; img-src * data:; connect-src 'self'; " +
		"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

var defaultPolicy = contentPolicy("")

// securityHeaders go on every answer, pages, API and errors alike. They are set before
// the handler runs, so a page that needs a nonce (render) replaces the policy.
func securityHeaders(c *fiber.Ctx) {
	h := &c.Response().Header
	h.Set(fiber.HeaderContentSecurityPolicy, defaultPolicy)
	h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	h.Set(fiber.HeaderXFrameOptions, "DENY")
	h.Set(fiber.HeaderReferrerPolicy, "same-origin")
	h.Set(fiber.HeaderPermissionsPolicy, "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
}

func withSecurityHeaders(c *fiber.Ctx) error {
	securityHeaders(c)
	return c.Next()
}

// styleNonce is a fresh nonce for the inline style of one page.
func styleNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	// URL-safe: html/template would escape a + or / in the attribute, and the nonce
	// would no longer match.
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// compressed compresses answers for clients that accept brotli or gzip, at the fastest
// level: pages are rendered per request, and a byte saved costs less than the CPU spent
// squeezing it. Static assets are compressed once at start (staticAsset); the
// websocket is no body to compress. An answer left plain (too small to gain) varies
// with Accept-Encoding all the same.
func compressed() fiber.Handler {
	squeeze := compress.New(compress.Config{Level: compress.LevelBestSpeed})
	return func(c *fiber.Ctx) error {
		if p := c.Path(); p == "/ws" || strings.HasPrefix(p, "/static/") {
			return c.Next()
		}
		c.Vary(fiber.HeaderAcceptEncoding)
		return squeeze(c)
	}
}
