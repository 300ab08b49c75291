package org

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"jiayuan/app/accounts"
	"jiayuan/app/audit"
	"jiayuan/app/fault"
	"jiayuan/app/records"
)

const kindBranch = "branch"

// BranchDomain is the policy domain of a branch.
func BranchDomain(name string) string { return "branch:" + name }

// Branch is a party branch (党支部): its secretary and members hold their roles in the
// branch's domain.
type Branch struct {
	ID          int64            `json:"id"`
	Name        string           `json:"name"`
	Description string           `json:"description"`
	CreatedAt   time.Time        `json:"created_at"`
	Secretary   *accounts.User   `json:"-"`
	Members     []*accounts.User `json:"-"`
}

func (s *Service) branch(ctx context.Context, name string) (*Branch, error) {
	r, err := s.store.RecordByKey(ctx, kindBranch, name)
	if errors.Is(err, fault.ErrNotFound) {
		return nil, fault.Invalid("branch", "err_no_such_branch_named", "branch", name)
	} else if err != nil {
		return nil, err
	}
	var b Branch
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	b.ID = r.ID
	return &b, nil
}

// CreateBranch adds a branch; admins only.
func (s *Service) CreateBranch(ctx context.Context, actorID int64, name, description string) (*Branch, error) {
	if !s.policy.Allowed(actorID, "*", "branches", "manage") {
		return nil, fault.Deny(actorID, "err_only_admins_may_do")
	}
	return s.createBranch(ctx, actorID, name, description)
}

// CreateBranchFromConsole adds a branch for `jiayuan admin create-branch`.
func (s *Service) CreateBranchFromConsole(ctx context.Context, name, description string) (*Branch, error) {
	return s.createBranch(ctx, audit.Console, name, description)
}

func (s *Service) createBranch(ctx context.Context, actorID int64, name, description string) (*Branch, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) < 1 || utf8.RuneCountInString(name) > 50 ||
		strings.ContainsAny(name, ",:*\"'<>/\\") || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return nil, fault.Invalid("name", "err_branch_name_form")
	}
	description = strings.TrimSpace(description)
	if !utf8.ValidString(description) || utf8.RuneCountInString(description) > 500 {
		return nil, fault.Invalid("description", "err_description_at_most_500")
	}
	b := &Branch{Name: name, Description: description, CreatedAt: s.now()}
	r, err := records.New(kindBranch, name, "", "", b.CreatedAt, b)
	if err != nil {
		return nil, err
	}
	if err := s.store.InsertRecord(ctx, r); err != nil {
		if errors.Is(err, fault.ErrConflict) {
			return nil, fault.Conflict("branch_exists", "err_branch_with_name_exists")
		}
		return nil, err
	}
	b.ID = r.ID
	s.audit.Audit(ctx, actorID, "branch.create", BranchDomain(name), "branch:"+name, nil, b)
	return b, nil
}

// Branches lists every branch with its secretary and members, for admins; a secretary
// sees their own branch.
func (s *Service) Branches(ctx context.Context, actorID int64) ([]*Branch, error) {
	if actorID == 0 {
		return nil, fault.Unauthorized("err_sign_in_first")
	}
	rs, err := s.store.ListRecords(ctx, kindBranch, records.Filter{}, 0, 1000)
	if err != nil {
		return nil, fault.Wrap(err, "list branch records")
	}
	roles, err := s.policy.Assignments(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, a := range roles {
		ids = append(ids, a.UserID)
	}
	users, err := s.store.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, fault.Wrap(err, "read users")
	}
	var out []*Branch
	for i := len(rs) - 1; i >= 0; i-- {
		var b Branch
		if err := rs[i].Decode(&b); err != nil {
			return nil, err
		}
		b.ID = rs[i].ID
		if !s.policy.Allowed(actorID, BranchDomain(b.Name), "branch", "read") {
			continue
		}
		for _, a := range roles {
			if a.Domain != BranchDomain(b.Name) || users[a.UserID] == nil {
				continue
			}
			switch a.Role {
			case "secretary":
				b.Secretary = users[a.UserID]
			case "member":
				b.Members = append(b.Members, users[a.UserID])
			}
		}
		out = append(out, &b)
	}
	if len(out) == 0 && !s.policy.Allowed(actorID, "*", "branches", "manage") {
		return nil, fault.Forbidden("err_only_admins_see_branches")
	}
	return out, nil
}
