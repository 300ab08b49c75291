package org

import (
	"context"
	"errors"
	"slices"
	"strings"

	"jiayuan/app/audit"
	"jiayuan/app/events"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/policy"
)

// RoleChange names a role to grant or revoke: in a board, in a branch, or site-wide.
type RoleChange struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Board    string `json:"board,omitempty"`
	Branch   string `json:"branch,omitempty"`
}

// scope checks a role change and turns it into an assignment. Each role has its
// scopes: moderators hold their role in a board, members and secretaries in a branch,
// admins site-wide; activists and mentors site-wide or in a branch.
func (s *Service) scope(ctx context.Context, in RoleChange) (*policy.Assignment, error) {
	if !policy.KnownRole(in.Role) {
		return nil, fault.Invalid("role", "err_unknown_role", "role", in.Role, "roles", strings.Join(policy.Roles, ", "))
	}
	u, err := s.store.UserByUsername(ctx, strings.ToLower(strings.TrimSpace(in.Username)))
	if errors.Is(err, fault.ErrNotFound) {
		return nil, fault.Invalid("username", "err_no_such_user_named", "username", in.Username)
	} else if err != nil {
		return nil, err
	}
	a := &policy.Assignment{UserID: u.ID, Role: in.Role, Domain: "*"}
	switch {
	case in.Board != "" && in.Branch != "":
		return nil, fault.Invalid("board", "err_board_or_branch")
	case in.Board != "":
		if _, err := s.boardBySlug(ctx, in.Board); err != nil {
			return nil, err
		}
		a.Domain = forum.BoardDomain(in.Board)
	case in.Branch != "":
		if _, err := s.branch(ctx, in.Branch); err != nil {
			return nil, err
		}
		a.Domain = BranchDomain(in.Branch)
	}
	need := map[string]string{"moderator": "board", "member": "branch", "secretary": "branch", "admin": "*"}
	allowed := map[string][]string{"activist": {"*", "branch"}, "mentor": {"*", "branch"}}
	kind, _, _ := strings.Cut(a.Domain, ":")
	if w, ok := need[in.Role]; ok && w != kind {
		key := map[string]string{"board": "err_role_needs_board", "branch": "err_role_needs_branch", "*": "err_role_site_wide"}[w]
		return nil, fault.Invalid(w, key, "role", in.Role)
	}
	if ok := allowed[in.Role]; ok != nil && !slices.Contains(ok, kind) {
		return nil, fault.Invalid("board", "err_role_site_or_branch", "role", in.Role)
	}
	return a, nil
}

func (s *Service) boardBySlug(ctx context.Context, slug string) (*forum.Board, error) {
	all, err := s.boards.AllBoards(ctx)
	if err != nil {
		return nil, err
	}
	for _, b := range all {
		if b.Slug == slug {
			return b, nil
		}
	}
	return nil, fault.Invalid("board", "err_no_such_board_named", "board", slug)
}

// Grant gives a role; granting one that is held already changes nothing. A branch has
// one secretary: naming a new one takes the role from the old.
func (s *Service) Grant(ctx context.Context, actorID int64, in RoleChange) (*policy.Assignment, error) {
	if !s.policy.Allowed(actorID, "*", "roles", "manage") {
		return nil, fault.Deny(actorID, "err_only_admins_may_do")
	}
	return s.grant(ctx, actorID, in)
}

// GrantFromConsole grants a role for `jiayuan admin grant`.
func (s *Service) GrantFromConsole(ctx context.Context, in RoleChange) (*policy.Assignment, error) {
	return s.grant(ctx, audit.Console, in)
}

// RevokeFromConsole revokes a role for `jiayuan admin revoke`.
func (s *Service) RevokeFromConsole(ctx context.Context, in RoleChange) error {
	return s.revoke(ctx, audit.Console, in)
}

func (s *Service) grant(ctx context.Context, actorID int64, in RoleChange) (*policy.Assignment, error) {
	a, err := s.scope(ctx, in)
	if err != nil {
		return nil, err
	}
	if a.Role == "secretary" {
		all, err := s.policy.Assignments(ctx)
		if err != nil {
			return nil, err
		}
		for _, old := range all {
			if old.Role == "secretary" && old.Domain == a.Domain && old.UserID != a.UserID {
				if err := s.policy.Revoke(ctx, old.UserID, old.Role, old.Domain); err != nil {
					return nil, err
				}
				s.audit.Audit(ctx, actorID, "role.revoke", old.Domain, "user:"+itoa(old.UserID), old, nil)
			}
		}
	}
	if s.policy.Holds(a.UserID, a.Role, a.Domain) {
		return a, nil
	}
	if err := s.policy.Grant(ctx, a.UserID, a.Role, a.Domain); err != nil {
		return nil, err
	}
	s.audit.Audit(ctx, actorID, "role.grant", a.Domain, "user:"+itoa(a.UserID), nil, a)
	s.bus.Publish(events.Event{Type: events.PolicyChanged, UserID: a.UserID})
	return a, nil
}

// Revoke takes a role away. The last site-wide admin keeps theirs: someone must be
// able to grant roles.
func (s *Service) Revoke(ctx context.Context, actorID int64, in RoleChange) error {
	if !s.policy.Allowed(actorID, "*", "roles", "manage") {
		return fault.Deny(actorID, "err_only_admins_may_do")
	}
	return s.revoke(ctx, actorID, in)
}

func (s *Service) revoke(ctx context.Context, actorID int64, in RoleChange) error {
	a, err := s.scope(ctx, in)
	if err != nil {
		return err
	}
	if !s.policy.Holds(a.UserID, a.Role, a.Domain) {
		return fault.NotFound("role_assignment")
	}
	if a.Role == "admin" && a.Domain == "*" {
		if n, err := s.countAdmins(ctx); err != nil {
			return err
		} else if n <= 1 {
			return fault.Conflict("last_admin", "err_last_admin")
		}
	}
	if err := s.policy.Revoke(ctx, a.UserID, a.Role, a.Domain); err != nil {
		return err
	}
	s.audit.Audit(ctx, actorID, "role.revoke", a.Domain, "user:"+itoa(a.UserID), a, nil)
	s.bus.Publish(events.Event{Type: events.PolicyChanged, UserID: a.UserID})
	return nil
}

func (s *Service) countAdmins(ctx context.Context) (int, error) {
	all, err := s.policy.Assignments(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range all {
		if a.Role == "admin" && a.Domain == "*" {
			n++
		}
	}
	return n, nil
}
