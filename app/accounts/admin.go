package accounts

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"jiayuan/app/fault"
)

// UserInfo is a user as admins see them: with their roles.
type UserInfo struct {
	*User
	Roles []string
}

// ListUsers lists users whose username or display name starts with q, for admins.
func (s *Service) ListUsers(ctx context.Context, actorID int64, q string, after int64, limit int) ([]*UserInfo, error) {
	if !s.roles.Allowed(actorID, "*", "users", "manage") {
		return nil, fault.Deny(actorID, "err_only_admins_may_do")
	}
	q = strings.ToLower(strings.TrimSpace(q))
	if !utf8.ValidString(q) || len(q) > 100 {
		return nil, fault.Invalid("q", "err_search_at_most_100")
	}
	us, err := s.store.ListUsers(ctx, q, after, limit)
	if err != nil {
		return nil, fault.Wrap(err, "list users")
	}
	out := make([]*UserInfo, len(us))
	for i, u := range us {
		out[i] = &UserInfo{User: u, Roles: s.roles.RolesOf(u.ID)}
	}
	return out, nil
}

// adminTarget is the user an admin acts on, once the admin may act on users.
func (s *Service) adminTarget(ctx context.Context, actorID int64, username string) (*User, error) {
	if !s.roles.Allowed(actorID, "*", "users", "manage") {
		return nil, fault.Deny(actorID, "err_only_admins_may_do")
	}
	u, err := s.UserByName(ctx, username)
	if err != nil {
		return nil, fault.NotFound("user")
	}
	return u, nil
}

func userTarget(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// SetBanned bans or unbans a user; a ban ends their sessions at once. Admins cannot be
// banned (revoke the role first), nor can the acting admin ban themselves.
func (s *Service) SetBanned(ctx context.Context, actorID int64, username string, banned bool) (*User, error) {
	u, err := s.adminTarget(ctx, actorID, username)
	if err != nil {
		return nil, err
	}
	if banned && (u.ID == actorID || s.roles.Holds(u.ID, "admin", "*")) {
		return nil, fault.Conflict("cannot_ban_admin", "err_cannot_ban_admin")
	}
	if u.Banned == banned {
		return u, nil
	}
	if err := s.store.SetUserBanned(ctx, u.ID, banned); err != nil {
		return nil, fault.Wrap(err, "ban user %v", u.ID)
	}
	action := "user.ban"
	if !banned {
		action = "user.unban"
	}
	s.audit.Audit(ctx, actorID, action, "*", userTarget(u.ID), map[string]bool{"banned": u.Banned}, map[string]bool{"banned": banned})
	if banned {
		// Their open sockets re-check their session or token, and close.
		s.accessChanged(u.ID)
	}
	u.Banned = banned
	return u, nil
}

// ResetPassword gives a user a new random password, returned once to show the admin,
// and ends the user's sessions and personal access tokens: whoever held the old
// password may have made either. The audit log records the reset, never the password.
func (s *Service) ResetPassword(ctx context.Context, actorID int64, username string) (string, error) {
	u, err := s.adminTarget(ctx, actorID, username)
	if err != nil {
		return "", err
	}
	pw := RandomPassword()
	hash, err := s.HashPassword(pw)
	if err != nil {
		return "", err
	}
	if err := s.store.SetPasswordHash(ctx, u.ID, hash); err != nil {
		return "", fault.Wrap(err, "set the password of user %v", u.ID)
	}
	s.audit.Audit(ctx, actorID, "user.reset_password", "*", userTarget(u.ID), nil, nil)
	s.accessChanged(u.ID)
	return pw, nil
}
