package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
)

// TestHitCounterKeepsWritesDurable: the counter's unsynced commit must not leave the
// write connection unsynced for the posts that follow.
func TestHitCounterKeepsWritesDurable(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "jiayuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 3; i++ {
		if _, err := s.HitCounter(ctx, "k", 60); err != nil {
			t.Fatal(err)
		}
		var level int
		if err := s.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level); err != nil {
			t.Fatal(err)
		}
		if level != 2 {
			t.Fatalf("synchronous is %d after a counter hit, want 2 (FULL)", level)
		}
	}
}
