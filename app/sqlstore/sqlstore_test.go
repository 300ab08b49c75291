package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"jiayuan/app/accounts"
	"jiayuan/app/sqlstore"
	"jiayuan/app/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		s, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "jiayuan.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestReopen: data survives a reopen and migrations are not applied twice.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "jiayuan.db")
	s, err := sqlstore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, &accounts.User{Username: "keep", DisplayName: "k", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlstore.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if u, err := s.UserByUsername(ctx, "keep"); err != nil || u.DisplayName != "k" {
		t.Fatalf("after reopen: %v %v", u, err)
	}
}
