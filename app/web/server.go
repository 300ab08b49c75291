// Package web is Jiayuan's HTTP face: the JSON API under /api/v1, the server-rendered
// pages, health checks and metrics. Handlers parse, make one service call, and render.
package web

import (
	"context"
	"html/template"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/utils"

	"jiayuan/app/accounts"
	"jiayuan/app/audit"
	"jiayuan/app/cache"
	"jiayuan/app/config"
	"jiayuan/app/forum"
	"jiayuan/app/markup"
	"jiayuan/app/moderation"
	"jiayuan/app/notify"
	"jiayuan/app/org"
	"jiayuan/app/ratelimit"
	"jiayuan/app/words"
	"jiayuan/realtime"
	"jiayuan/search"
)

// MaxRequestBody is the largest request body accepted; larger ones get 413.
const MaxRequestBody = 1 << 20

// Policy answers authorization questions the services do not: who may listen on which
// realtime channel, and which roles a user holds (for /api/v1/me).
type Policy interface {
	Allowed(userID int64, domain, object, action string) bool
	RolesOf(userID int64) []string
	// Decisions counts the questions answered, for the route-coverage test.
	Decisions() int64
}

// Deps are what the web layer calls.
type Deps struct {
	Log      *slog.Logger
	Config   *config.Config
	Accounts *accounts.Service
	Forum    *forum.Service
	Notify   *notify.Service
	Policy   Policy
	// Moderation serves reports and silences.
	Moderation *moderation.Service
	// Org serves roles and branches.
	Org *org.Service
	// Words serves the word list.
	Words *words.Service
	// Audit serves the audit log.
	Audit  *audit.Log
	Markup *markup.Renderer
	// Ready reports whether the database answers, for /readyz.
	Ready func(ctx context.Context) error
	// Search answers /search and /api/v1/search; nil turns search off.
	Search *search.Service
	// Live serves the websocket at /ws; nil turns it off.
	Live *realtime.Server
	// Limits keeps the rate-limit counts, shared by every node on the same store; nil
	// counts in this process alone.
	Limits ratelimit.Store
	// Now is the clock of the rate-limit windows; nil is time.Now.
	Now func() time.Time
}

// Server is the Fiber application with its dependencies.
type Server struct {
	Deps
	app     *fiber.App
	pages   *pages
	metrics *httpMetrics
	cache   *cache.Cache
	bodies  *cachedBodies // the cache's JSON bodies, compressed once (gzip.go)
	trusted []*net.IPNet  // --trusted-proxies
	timeout time.Duration // of each request
}

// New builds the server and its route table. It fails if a template does not parse.
func New(d Deps) (*Server, error) {
	s := &Server{Deps: d, metrics: newHTTPMetrics(), cache: cache.New(int64(d.Config.PageCacheMB) << 20),
		bodies: newCachedBodies()}
	p, err := newPages()
	if err != nil {
		return nil, err
	}
	s.pages = p
	if s.Limits == nil {
		s.Limits = ratelimit.NewMemory()
	}
	if s.trusted, err = parseNets(d.Config.TrustedProxies); err != nil {
		return nil, err
	}
	s.app = fiber.New(fiber.Config{
		AppName: "jiayuan",
		// Fiber's strings point into fasthttp's buffers, reused by the next request on
		// another goroutine; the services keep some (an event's board slug, a cache
		// key, a rate-limit key) past the handler. Copying every one is an allocation
		// per value, but one missed copy is a silent data race.
		Immutable:             true,
		BodyLimit:             MaxRequestBody,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		// Believe X-Forwarded-For, -Proto and -Host only from the proxies named in
		// --trusted-proxies (none by default); see clientIP.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          d.Config.TrustedProxies,
		ProxyHeader:             fiber.HeaderXForwardedFor,
		EnableIPValidation:      true,
	})
	s.timeout = d.Config.RequestTimeout
	if s.timeout <= 0 {
		s.timeout = DefaultRequestTimeout
	}
	// Every request gets an id (a caller's own X-Request-ID is kept) that the logs and
	// a 500's body carry, so a person can quote it.
	s.app.Use(dropOddRequestID, requestid.New(requestid.Config{Generator: utils.UUIDv4}))
	// Outside the deadline, so the error pages it renders are covered too.
	s.app.Use(withSecurityHeaders, compressed())
	s.app.Use(s.deadline)
	s.routes()
	return s, nil
}

// DefaultRequestTimeout bounds a request when the configuration says nothing.
const DefaultRequestTimeout = 10 * time.Second

// deadline gives the request a context that ends after the timeout, so a stuck
// database call fails instead of holding the request. Errors are answered inside it,
// while the context is still live (the error page reads the session). A websocket lives
// far longer than any request, so it keeps its own; so must a body streamed after the
// handler returns (a large file), which this context no longer covers.
func (s *Server) deadline(c *fiber.Ctx) error {
	if c.Path() == "/ws" {
		return c.Next()
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), s.timeout)
	defer cancel()
	c.SetUserContext(ctx)
	if err := c.Next(); err != nil {
		return s.app.ErrorHandler(c, err)
	}
	return nil
}

// dropOddRequestID keeps a caller's own X-Request-ID only when it looks like an id (1 to
// 64 letters, digits, '-', '_' or '.'): it is echoed in answers and written into every
// log line of the request, so anything else (line breaks, quotes, a megabyte) is
// replaced by one of ours.
func dropOddRequestID(c *fiber.Ctx) error {
	id := c.Request().Header.Peek(fiber.HeaderXRequestID)
	if len(id) == 0 {
		return c.Next()
	}
	ok := len(id) <= 64
	for _, b := range id {
		ok = ok && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.')
	}
	if !ok {
		c.Request().Header.Del(fiber.HeaderXRequestID)
	}
	return c.Next()
}

// requestID is the id the requestid middleware gave this request.
func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestid.ConfigDefault.ContextKey).(string)
	return id
}

// App is the Fiber application, for tests (app.Test) and for Listen.
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve serves on an open listener until Shutdown (tests listen on port 0).
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(drainListener{ln}) }

// Shutdown stops accepting connections and waits for requests in flight.
func (s *Server) Shutdown(grace time.Duration) error {
	return s.app.ShutdownWithTimeout(grace)
}

// html marks already sanitized post HTML for templates.
func trustedHTML(s string) template.HTML { return markup.Trusted(s) }
