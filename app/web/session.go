package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
)

const (
	sessionCookie = "jy_session"
	csrfHeader    = "X-CSRF-Token"
	csrfField     = "_csrf"
)

// preSessionCookie holds the CSRF token of the sign-in and sign-up forms, which are
// posted before there is a session to hold one.
const preSessionCookie = "jy_presession"

// who is the caller of a request, resolved once by authenticate.
type who struct {
	user    *accounts.User
	session *accounts.Session // nil for bearer tokens and guests
}

func caller(c *fiber.Ctx) who {
	w, _ := c.Locals("who").(who)
	return w
}

func userID(c *fiber.Ctx) int64 {
	if u := caller(c).user; u != nil {
		return u.ID
	}
	return 0
}

// authenticate resolves the session cookie or bearer token. A bad bearer token is an
// error (a script should know), a stale cookie is dropped quietly (a browser just
// becomes a guest).
func (s *Server) authenticate(c *fiber.Ctx) error {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		raw, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return fault.Unauthorized("err_authorization_form")
		}
		u, err := s.Accounts.TokenUser(c.UserContext(), strings.TrimSpace(raw))
		if errors.Is(err, fault.ErrNotFound) {
			return fault.Unauthorized("err_invalid_access_token")
		} else if err != nil {
			return err
		}
		c.Locals("who", who{user: u})
		return c.Next()
	}
	if raw := c.Cookies(sessionCookie); raw != "" {
		u, sess, err := s.Accounts.SessionUser(c.UserContext(), raw)
		switch {
		case err == nil:
			c.Locals("who", who{user: u, session: sess})
		case errors.Is(err, fault.ErrNotFound):
			s.clearSessionCookie(c)
		default:
			return err
		}
	}
	return c.Next()
}

// protectWrites refuses cross-site writes outright and cookie-authenticated writes
// without the session's CSRF token. Bearer-token calls carry no ambient authority, so
// they need no token.
func (s *Server) protectWrites(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if c.Get("Sec-Fetch-Site") == "cross-site" || !s.sameOrigin(c) {
		return fault.Forbidden("err_cross_site_request")
	}
	sess := caller(c).session
	if sess == nil {
		return c.Next()
	}
	token := c.Get(csrfHeader)
	if token == "" && !strings.HasPrefix(c.Path(), "/api/") {
		token = c.FormValue(csrfField)
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRFToken)) != 1 {
		return &fault.Error{Kind: fault.KindForbidden, Code: "csrf", Key: "err_csrf"}
	}
	return c.Next()
}

// sameOrigin checks the Origin header, when a browser sent one, against our own origin.
// "Origin: null" (sandboxed frames, file: pages, cross-site redirects) is let through
// only from old browsers that send no Sec-Fetch-Site and only without our cookies: a
// request that carries a session or pre-session cookie and says null may be a forgery
// riding on them.
func (s *Server) sameOrigin(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return true
	}
	if origin == "null" {
		return c.Get("Sec-Fetch-Site") == "" && c.Cookies(sessionCookie) == "" && c.Cookies(preSessionCookie) == ""
	}
	if s.Config.PublicOrigin != "" {
		return origin == s.Config.PublicOrigin
	}
	return origin == c.Protocol()+"://"+c.Hostname()
}

// formToken is the CSRF token a form on this page carries: the session's, or for a
// guest the pre-session token, issued in a cookie on first use.
func (s *Server) formToken(c *fiber.Ctx) string {
	if sess := caller(c).session; sess != nil {
		return sess.CSRFToken
	}
	if v := c.Cookies(preSessionCookie); len(v) == preSessionLen {
		return strings.Clone(v)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails (it panics instead)
	tok := base64.RawURLEncoding.EncodeToString(raw)
	// HttpOnly and SameSite=Lax: a cross-site form post arrives without it, and no
	// script can read it to forge the field (double submit).
	c.Cookie(&fiber.Cookie{Name: preSessionCookie, Value: tok, Path: "/",
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https"})
	return tok
}

// preSessionLen is the length of a pre-session token: 32 random bytes in base64url.
const preSessionLen = 43

var errPreSessionCSRF = &fault.Error{Kind: fault.KindForbidden, Code: "csrf_form", Key: "err_csrf_form"}

// checkFormToken guards the sign-in and sign-up forms against login CSRF (a forged post
// that signs the victim in to the forger's account): a guest's post must carry the
// token of its pre-session cookie. A signed-in caller's post was checked against the
// session's token by protectWrites.
func (s *Server) checkFormToken(c *fiber.Ctx) error {
	if caller(c).session != nil {
		return nil
	}
	cookie, field := c.Cookies(preSessionCookie), c.FormValue(csrfField)
	if len(cookie) != preSessionLen || subtle.ConstantTimeCompare([]byte(field), []byte(cookie)) != 1 {
		return errPreSessionCSRF
	}
	return nil
}

func (s *Server) clearPreSessionCookie(c *fiber.Ctx) {
	if c.Cookies(preSessionCookie) != "" {
		c.Cookie(&fiber.Cookie{Name: preSessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0),
			HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	}
}

func (s *Server) setSessionCookie(c *fiber.Ctx, raw string, expires time.Time) {
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: raw, Path: "/", Expires: expires,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https",
	})
}

func (s *Server) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}
