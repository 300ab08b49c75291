package web

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/fault"
)

// apiError is the JSON error shape: {"error": {"code": "…", "message": "…"}}.
type apiError struct {
	Error apiErrorBody `json:"error"`
	// RequestID names the request in the server's log; only on 5xx, for a person to quote.
	RequestID string `json:"request_id,omitempty"`
}

type apiErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

var statusOf = map[fault.Kind]int{
	fault.KindNotFound:     fiber.StatusNotFound,
	fault.KindForbidden:    fiber.StatusForbidden,
	fault.KindUnauthorized: fiber.StatusUnauthorized,
	fault.KindConflict:     fiber.StatusConflict,
	fault.KindInvalid:      fiber.StatusUnprocessableEntity,
	fault.KindLocked:       fiber.StatusLocked,
	fault.KindTooMany:      fiber.StatusTooManyRequests,
	fault.KindBadRequest:   fiber.StatusBadRequest,
	fault.KindUnavailable:  fiber.StatusServiceUnavailable,
}

// fiberErrors give Fiber's own errors (unknown route, oversized body…) a code and the
// key of a message a person can act on.
var fiberErrors = map[int]apiErrorBody{
	fiber.StatusNotFound:              {"not_found", "err_no_such_page", ""},
	fiber.StatusMethodNotAllowed:      {"method_not_allowed", "err_method_not_allowed", ""},
	fiber.StatusRequestEntityTooLarge: {"too_large", "err_too_large", ""},
	fiber.StatusBadRequest:            {"bad_request", "err_malformed_request", ""},
	fiber.StatusTooManyRequests:       {"rate_limited", "err_too_many_requests", ""},
}

// handleError is the one place where errors become responses. Domain errors carry a safe
// message; anything else is logged and answered with a generic 500.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	l := lang(c)
	status, body := fiber.StatusInternalServerError, apiErrorBody{Code: "internal", Message: s.pages.catalogs.Text(l, "err_internal")}
	var fe *fault.Error
	var fbe *fiber.Error
	switch {
	case errors.As(err, &fe) && fe.Kind != fault.KindInternal:
		status, body = statusOf[fe.Kind], apiErrorBody{Code: fe.Code, Message: s.pages.catalogs.Message(l, fe), Field: fe.Field}
	case errors.As(err, &fbe):
		status = fbe.Code
		if status == fiber.StatusRequestEntityTooLarge {
			drainOnClose(c.Context().Conn())
			securityHeaders(c) // refused before any middleware ran
		}
		if b, ok := fiberErrors[fbe.Code]; ok {
			body = apiErrorBody{Code: b.Code, Message: s.pages.catalogs.Text(l, b.Message)}
		} else if status < 500 {
			body = apiErrorBody{Code: "error", Message: fbe.Message}
		}
	}
	var id string
	if status >= 500 {
		id = requestID(c)
		s.Log.Error("request failed", "method", c.Method(), "path", c.Path(), "request_id", id, "status", status, "err", err)
	}
	if wantsHTML(c) {
		msg := body.Message
		if id != "" {
			msg += " [" + id + "]"
		}
		return s.renderError(c, status, msg)
	}
	return c.Status(status).JSON(apiError{Error: body, RequestID: id})
}

// wantsHTML tells page requests from API calls, so a browser gets a page, not JSON.
func wantsHTML(c *fiber.Ctx) bool {
	p := c.Path()
	if strings.HasPrefix(p, "/api/") || p == "/ws" {
		return false
	}
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/html") || c.Method() == fiber.MethodPost
}
