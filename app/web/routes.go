package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"strconv"

	"jiayuan/app/fault"
)

// routes is the one route table of Jiayuan.
func (s *Server) routes() {
	a := s.app
	a.Use(recover.New())
	a.Use(s.measure)

	// Served before authentication: they need no user and must stay cheap.
	a.Get("/healthz", s.healthz)
	a.Get("/readyz", s.readyz)
	a.Get("/metrics", s.metricsHandler())
	a.Get("/static/:name", s.staticAsset)
	a.Get("/api/openapi.json", s.openAPI)

	a.Use(s.authenticate, s.protectWrites)

	signIn := s.rateLimit(s.Config.LoginPerMinute, func(c *fiber.Ctx) string { return c.IP() },
		"登录或注册尝试过多，请一分钟后再试 (too many sign-in attempts: wait a minute)")
	// Per user; guests (refused anyway) by address, so they never share one bucket.
	posting := s.rateLimit(s.Config.PostPerMinute, func(c *fiber.Ctx) string {
		if uid := userID(c); uid != 0 {
			return "u" + strconv.FormatInt(uid, 10)
		}
		return "ip" + c.IP()
	},
		"发帖太频繁，请稍后再试 (you are posting too fast: wait a moment)")

	api := a.Group("/api/v1")
	api.Post("/auth/register", signIn, s.apiRegister)
	api.Post("/auth/login", signIn, s.apiLogin)
	api.Post("/auth/logout", s.apiLogout)
	api.Post("/auth/tokens", s.apiCreateToken)
	api.Get("/me", s.apiMe)
	api.Get("/boards", s.apiBoards)
	api.Get("/boards/:slug/threads", s.apiThreads)
	api.Post("/boards/:slug/threads", posting, s.apiCreateThread)
	api.Get("/threads/:id", s.apiThread)
	api.Post("/threads/:id/posts", posting, s.apiCreatePost)
	api.Patch("/posts/:id", posting, s.apiEditPost)
	api.Delete("/posts/:id", s.apiDeletePost)
	api.Post("/preview", s.apiPreview)
	api.Get("/search", s.apiSearch)
	api.Get("/notifications", s.apiNotifications)
	api.Post("/notifications/read", s.apiMarkRead)
	api.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })

	a.Get("/ws", s.liveUpgrade, s.liveServe())

	a.Get("/", s.pageHome)
	a.Get("/login", s.pageLogin)
	a.Post("/login", signIn, s.formLogin)
	a.Get("/register", s.pageRegister)
	a.Post("/register", signIn, s.formRegister)
	a.Post("/logout", s.formLogout)
	a.Get("/search", s.pageSearch)
	a.Get("/notifications", s.pageNotifications)
	a.Post("/notifications/read", s.formMarkRead)
	a.Get("/b/:slug", s.pageBoard)
	a.Post("/b/:slug", posting, s.formCreateThread)
	a.Get("/t/:id", s.pageThread)
	a.Post("/t/:id", posting, s.formReply)
	a.Get("/p/:id/edit", s.pageEditPost)
	a.Post("/p/:id/edit", posting, s.formEditPost)
	a.Get("/p/:id/delete", s.pageDeletePost)
	a.Post("/p/:id/delete", s.formDeletePost)
}

// rateLimit allows perMinute requests per key; 0 turns it off.
func (s *Server) rateLimit(perMinute int, key func(*fiber.Ctx) string, msg string) fiber.Handler {
	if perMinute <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return limiter.New(limiter.Config{
		Max:          perMinute,
		Expiration:   time.Minute,
		KeyGenerator: key,
		LimitReached: func(c *fiber.Ctx) error { return fault.TooMany(msg) },
	})
}
