package org_test

import (
	"path/filepath"
	"testing"

	"jiayuan/app/accounts"
	"jiayuan/app/config"
	"jiayuan/app/node"
	"jiayuan/app/org"
)

// TestCheckStoreSeesARevokeBehindItsBack: a role granted on this node and revoked in
// the store (from the command line, say) before the follower's next look is taken away
// at that look. Comparing with an earlier look would see the store as it was and miss it.
func TestCheckStoreSeesARevokeBehindItsBack(t *testing.T) {
	ctx := t.Context()
	cfg := &config.Config{DataDir: t.TempDir()}
	cfg.SearchDir = filepath.Join(cfg.DataDir, "search.bleve")
	n, err := node.NewConsole(ctx, cfg, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.Org.CheckStore(ctx) // the follower's look before the grant
	carol, err := n.Accounts.Register(ctx, accounts.RegisterInput{Username: "carol", Password: "carol-password", ByAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := n.Org.GrantFromConsole(ctx, org.RoleChange{Username: "carol", Role: "moderator", Board: "xinyu"})
	if err != nil {
		t.Fatal(err)
	}
	if !n.Policy.Holds(carol.ID, a.Role, a.Domain) {
		t.Fatal("the grant is not in force on the node that made it")
	}
	if err := n.Store.RemoveRole(ctx, *a); err != nil { // behind the node's back
		t.Fatal(err)
	}
	n.Org.CheckStore(ctx)
	if n.Policy.Holds(carol.ID, a.Role, a.Domain) {
		t.Fatal("a role revoked in the store is still in force after the follower's look")
	}
	n.Org.CheckStore(ctx) // and a look with nothing new changes nothing
	if n.Policy.Holds(carol.ID, a.Role, a.Domain) {
		t.Fatal("the revoked role came back")
	}
}
