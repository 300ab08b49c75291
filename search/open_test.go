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
	for deadline := time.Now().Add(10 * time.Second); server.Rebuilding(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("first build did not finish")
		}
	}
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
