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

	"jiayuan/app/testkit"
	"jiayuan/search"
)

// TestIndexInUseIsLeftAlone: a second process opening an index that a running server
// holds is told the index is in use; it neither deletes nor rebuilds it, and the
// server's posts are still all found afterwards.
func TestIndexInUseIsLeftAlone(t *testing.T) {
	dir, st, fold := seededStore(t, 30)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	path := filepath.Join(dir, "index")
	server, err := search.NewService(path, fold, st, log)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			server.Close()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go server.Run(ctx)
	testkit.Eventually(t, 10*time.Second, "the first build to finish", func() bool { return !server.Rebuilding() })
	before, err := os.Stat(filepath.Join(path, "store", "root.bolt"))
	if err != nil {
		t.Fatal(err)
	}

	second, err := search.NewService(path, fold, st, log)
	if err == nil {
		second.Close()
		t.Fatal("a second opener got the index a server holds")
	}
	if !errors.Is(err, search.ErrInUse) {
		t.Fatalf("second opener: %v, want ErrInUse", err)
	}
	after, err := os.Stat(filepath.Join(path, "store", "root.bolt"))
	if err != nil {
		t.Fatalf("the held index lost its root: %v", err)
	}
	if !os.SameFile(before, after) {
		t.Fatal("the held index was replaced")
	}
	if n := count(t, server, "党员学习"); n != 30 {
		t.Fatalf("server finds %d posts after the second opener, want 30", n)
	}
	// Once the server lets go, the index opens as it was: nothing to rebuild.
	cancel()
	closed = true
	server.Close()
	again, err := search.NewService(path, fold, st, log)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.Rebuilding() {
		t.Fatal("the index is rebuilt after the server closed it")
	}
	if n := count(t, again, "党员学习"); n != 30 {
		t.Fatalf("reopened index finds %d posts, want 30", n)
	}
}

// TestUnopenableIndexIsKept: an index that fails to open for a reason of the system
// (here root.bolt is a directory, as an open refused by permissions or limits would
// be) is not deleted: NewService returns the error and the files stay as they were.
func TestUnopenableIndexIsKept(t *testing.T) {
	dir, st, fold := seededStore(t, 3)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	path := filepath.Join(dir, "index")
	s, err := search.NewService(path, fold, st, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reindex(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	root := filepath.Join(path, "store", "root.bolt")
	if err := os.Remove(root); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(path, "index_meta.json")
	before, err := os.Stat(keep)
	if err != nil {
		t.Fatal(err)
	}
	s, err = search.NewService(path, fold, st, log)
	if err == nil {
		s.Close()
		t.Fatal("NewService opened an index whose root is a directory")
	}
	var pe *os.PathError
	if !errors.As(err, &pe) {
		t.Fatalf("NewService: %v, want the system's error", err)
	}
	after, err := os.Stat(keep)
	if err != nil {
		t.Fatalf("the index was deleted: %v", err)
	}
	if !os.SameFile(before, after) {
		t.Fatal("the index was replaced")
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		t.Fatalf("root.bolt was touched: %v", err)
	}
}

// TestIndexDirWithoutMetadata: an empty directory given for the index gets a new one;
// a directory holding something else, and no index metadata, is not the index's to
// delete.
func TestIndexDirWithoutMetadata(t *testing.T) {
	dir, st, fold := seededStore(t, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := search.NewService(empty, fold, st, log)
	if err != nil {
		t.Fatalf("an empty directory: %v", err)
	}
	s.Close()
	other := filepath.Join(dir, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := search.NewService(other, fold, st, log); err == nil {
		s.Close()
		t.Fatal("a directory of other files was taken for the index")
	}
	if b, err := os.ReadFile(filepath.Join(other, "notes.txt")); err != nil || string(b) != "keep" {
		t.Fatalf("the directory's file was deleted: %v", err)
	}
}
