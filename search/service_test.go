package search_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/events"
	"jiayuan/app/fold"
	"jiayuan/app/forum"
	"jiayuan/app/sqlstore"
	"jiayuan/app/testkit"
	"jiayuan/search"
)

func seedPosts(t *testing.T, st *sqlstore.Store, n int) {
	ctx := context.Background()
	u := &accounts.User{Username: "w", DisplayName: "w", PasswordHash: "x", CreatedAt: time.Now().UTC()}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := forum.SeedBoards(ctx, st, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	b, _ := st.BoardBySlug(ctx, "xinyu")
	now := time.Now().UTC().Truncate(time.Millisecond)
	posts := make([]*forum.Post, n)
	for i := range posts {
		posts[i] = &forum.Post{AuthorID: u.ID, Body: "第" + string(rune('一'+i%10)) + "篇周记：黨員學習", HTML: "<p>周记 黨員學習</p>", CreatedAt: now}
	}
	if err := st.ImportThread(ctx, &forum.Thread{BoardID: b.ID, Title: "周记", AuthorID: u.ID, CreatedAt: now}, posts); err != nil {
		t.Fatal(err)
	}
}

// seededStore opens a store in a new directory holding one thread of n posts, and a
// folder.
func seededStore(t *testing.T, n int) (string, *sqlstore.Store, *fold.Folder) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlstore.Open(context.Background(), filepath.Join(dir, "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seedPosts(t, st, n)
	f, err := fold.Load()
	if err != nil {
		t.Fatal(err)
	}
	return dir, st, f
}

func count(t *testing.T, s *search.Service, q string) uint64 {
	t.Helper()
	pq, err := search.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Find(pq, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	return res.Total
}

// TestRebuildsFromTheDatabase: a missing index and a corrupt one are both rebuilt from
// the database while searches answer "rebuilding".
func TestRebuildsFromTheDatabase(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, st, fold := seededStore(t, 50)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	path := filepath.Join(dir, "index")

	for _, damage := range []string{"missing", "corrupt"} {
		t.Run(damage, func(t *testing.T) {
			if damage == "corrupt" {
				os.RemoveAll(path)
				if err := os.MkdirAll(path, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(path, "index_meta.json"), []byte("{not json"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s, err := search.NewService(path, fold, st, log)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if !s.Rebuilding() {
				t.Fatal("a new index does not say it is rebuilding")
			}
			pq, _ := search.Parse("党员")
			if _, err := s.Find(pq, 10, 0); !errors.Is(err, search.ErrRebuilding) {
				t.Fatalf("search during rebuild: %v", err)
			}
			rctx, stop := context.WithCancel(ctx)
			defer stop()
			go s.Run(rctx)
			testkit.Eventually(t, 10*time.Second, "the rebuild to finish", func() bool { return !s.Rebuilding() })
			if n := count(t, s, "党员学习"); n != 50 {
				t.Fatalf("after the rebuild %d posts found, want 50", n)
			}
		})
	}
}

// TestCatchesUpAfterAFullQueue: events dropped while the indexer's queue is full are
// not lost: once the queue drains, the indexer reads what changed from the database.
func TestCatchesUpAfterAFullQueue(t *testing.T) {
	ctx := context.Background()
	dir, st, fold := seededStore(t, 5)
	s, err := search.NewService(filepath.Join(dir, "index"), fold, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Reindex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "党员学习"); n != 5 {
		t.Fatalf("%d posts found, want 5", n)
	}
	// A burst: the queue is full, and the events of 7 more posts find no room.
	s.Fill()
	b, _ := st.BoardBySlug(ctx, "xinyu")
	now := time.Now().UTC()
	posts := make([]*forum.Post, 7)
	for i := range posts {
		posts[i] = &forum.Post{AuthorID: 1, Body: "黨員學習", HTML: "<p>黨員學習</p>", CreatedAt: now}
	}
	if err := st.ImportThread(ctx, &forum.Thread{BoardID: b.ID, Title: "又一篇", AuthorID: 1, CreatedAt: now}, posts); err != nil {
		t.Fatal(err)
	}
	for _, p := range posts {
		s.Handle(events.Event{Type: events.PostCreated, PostID: p.ID, ThreadID: p.ThreadID})
	}
	s.Drain(ctx)
	if n := count(t, s, "党员学习"); n != 12 {
		t.Fatalf("after the burst %d posts found, want 12: dropped events were not caught up", n)
	}
}
