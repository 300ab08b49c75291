package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
)

var errRegistrationClosed = fault.Forbidden("err_sign_up_closed")

var errNotJSON = fault.BadRequest("json_content_type", "err_not_json")

// requireJSON keeps the API's sign-in and sign-up safe from login CSRF without a token,
// so scripts can call them in one request: a cross-site page can only send a form or a
// "simple" request (form-urlencoded, multipart or text/plain); a body declared as
// application/json needs a CORS preflight, which this server never grants.
func requireJSON(c *fiber.Ctx) error {
	if !c.Is("json") {
		return errNotJSON
	}
	return nil
}

type registerRequest struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
}

func (s *Server) apiRegister(c *fiber.Ctx) error {
	if !s.Config.OpenRegistration {
		return errRegistrationClosed
	}
	var req registerRequest
	if err := requireJSON(c); err != nil {
		return err
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.Accounts.Register(c.UserContext(), accounts.RegisterInput{Username: req.Username, Password: req.Password, DisplayName: req.DisplayName})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"user": toUser(u)})
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *Server) apiLogin(c *fiber.Ctx) error {
	var req loginRequest
	if err := requireJSON(c); err != nil {
		return err
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, sess, raw, err := s.Accounts.Login(c.UserContext(), req.Username, req.Password)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, raw, sess.ExpiresAt)
	return c.JSON(fiber.Map{"user": toUser(u), "csrf_token": sess.CSRFToken})
}

func (s *Server) apiLogout(c *fiber.Ctx) error {
	if raw := c.Cookies(sessionCookie); raw != "" {
		if err := s.Accounts.Logout(c.UserContext(), raw); err != nil {
			return err
		}
	}
	s.clearSessionCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

type tokenRequest struct {
	Name string `json:"name"`
}

func (s *Server) apiCreateToken(c *fiber.Ctx) error {
	uid := userID(c)
	if uid == 0 {
		return fault.Unauthorized("err_sign_in_first")
	}
	if !s.Policy.Allowed(uid, "*", "token", "create") {
		return fault.Forbidden("err_may_not_create_access")
	}
	var req tokenRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	raw, t, err := s.Accounts.CreateToken(c.UserContext(), uid, req.Name)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"token": raw, "name": t.Name, "created_at": t.CreatedAt})
}

func (s *Server) apiMe(c *fiber.Ctx) error {
	u := caller(c).user
	if u == nil {
		return fault.Unauthorized("err_sign_in_first")
	}
	return c.JSON(fiber.Map{"user": toUser(u), "roles": s.Policy.RolesOf(u.ID)})
}

// tokenJSON is a personal access token as its owner sees it: never the secret.
type tokenJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// sessionJSON is a signed-in browser as its owner sees it.
type sessionJSON struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Current marks the session the request came with.
	Current bool `json:"current"`
}

var errSignIn = fault.Unauthorized("err_sign_in_first")

func (s *Server) apiTokens(c *fiber.Ctx) error {
	uid := userID(c)
	if uid == 0 {
		return errSignIn
	}
	ts, err := s.Accounts.Tokens(c.UserContext(), uid)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, len(ts))
	for i, t := range ts {
		out[i] = tokenJSON{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt}
	}
	return c.JSON(fiber.Map{"tokens": out})
}

func (s *Server) apiRevokeToken(c *fiber.Ctx) error {
	uid := userID(c)
	if uid == 0 {
		return errSignIn
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return fault.NotFound("token")
	}
	if err := s.Accounts.RevokeToken(c.UserContext(), uid, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiSessions(c *fiber.Ctx) error {
	w := caller(c)
	if w.user == nil {
		return errSignIn
	}
	ss, err := s.Accounts.Sessions(c.UserContext(), w.user.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"sessions": sessionsJSON(ss, w.session)})
}

func sessionsJSON(ss []*accounts.Session, current *accounts.Session) []sessionJSON {
	out := make([]sessionJSON, len(ss))
	for i, x := range ss {
		out[i] = sessionJSON{ID: x.ID(), CreatedAt: x.CreatedAt, ExpiresAt: x.ExpiresAt, Current: current != nil && x.TokenHash == current.TokenHash}
	}
	return out
}

func (s *Server) apiEndSession(c *fiber.Ctx) error {
	w := caller(c)
	if w.user == nil {
		return errSignIn
	}
	if err := s.Accounts.EndSession(c.UserContext(), w.user.ID, c.Params("id")); err != nil {
		return err
	}
	if w.session != nil && w.session.ID() == c.Params("id") {
		s.clearSessionCookie(c)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
