package web

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"

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
	// Token is the form's CSRF token: the session's, or a guest's pre-session token.
	Token string
}

func (s *Server) pageLogin(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "login", s.pages.catalogs[lang(c)]["login"], authForm{Next: safeNext(c.Query("next")), Token: s.formToken(c)})
}

func (s *Server) pageRegister(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "register", s.pages.catalogs[lang(c)]["register"], authForm{Next: safeNext(c.Query("next")), Closed: !s.Config.OpenRegistration, Token: s.formToken(c)})
}

func (s *Server) formLogin(c *fiber.Ctx) error {
	username, next := strings.Clone(c.FormValue("username")), safeNext(c.FormValue("next"))
	err := s.checkFormToken(c)
	var sess *accounts.Session
	var raw string
	if err == nil {
		_, sess, raw, err = s.Accounts.Login(c.UserContext(), username, c.FormValue("password"))
	}
	if fe := (*fault.Error)(nil); errors.As(err, &fe) && fe.Kind != fault.KindInternal {
		return s.render(c, statusOf[fe.Kind], "login", s.pages.catalogs[lang(c)]["login"], authForm{Username: username, Next: next, Error: s.message(c, fe), Token: s.formToken(c)})
	} else if err != nil {
		return err
	}
	s.clearPreSessionCookie(c)
	s.setSessionCookie(c, raw, sess.ExpiresAt)
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (s *Server) formRegister(c *fiber.Ctx) error {
	in := accounts.RegisterInput{Username: strings.Clone(c.FormValue("username")), Password: c.FormValue("password"), DisplayName: strings.Clone(c.FormValue("display_name"))}
	form := authForm{Username: in.Username, DisplayName: in.DisplayName, Next: safeNext(c.FormValue("next"))}
	if !s.Config.OpenRegistration {
		return errRegistrationClosed
	}
	err := s.checkFormToken(c)
	if err == nil {
		_, err = s.Accounts.Register(c.UserContext(), in)
	}
	if err == nil {
		var sess *accounts.Session
		var raw string
		if _, sess, raw, err = s.Accounts.Login(c.UserContext(), in.Username, in.Password); err == nil {
			s.clearPreSessionCookie(c)
			s.setSessionCookie(c, raw, sess.ExpiresAt)
			return c.Redirect(form.Next, fiber.StatusSeeOther)
		}
	}
	if fe := (*fault.Error)(nil); errors.As(err, &fe) && fe.Kind != fault.KindInternal {
		form.Error, form.Token = s.message(c, fe), s.formToken(c)
		return s.render(c, statusOf[fe.Kind], "register", s.pages.catalogs[lang(c)]["register"], form)
	}
	return err
}

func (s *Server) formLogout(c *fiber.Ctx) error {
	if raw := c.Cookies(sessionCookie); raw != "" {
		if err := s.Accounts.Logout(c.UserContext(), raw); err != nil {
			return err
		}
	}
	s.clearSessionCookie(c)
	return c.Redirect("/", fiber.StatusSeeOther)
}

// safeNext keeps redirects after sign-in on this site: it returns a path on this origin,
// or "/". Browsers are lenient where a plain prefix check is not: they drop tabs and
// newlines inside a URL ("/\t/evil" becomes "//evil"), read "\" as "/", and something
// between us and the browser may decode "%2F" or "%5C". So anything with a control
// character, a space or a backslash is refused before parsing, the parsed target must be
// a bare path (no scheme, host or user), its decoded path must not start with "//" or
// hold a backslash or control character, and the answer is re-encoded from the parts,
// so it is plain ASCII starting with exactly one slash.
func safeNext(next string) string {
	const home = "/"
	if !strings.HasPrefix(next, "/") || strings.IndexFunc(next, unsafeInURL) >= 0 {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || strings.IndexFunc(u.Path, unsafeInURL) >= 0 {
		return home
	}
	out := (&url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: asciiQuery(u.RawQuery), Fragment: u.Fragment}).String()
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
		return home
	}
	return out
}

// unsafeInURL is what a browser may drop or reinterpret inside a URL.
func unsafeInURL(r rune) bool {
	return r <= ' ' || r == 0x7f || r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r)
}

// asciiQuery percent-encodes the bytes of a raw query that are not ASCII, leaving the
// rest as the client wrote it.
func asciiQuery(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if c := q[i]; c >= 0x80 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
