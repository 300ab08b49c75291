package web

import (
	"github.com/gofiber/fiber/v2"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
)

var errRegistrationClosed = fault.Forbidden("本站未开放注册，请联系管理员 (sign-up is closed: ask an administrator for an account)")

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
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.Accounts.Register(c.UserContext(), accounts.RegisterInput(req))
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
		s.accessChanged(userID(c))
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
		return fault.Unauthorized("请先登录 (please sign in first)")
	}
	if !s.Policy.Allowed(uid, "*", "token", "create") {
		return fault.Forbidden("你没有权限创建访问令牌 (you may not create access tokens)")
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
		return fault.Unauthorized("请先登录 (please sign in first)")
	}
	return c.JSON(fiber.Map{"user": toUser(u), "roles": s.Policy.RolesOf(u.ID)})
}
