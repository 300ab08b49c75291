package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"strconv"

	"jiayuan/app/fault"
	"jiayuan/app/ratelimit"
)

// openRoutes are the routes that ask the policy nothing, and why. Every other route
// must reach a policy decision (the route-coverage test sends each one a request and
// counts the decisions).
var openRoutes = map[string]string{
	"GET /healthz":               "process health, no data",
	"GET /readyz":                "readiness, no data",
	"GET /metrics":               "operational counters, no user data; needs the --metrics-token bearer token, or without one is served to local callers only",
	"GET /static/:name":          "embedded assets",
	"GET /api/openapi.json":      "the API description",
	"POST /api/v1/auth/register": "becoming a user (open registration is a setting)",
	"POST /api/v1/auth/login":    "signing in",
	"POST /api/v1/auth/logout":   "signing out ends only the caller's own session",
	"GET /api/v1/me":             "the caller's own account and roles",
	"GET /login":                 "the sign-in form",
	"POST /login":                "signing in",
	"GET /register":              "the sign-up form",
	"POST /register":             "becoming a user",
	"POST /logout":               "signing out",
	"GET /ws":                    "the socket itself; every channel subscription is decided by policy (see live.go)",

	// The caller's own credentials: services scope every query to the caller.
	"GET /api/v1/auth/tokens":          "the caller's own access tokens",
	"DELETE /api/v1/auth/tokens/:id":   "revoking one of the caller's own tokens (another's is not found)",
	"GET /api/v1/auth/sessions":        "the caller's own signed-in sessions",
	"DELETE /api/v1/auth/sessions/:id": "ending one of the caller's own sessions (another's is not found)",
	"GET /settings/tokens":             "the caller's own tokens and sessions; creating one asks the policy",
	"POST /settings/tokens/:id/revoke": "revoking one of the caller's own tokens",
	"POST /settings/sessions/:id/end":  "ending one of the caller's own sessions",
}

// OpenRoutes lists the routes that make no policy decision, with the reason.
func OpenRoutes() map[string]string { return openRoutes }

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

	signIn := s.rateLimit(s.Config.LoginPerMinute, func(c *fiber.Ctx) string { return "signin:" + s.clientIP(c) },
		"err_too_many_sign_ins")
	// Per user; guests (refused anyway) by address, so they never share one bucket.
	posting := s.rateLimit(s.Config.PostPerMinute, func(c *fiber.Ctx) string {
		if uid := userID(c); uid != 0 {
			return "post:u" + strconv.FormatInt(uid, 10)
		}
		return "post:ip" + s.clientIP(c)
	},
		"err_posting_too_fast")

	api := a.Group("/api/v1")
	api.Post("/auth/register", signIn, s.apiRegister)
	api.Post("/auth/login", signIn, s.apiLogin)
	api.Post("/auth/logout", s.apiLogout)
	api.Post("/auth/tokens", s.apiCreateToken)
	api.Get("/auth/tokens", s.apiTokens)
	api.Delete("/auth/tokens/:id", s.apiRevokeToken)
	api.Get("/auth/sessions", s.apiSessions)
	api.Delete("/auth/sessions/:id", s.apiEndSession)
	api.Get("/me", s.apiMe)
	api.Get("/boards", s.apiBoards)
	api.Get("/boards/:slug/threads", s.apiThreads)
	api.Post("/boards/:slug/threads", posting, s.apiCreateThread)
	api.Get("/threads/:id", s.apiThread)
	api.Post("/threads/:id/posts", posting, s.apiCreatePost)
	api.Patch("/posts/:id", posting, s.apiEditPost)
	api.Delete("/posts/:id", s.apiDeletePost)
	api.Post("/preview", s.apiPreview)
	api.Get("/search", s.decide("search", "use"), s.apiSearch)
	api.Get("/notifications", s.ownNotifications, s.apiNotifications)
	api.Post("/notifications/read", s.ownNotifications, s.apiMarkRead)

	// Moderation, decided per board by the services.
	api.Patch("/threads/:id", s.apiPatchThread)
	api.Post("/threads/:id/merge", s.apiMergeThread)
	api.Post("/threads/:id/split", s.apiSplitThread)
	api.Post("/posts/:id/restore", s.apiRestorePost)
	api.Get("/posts/:id/history", s.apiPostHistory)
	api.Post("/posts/:id/report", posting, s.apiReportPost)
	api.Post("/posts/:id/review", s.apiReviewPost)
	api.Get("/moderation/held", s.apiHeldPosts)
	api.Get("/reports", s.apiReports)
	api.Post("/reports/:id/resolve", s.apiResolveReport)
	api.Post("/boards/:slug/silences", s.apiSilence)

	// Administration, site-wide and for admins.
	api.Post("/admin/roles", s.decide("roles", "manage"), s.apiGrantRole)
	api.Delete("/admin/roles", s.decide("roles", "manage"), s.apiRevokeRole)
	api.Get("/admin/users", s.decide("users", "manage"), s.apiAdminUsers)
	api.Post("/admin/users/:username/ban", s.decide("users", "manage"), s.apiBanUser)
	api.Post("/admin/users/:username/password", s.decide("users", "manage"), s.apiResetPassword)
	api.Post("/admin/silences", s.decide("user", "silence"), s.apiSilence)
	api.Get("/admin/branches", s.apiBranches) // secretaries see their own branch: decided per branch
	api.Post("/admin/branches", s.decide("branches", "manage"), s.apiCreateBranch)
	api.Post("/admin/boards", s.decide("boards", "manage"), s.apiCreateBoard)
	api.Patch("/admin/boards/:slug", s.decide("boards", "manage"), s.apiUpdateBoard)
	api.Get("/admin/words", s.decide("words", "manage"), s.apiWords)
	api.Put("/admin/words", s.decide("words", "manage"), s.apiSetWords)
	api.Get("/admin/audit", s.decide("audit", "read"), s.apiAudit)
	api.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })

	a.Get("/ws", s.liveUpgrade, s.liveServe())

	a.Get("/", s.pageHome)
	a.Get("/login", s.pageLogin)
	a.Post("/login", signIn, s.formLogin)
	a.Get("/register", s.pageRegister)
	a.Post("/register", signIn, s.formRegister)
	a.Post("/logout", s.formLogout)
	a.Get("/settings/tokens", s.pageTokens)
	a.Post("/settings/tokens", s.formCreateToken)
	a.Post("/settings/tokens/:id/revoke", s.formRevokeToken)
	a.Post("/settings/sessions/:id/end", s.formEndSession)
	a.Get("/search", s.decide("search", "use"), s.pageSearch)
	a.Get("/notifications", s.ownNotifications, s.pageNotifications)
	a.Post("/notifications/read", s.ownNotifications, s.formMarkRead)
	a.Get("/notifications/:id", s.ownNotifications, s.pageOpenNotification)
	a.Get("/b/:slug", s.pageBoard)
	a.Post("/b/:slug", posting, s.formCreateThread)
	a.Get("/t/:id", s.pageThread)
	a.Post("/t/:id", posting, s.formReply)
	a.Get("/p/:id/edit", s.pageEditPost)
	a.Post("/p/:id/edit", posting, s.formEditPost)
	a.Get("/p/:id/delete", s.pageDeletePost)
	a.Post("/p/:id/delete", s.formDeletePost)
	a.Get("/p/:id/restore", s.pageRestorePost)
	a.Post("/p/:id/restore", s.formRestorePost)
	a.Get("/p/:id/history", s.pageHistory)
	a.Get("/p/:id/report", s.pageReport)
	a.Post("/p/:id/report", posting, s.formReport)
	a.Post("/t/:id/moderate", s.formModerate)
	a.Get("/mod", s.pageModQueue)
	a.Post("/mod/reports/:id", s.formResolve)
	a.Post("/mod/held/:id", s.formReview)
	a.Get("/admin", s.pageAdmin)
	a.Get("/admin/:section", s.pageAdmin)
	a.Post("/admin/users/:username", s.decide("roles", "manage"), s.formAdminUser)
	a.Post("/admin/boards", s.decide("boards", "manage"), s.formAdminBoards)
	a.Post("/admin/boards/:slug", s.decide("boards", "manage"), s.formAdminBoard)
	a.Post("/admin/branches", s.decide("branches", "manage"), s.formAdminBranches)
	a.Post("/admin/words", s.decide("words", "manage"), s.formAdminWords)
}

// decide is a route's own policy decision for a site-wide action: it refuses before the
// handler runs (401 for guests, 403 for others).
func (s *Server) decide(object, action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		uid := userID(c)
		if s.Policy.Allowed(uid, "*", object, action) {
			return c.Next()
		}
		if uid == 0 {
			return fault.Unauthorized("err_sign_in_first")
		}
		return fault.Forbidden("err_not_allowed_to_do")
	}
}

// ownNotifications lets a signed-in user at their own notifications only; guests go on
// to the handler, which asks them to sign in.
func (s *Server) ownNotifications(c *fiber.Ctx) error {
	uid := userID(c)
	if uid == 0 {
		return c.Next()
	}
	if !s.Policy.Allowed(uid, "user:"+strconv.FormatInt(uid, 10), "notifications", "read_own") {
		return fault.Forbidden("err_may_not_read_notifications")
	}
	return c.Next()
}

// rateLimit allows perMinute requests per key; 0 turns it off. The counts live in the
// store (Deps.Limits), so every node behind the load balancer draws on one budget.
func (s *Server) rateLimit(perMinute int, bucket func(*fiber.Ctx) string, key string) fiber.Handler {
	if perMinute <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	l := ratelimit.New(s.Limits, perMinute, time.Minute, s.Now)
	return func(c *fiber.Ctx) error {
		r, err := l.Take(c.UserContext(), bucket(c))
		if err != nil {
			return err
		}
		c.Set("X-RateLimit-Limit", strconv.Itoa(r.Limit))
		c.Set("X-RateLimit-Remaining", strconv.Itoa(r.Remaining))
		if !r.Allowed {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((r.Reset+time.Second-1)/time.Second)))
			return fault.TooMany(key)
		}
		return c.Next()
	}
}
