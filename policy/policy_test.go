package policy

import (
	"context"
	"testing"
)

type memStore struct{ roles []Assignment }

func (m *memStore) AddRole(_ context.Context, a Assignment) error {
	m.roles = append(m.roles, a)
	return nil
}
func (m *memStore) RemoveRole(context.Context, Assignment) error { return nil }
func (m *memStore) ListRoles(context.Context) ([]Assignment, error) {
	return m.roles, nil
}

func TestDecisions(t *testing.T) {
	ctx := context.Background()
	st := &memStore{roles: []Assignment{{UserID: 7, Role: "admin", Domain: "*"}}}
	en, err := New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user          int64
		dom, obj, act string
		want          bool
	}{
		{0, "board:xinyu", "board", "read", true},
		{0, "board:xinyu", "thread", "create", false},
		{0, "board:xinyu", "post", "create", false},
		{1, "board:xinyu", "board", "read", true},
		{1, "board:xinyu", "thread", "create", true},
		{1, "board:xinyu", "post", "edit_own", true},
		{1, "board:xinyu", "post", "edit_any", false},
		{1, "board:xinyu", "post", "delete_any", false},
		{7, "board:xinyu", "post", "edit_any", true},
		{7, "board:yanglian", "post", "delete_any", true},
	}
	for _, c := range cases {
		if got := en.Allowed(c.user, c.dom, c.obj, c.act); got != c.want {
			t.Errorf("Allowed(%d, %s, %s, %s) = %v, want %v", c.user, c.dom, c.obj, c.act, got, c.want)
		}
	}

	// A grant applies at once and is stored; a role held in one board holds only there.
	if err := en.Grant(ctx, 2, "admin", "board:xinyu"); err != nil {
		t.Fatal(err)
	}
	if !en.Allowed(2, "board:xinyu", "post", "edit_any") || en.Allowed(2, "board:yanglian", "post", "edit_any") {
		t.Fatal("a board-scoped role leaked out of its board or did not apply")
	}
	if len(st.roles) != 2 {
		t.Fatalf("grant not stored: %v", st.roles)
	}
	if err := en.Grant(ctx, 2, "overlord", "*"); err == nil {
		t.Fatal("unknown role granted")
	}
	// Reload from the store keeps the grant.
	if err := en.Reload(ctx); err != nil || !en.Allowed(2, "board:xinyu", "post", "edit_any") {
		t.Fatalf("reload lost the grant: %v", err)
	}
	if got := en.RolesOf(2); len(got) != 2 || got[0] != "admin@board:xinyu" || got[1] != "employee" {
		t.Fatalf("RolesOf = %v", got)
	}
}
