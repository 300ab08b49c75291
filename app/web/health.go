package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

func (s *Server) healthz(c *fiber.Ctx) error { return c.SendString("ok") }

// readyz answers 200 only when the database answers, so a load balancer stops sending
// traffic to a node that has lost it.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		s.Log.Warn("not ready", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).JSON(apiError{Error: apiErrorBody{Code: "not_ready", Message: s.pages.catalogs.Text(lang(c), "err_database_unreachable")}})
	}
	return c.SendString("ready")
}
