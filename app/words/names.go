package words

import (
	"context"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
)

// reservedNames are the names of the roles that speak for the site, in the three
// languages the site speaks: nobody but an admin may take them as a name, or the
// rules a "管理员" posts would carry an authority they do not have.
var reservedNames = []string{
	"admin", "administrator", "管理员", "管理員", "系统管理员", "系統管理員",
	"moderator", "版主", "板主",
	"secretary", "branchsecretary", "书记", "書記", "支部书记", "支部書記", "党支部书记", "黨支部書記",
	"system", "系统", "系統", "official", "官方", "staff", "站长", "站長",
}

var reservedKeys = func() map[string]bool {
	m := make(map[string]bool, len(reservedNames))
	for _, n := range reservedNames {
		m[accounts.NameKey(n)] = true
	}
	return m
}()

// staffRoles are the roles whose holders' names are reserved too, in any domain: a
// branch's secretary speaks for the branch.
var staffRoles = map[string]bool{"admin": true, "moderator": true, "secretary": true}

func errReserved(field string) *fault.Error {
	return &fault.Error{Kind: fault.KindInvalid, Code: "reserved_name", Field: field, Key: "err_reserved_name"}
}

// checkReserved refuses a name that reads as a role name or as the display name or
// username of an admin, moderator or secretary, compared by accounts.NameKey (width, case,
// spacing and look-alike letters ignored).
func (s *Service) checkReserved(ctx context.Context, field, name string) error {
	key := accounts.NameKey(name)
	if key == "" {
		return nil
	}
	if reservedKeys[key] {
		return errReserved(field)
	}
	roles, err := s.store.ListRoles(ctx)
	if err != nil {
		return fault.Wrap(err, "list roles")
	}
	var ids []int64
	for _, a := range roles {
		if staffRoles[a.Role] {
			ids = append(ids, a.UserID)
		}
	}
	staff, err := s.store.UsersByIDs(ctx, ids)
	if err != nil {
		return fault.Wrap(err, "read users")
	}
	for _, u := range staff {
		if accounts.NameKey(u.DisplayName) == key || accounts.NameKey(u.Username) == key {
			return errReserved(field)
		}
	}
	return nil
}
