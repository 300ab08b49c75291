package storetest

import (
	"context"
	"testing"

	"jiayuan/app/accounts"
	"jiayuan/policy"
)

// PolicyStore is what the policy suite needs: role assignments, and users to hold them.
type PolicyStore interface {
	accounts.Store
	policy.Store
}

// Policy checks an engine's policy.Store: role assignments.
func Policy(t *testing.T, open func(*testing.T) PolicyStore) {
	tests[PolicyStore]{
		{"Roles", testRoles},
	}.run(t, open)
}

func testRoles(t *testing.T, s PolicyStore) {
	ctx := context.Background()
	u, v := newUser(t, s, "dave"), newUser(t, s, "erin")
	a := policy.Assignment{UserID: u.ID, Role: "moderator", Domain: "board:xinyu"}
	must(t, s.AddRole(ctx, a))
	must(t, s.AddRole(ctx, a)) // idempotent
	must(t, s.AddRole(ctx, policy.Assignment{UserID: v.ID, Role: "admin", Domain: "*"}))
	rs, err := s.ListRoles(ctx)
	must(t, err)
	if len(rs) != 2 {
		t.Fatalf("ListRoles = %v, want 2", rs)
	}
	must(t, s.RemoveRole(ctx, a))
	rs, err = s.ListRoles(ctx)
	must(t, err)
	if len(rs) != 1 || rs[0].UserID != v.ID || rs[0].Role != "admin" || rs[0].Domain != "*" {
		t.Fatalf("after RemoveRole: %v", rs)
	}
}
