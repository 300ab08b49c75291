package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/sqlstore"
)

// TestSkeletonBackfill: users stored before skeletons were kept get one at the next
// start, two look-alikes among them included, and the unique index then holds.
func TestSkeletonBackfill(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "jiayuan.db")
	s, err := sqlstore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// As rows written before migration 5 filled the column: no skeleton.
	if _, err := raw.ExecContext(ctx, `INSERT INTO users (username, display_name, password_hash, created_at) VALUES ('mary', 'x', 'h', 0), ('rnary', 'x', 'h', 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	s, err = sqlstore.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	for _, name := range []string{"mary", "rnary"} {
		if _, err := s.UserByUsername(ctx, name); err != nil {
			t.Fatalf("%s after the backfill: %v", name, err)
		}
	}
	err = s.CreateUser(ctx, &accounts.User{Username: "rnаry", DisplayName: "x", PasswordHash: "h"}) // Cyrillic а
	if !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("a third look-alike after the backfill: %v, want a conflict", err)
	}
	if err := s.CreateUser(ctx, &accounts.User{Username: "maria", DisplayName: "x", PasswordHash: "h"}); err != nil {
		t.Fatalf("an unlike name: %v", err)
	}
}
