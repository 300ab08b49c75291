package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
)

type authForm struct {
	Username    string
	DisplayName string
	Next        string
	Error       string
	Closed      bool
}

func (s *Server) pageLogin(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "login", s.pages.catalogs[lang(c)]["login"], authForm{Next: safeNext(c.Query("next"))})
}

func (s *Server) pageRegister(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "register", s.pages.catalogs[lang(c)]["register"], authForm{Next: safeNext(c.Query("next")), Closed: !s.Config.OpenRegistration})
}

func (s *Server) formLogin(c *fiber.Ctx) error {
	username, next := strings.Clone(c.FormValue("username")), safeNext(c.FormValue("next"))
	_, sess, raw, err := s.Accounts.Login(c.UserContext(), username, c.FormValue("password"))
	if fe, ok := err.(*fault.Error); ok && fe.Kind != fault.KindInternal {
		return s.render(c, statusOf[fe.Kind], "login", s.pages.catalogs[lang(c)]["login"], authForm{Username: username, Next: next, Error: fe.Message})
	} else if err != nil {
		return err
	}
	s.setSessionCookie(c, raw, sess.ExpiresAt)
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (s *Server) formRegister(c *fiber.Ctx) error {
	in := accounts.RegisterInput{Username: strings.Clone(c.FormValue("username")), Password: c.FormValue("password"), DisplayName: strings.Clone(c.FormValue("display_name"))}
	form := authForm{Username: in.Username, DisplayName: in.DisplayName, Next: safeNext(c.FormValue("next"))}
	if !s.Config.OpenRegistration {
		return errRegistrationClosed
	}
	_, err := s.Accounts.Register(c.UserContext(), in)
	if err == nil {
		var sess *accounts.Session
		var raw string
		if _, sess, raw, err = s.Accounts.Login(c.UserContext(), in.Username, in.Password); err == nil {
			s.setSessionCookie(c, raw, sess.ExpiresAt)
			return c.Redirect(form.Next, fiber.StatusSeeOther)
		}
	}
	if fe, ok := err.(*fault.Error); ok && fe.Kind != fault.KindInternal {
		form.Error = fe.Message
		return s.render(c, statusOf[fe.Kind], "register", s.pages.catalogs[lang(c)]["register"], form)
	}
	return err
}

func (s *Server) formLogout(c *fiber.Ctx) error {
	if raw := c.Cookies(sessionCookie); raw != "" {
		if err := s.Accounts.Logout(c.UserContext(), raw); err != nil {
			return err
		}
		s.accessChanged(userID(c))
	}
	s.clearSessionCookie(c)
	return c.Redirect("/", fiber.StatusSeeOther)
}

// safeNext keeps redirects after sign-in on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return strings.Clone(next)
}
