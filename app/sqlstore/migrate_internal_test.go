package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestBoardTextsMigrated: a database from before migration 9 keeps its boards' names
// and descriptions in every language, now one text each.
func TestBoardTextsMigrated(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "jiayuan.db")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// As the database stood after migration 8, with one board in it.
	for v, m := range migrations[:8] {
		if _, err := raw.ExecContext(ctx, m); err != nil {
			t.Fatalf("migration %d: %v", v+1, err)
		}
	}
	if _, err := raw.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
		INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (7, 0), (8, 0);
		INSERT INTO boards (slug, name, name_hant, name_en, description, description_hant, description_en, position, created_at)
		VALUES ('shijiao', '家·视角', '家·視角', 'Perspectives', '改革热点', '改革熱點', '', 1, 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.BoardBySlug(ctx, "shijiao")
	if err != nil {
		t.Fatal(err)
	}
	if b.Name["zh-Hans"] != "家·视角" || b.Name["zh-Hant"] != "家·視角" || b.Name["en"] != "Perspectives" ||
		b.Description["zh-Hans"] != "改革热点" || b.Description["zh-Hant"] != "改革熱點" || b.Description.In("en") != "改革热点" {
		t.Fatalf("after the migration: %+v", b)
	}
}
