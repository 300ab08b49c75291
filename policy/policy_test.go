package policy

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

type memStore struct{ roles []Assignment }

func (m *memStore) AddRole(_ context.Context, a Assignment) error {
	if !slices.Contains(m.roles, a) {
		m.roles = append(m.roles, a)
	}
	return nil
}
func (m *memStore) RemoveRole(_ context.Context, a Assignment) error {
	m.roles = slices.DeleteFunc(m.roles, func(b Assignment) bool { return a == b })
	return nil
}
func (m *memStore) ListRoles(context.Context) ([]Assignment, error) {
	return m.roles, nil
}

func TestDecisions(t *testing.T) {
	ctx := context.Background()
	st := &memStore{roles: []Assignment{
		{UserID: 7, Role: "admin", Domain: "*"},
		{UserID: 3, Role: "moderator", Domain: "board:yanglian"},
		{UserID: 4, Role: "member", Domain: "branch:一支部"},
		{UserID: 5, Role: "secretary", Domain: "branch:二支部"},
	}}
	en, err := New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user          int64
		dom, obj, act string
		want          bool
	}{
		{0, "board:xinyu", "board.public", "read", true},
		{0, "board:xinyu", "board.staff", "read", false},
		{0, "board:xinyu", "board.staff", "post", false},
		{0, "board:xinyu", "post", "report", false},
		{1, "board:xinyu", "board.public", "read", true},
		{1, "board:xinyu", "board.staff", "read", true},
		{1, "board:xinyu", "board.staff", "post", true},
		{1, "board:xinyu", "board.party", "read", false},
		{1, "board:xinyu", "board.moderators", "post", false},
		{1, "board:xinyu", "post", "edit_own", true},
		{1, "board:xinyu", "post", "edit_any", false},
		{1, "board:xinyu", "post", "delete_any", false},
		{1, "board:xinyu", "post", "report", true},
		{1, "*", "audit", "read", false},
		{3, "board:yanglian", "thread", "pin", true},
		{3, "board:yanglian", "post", "delete_any", true},
		{3, "board:yanglian", "board.moderators", "post", true},
		{3, "board:yanglian", "board.party", "read", true},
		{3, "board:xinyu", "thread", "pin", false},
		{3, "board:xinyu", "post", "delete_any", false},
		{3, "*", "roles", "manage", false},
		{4, "board:xinyu", "board.party", "read", true},
		{4, "branch:一支部", "board.branch", "read", true},
		{4, "branch:二支部", "board.branch", "read", false},
		{5, "branch:二支部", "board.branch", "read", true},
		{5, "branch:二支部", "branch", "read", true},
		{5, "board:xinyu", "board.party", "post", true},
		{7, "board:xinyu", "post", "edit_any", true},
		{7, "board:yanglian", "post", "delete_any", true},
		{7, "*", "audit", "read", true},
		{7, "branch:一支部", "board.branch", "read", true},
	}
	for _, c := range cases {
		if got := en.Allowed(c.user, c.dom, c.obj, c.act); got != c.want {
			t.Errorf("Allowed(%d, %s, %s, %s) = %v, want %v", c.user, c.dom, c.obj, c.act, got, c.want)
		}
	}

	// A grant applies at once and is stored; a role held in one board holds only there.
	if err := en.Grant(ctx, 2, "moderator", "board:xinyu"); err != nil {
		t.Fatal(err)
	}
	if !en.Allowed(2, "board:xinyu", "post", "edit_any") || en.Allowed(2, "board:yanglian", "post", "edit_any") {
		t.Fatal("a board-scoped role leaked out of its board or did not apply")
	}
	if !en.Holds(2, "moderator", "board:xinyu") || en.Holds(2, "moderator", "*") {
		t.Fatal("Holds is wrong")
	}
	if err := en.Grant(ctx, 2, "overlord", "*"); err == nil {
		t.Fatal("unknown role granted")
	}
	if err := en.Grant(ctx, 2, "party", "*"); err == nil {
		t.Fatal("the derived party role was granted")
	}
	// Reload from the store keeps the grant.
	if err := en.Reload(ctx); err != nil || !en.Allowed(2, "board:xinyu", "post", "edit_any") {
		t.Fatalf("reload lost the grant: %v", err)
	}
	if got := en.RolesOf(2); len(got) != 2 || got[0] != "moderator@board:xinyu" || got[1] != "employee" {
		t.Fatalf("RolesOf = %v", got)
	}
	if got := en.RolesOf(4); len(got) != 2 || got[0] != "member@branch:一支部" {
		t.Fatalf("RolesOf(member) = %v, the derived party role must not show", got)
	}
	// A revoke applies at once, and the derived party role goes with the last branch role.
	if err := en.Revoke(ctx, 4, "member", "branch:一支部"); err != nil {
		t.Fatal(err)
	}
	if en.Allowed(4, "board:xinyu", "board.party", "read") {
		t.Fatal("a revoked member still reads party boards")
	}
	n := en.Decisions()
	en.Allowed(1, "*", "feed", "read")
	if en.Decisions() != n+1 {
		t.Fatal("a decision was not counted")
	}
}

// BenchmarkAllowed measures one decision with 10,000 users and 1,000 role assignments
// (the budget is 20 µs at p99; `jiayuan bench --policy` reports the p99).
func BenchmarkAllowed(b *testing.B) {
	en := benchEnforcer(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		en.Allowed(int64(i%10000)+1, "board:b"+fmt.Sprint(i%20), "post", "delete_any")
	}
}

func benchEnforcer(b *testing.B) *Enforcer {
	st := &memStore{}
	for i := range 1000 {
		role, dom := "moderator", fmt.Sprintf("board:b%d", i%20)
		if i%3 == 0 {
			role, dom = "member", fmt.Sprintf("branch:%d", i%10)
		}
		st.roles = append(st.roles, Assignment{UserID: int64(i*10 + 1), Role: role, Domain: dom})
	}
	en, err := New(context.Background(), st)
	if err != nil {
		b.Fatal(err)
	}
	return en
}
