package web

import (
	"crypto/subtle"
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
			return fault.Unauthorized("Authorization 须为 \"Bearer <token>\" (Authorization must be \"Bearer <token>\")")
		}
		u, err := s.Accounts.TokenUser(c.UserContext(), strings.TrimSpace(raw))
		if errors.Is(err, fault.ErrNotFound) {
			return fault.Unauthorized("访问令牌无效 (invalid access token)")
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
		return fault.Forbidden("拒绝跨站请求 (cross-site request refused)")
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
		return &fault.Error{Kind: fault.KindForbidden, Code: "csrf", Message: "缺少或错误的 CSRF 令牌，请刷新页面后重试 (missing or wrong CSRF token: reload the page and try again; API clients send the csrf_token from login in the X-CSRF-Token header)"}
	}
	return c.Next()
}

// sameOrigin checks the Origin header, when a browser sent one, against our own origin.
func (s *Server) sameOrigin(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" || origin == "null" && c.Get("Sec-Fetch-Site") == "" {
		return true
	}
	if s.Config.PublicOrigin != "" {
		return origin == s.Config.PublicOrigin
	}
	return origin == c.Protocol()+"://"+c.Hostname()
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
