package moderation

import (
	"context"
	"strings"
	"unicode/utf8"

	"jiayuan/app/accounts"
	"jiayuan/app/events"
	"jiayuan/app/fault"
)

// UserInfo is a user as admins see them: with their roles.
type UserInfo struct {
	*accounts.User
	Roles []string
}

// Users lists users whose username or display name starts with q, for admins.
func (s *Service) Users(ctx context.Context, actorID int64, q string, after int64, limit int) ([]*UserInfo, error) {
	if err := s.requireSite(actorID, "users", "manage"); err != nil {
		return nil, err
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
		out[i] = &UserInfo{User: u, Roles: s.policy.RolesOf(u.ID)}
	}
	return out, nil
}

func (s *Service) userByName(ctx context.Context, username string) (*accounts.User, error) {
	u, err := s.store.UserByUsername(ctx, accounts.CanonicalUsername(username))
	if err != nil {
		return nil, fault.NotFound("user")
	}
	return u, nil
}

// SetBanned bans or unbans a user; a ban ends their sessions at once. Admins cannot be
// banned (revoke the role first), nor can the acting admin ban themselves.
func (s *Service) SetBanned(ctx context.Context, actorID int64, username string, banned bool) (*accounts.User, error) {
	if err := s.requireSite(actorID, "users", "manage"); err != nil {
		return nil, err
	}
	u, err := s.userByName(ctx, username)
	if err != nil {
		return nil, err
	}
	if banned && (u.ID == actorID || s.policy.Holds(u.ID, "admin", "*")) {
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
	s.Audit(ctx, actorID, action, "*", "user:"+itoa(u.ID), map[string]bool{"banned": u.Banned}, map[string]bool{"banned": banned})
	if banned {
		// Their open sockets re-check their session or token, and close.
		s.bus.Publish(events.Event{Type: events.AccessChanged, UserID: u.ID})
	}
	u.Banned = banned
	return u, nil
}

// ResetPassword gives a user a new random password, returned once to show the admin,
// and ends the user's sessions and personal access tokens: whoever held the old
// password may have made either. The audit log records the reset, never the password.
func (s *Service) ResetPassword(ctx context.Context, actorID int64, username string) (string, error) {
	if err := s.requireSite(actorID, "users", "manage"); err != nil {
		return "", err
	}
	u, err := s.userByName(ctx, username)
	if err != nil {
		return "", err
	}
	pw := accounts.RandomPassword()
	hash, err := s.hasher(pw)
	if err != nil {
		return "", err
	}
	if err := s.store.SetPasswordHash(ctx, u.ID, hash); err != nil {
		return "", fault.Wrap(err, "set the password of user %v", u.ID)
	}
	s.Audit(ctx, actorID, "user.reset_password", "*", "user:"+itoa(u.ID), nil, nil)
	s.bus.Publish(events.Event{Type: events.AccessChanged, UserID: u.ID})
	return pw, nil
}
