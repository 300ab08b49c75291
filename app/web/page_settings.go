package web

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
)

// tokensPage is what /settings/tokens shows: the caller's tokens and sessions, and a
// token just made, shown this once.
type tokensPage struct {
	Tokens    []*accounts.Token
	Sessions  []sessionJSON
	CanCreate bool
	Max       int
	NewToken  string
	NewName   string
	Error     string
}

func (s *Server) pageTokens(c *fiber.Ctx) error {
	if userID(c) == 0 {
		return c.Redirect("/login?next=/settings/tokens", fiber.StatusSeeOther)
	}
	return s.renderTokens(c, fiber.StatusOK, tokensPage{})
}

// renderTokens fills in the lists and renders the page with what the form left.
func (s *Server) renderTokens(c *fiber.Ctx, status int, p tokensPage) error {
	w := caller(c)
	ts, err := s.Accounts.Tokens(c.UserContext(), w.user.ID)
	if err != nil {
		return err
	}
	ss, err := s.Accounts.Sessions(c.UserContext(), w.user.ID)
	if err != nil {
		return err
	}
	p.Tokens, p.Sessions, p.Max = ts, sessionsJSON(ss, w.session), accounts.MaxTokens
	p.CanCreate = s.Policy.Allowed(w.user.ID, "*", "token", "create")
	return s.render(c, status, "settings_tokens", s.pages.catalogs[lang(c)]["tokens_title"], p)
}

// formFailed renders a domain refusal on the page; anything else is the error page's.
func (s *Server) formFailed(c *fiber.Ctx, err error) error {
	if fe := (*fault.Error)(nil); errors.As(err, &fe) && fe.Kind != fault.KindInternal {
		return s.renderTokens(c, statusOf[fe.Kind], tokensPage{Error: s.message(c, fe)})
	}
	return err
}

func (s *Server) formCreateToken(c *fiber.Ctx) error {
	uid := userID(c)
	if uid == 0 {
		return c.Redirect("/login?next=/settings/tokens", fiber.StatusSeeOther)
	}
	if !s.Policy.Allowed(uid, "*", "token", "create") {
		return s.formFailed(c, fault.Forbidden("err_may_not_create_access"))
	}
	raw, t, err := s.Accounts.CreateToken(c.UserContext(), uid, strings.Clone(c.FormValue("name")))
	if err != nil {
		return s.formFailed(c, err)
	}
	// Rendered, not redirected: the secret is in this answer and nowhere else, and no
	// cache keeps it (set after render, which sets its own header).
	err = s.renderTokens(c, fiber.StatusCreated, tokensPage{NewToken: raw, NewName: t.Name})
	c.Set(fiber.HeaderCacheControl, "no-store")
	return err
}

func (s *Server) formRevokeToken(c *fiber.Ctx) error {
	uid := userID(c)
	if uid == 0 {
		return c.Redirect("/login?next=/settings/tokens", fiber.StatusSeeOther)
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return s.formFailed(c, fault.NotFound("token"))
	}
	if err := s.Accounts.RevokeToken(c.UserContext(), uid, id); err != nil {
		return s.formFailed(c, err)
	}
	return c.Redirect("/settings/tokens", fiber.StatusSeeOther)
}

func (s *Server) formEndSession(c *fiber.Ctx) error {
	w := caller(c)
	if w.user == nil {
		return c.Redirect("/login?next=/settings/tokens", fiber.StatusSeeOther)
	}
	id := c.Params("id")
	if err := s.Accounts.EndSession(c.UserContext(), w.user.ID, id); err != nil {
		return s.formFailed(c, err)
	}
	if w.session != nil && w.session.ID() == id {
		s.clearSessionCookie(c)
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return c.Redirect("/settings/tokens", fiber.StatusSeeOther)
}
