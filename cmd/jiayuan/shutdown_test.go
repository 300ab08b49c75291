package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/config"
	"jiayuan/app/fold"
	"jiayuan/app/forum"
	"jiayuan/app/node"
	"jiayuan/search"
)

// watchedStore is the real store, watched: it records calls made after Close or while
// Close runs, and can hold a request's CreatePost and a worker's PostsByIDs.
type watchedStore struct {
	node.Store
	mu        sync.Mutex
	closed    bool
	inCall    int
	problems  []string
	holdPost  chan struct{} // a CreatePost waits for this to close
	postIn    chan struct{} // closed once the held CreatePost is inside
	postDone  bool          // the held CreatePost has returned
	holdIndex bool          // the next PostsByIDs (the indexer's) waits for indexGo
	indexIn   chan struct{} // closed once that call is inside
	indexGo   chan struct{} // closed to let it go on
}

func (w *watchedStore) enter(what string) func() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		w.problems = append(w.problems, what+" after the store closed")
	}
	w.inCall++
	return func() { w.mu.Lock(); w.inCall--; w.mu.Unlock() }
}

func (w *watchedStore) Close() error {
	w.mu.Lock()
	if w.inCall > 0 {
		w.problems = append(w.problems, fmt.Sprintf("store closed with %d calls inside", w.inCall))
	}
	w.closed = true
	w.mu.Unlock()
	return w.Store.Close()
}

func (w *watchedStore) CreatePost(ctx context.Context, p *forum.Post) error {
	defer w.enter("CreatePost")()
	w.mu.Lock()
	hold, in := w.holdPost, w.postIn
	w.holdPost = nil
	w.mu.Unlock()
	if hold != nil {
		close(in)
		<-hold
	}
	err := w.Store.CreatePost(ctx, p)
	if hold != nil {
		w.mu.Lock()
		w.postDone = true
		w.mu.Unlock()
	}
	return err
}

func (w *watchedStore) PostsByIDs(ctx context.Context, ids []int64) (map[int64]*forum.Post, error) {
	defer w.enter("PostsByIDs")()
	w.mu.Lock()
	hold, next := w.holdIndex, w.indexGo
	w.holdIndex = false
	w.mu.Unlock()
	if hold {
		close(w.indexIn)
		select {
		case <-next:
		case <-ctx.Done():
			w.mu.Lock()
			if !w.postDone {
				w.problems = append(w.problems, "the workers were stopped while a request was still in flight")
			}
			w.problems = append(w.problems, "the indexer was stopped before it had drained its queue")
			w.mu.Unlock()
			return nil, ctx.Err()
		}
	}
	return w.Store.PostsByIDs(ctx, ids)
}

// PostsAfterID lets the held indexer go on once shutdown drains the workers (the
// notifier's drain asks for one post after its checkpoint; its worker reads batches):
// until then it is busy with the first reply, and the second waits in its queue.
func (w *watchedStore) PostsAfterID(ctx context.Context, after int64, limit int) ([]*forum.Post, error) {
	defer w.enter("PostsAfterID")()
	if limit == 1 {
		w.mu.Lock()
		if w.indexGo != nil {
			close(w.indexGo)
			w.indexGo = nil
		}
		w.mu.Unlock()
	}
	return w.Store.PostsAfterID(ctx, after, limit)
}

func (w *watchedStore) PostByID(ctx context.Context, id int64) (*forum.Post, error) {
	defer w.enter("PostByID")()
	return w.Store.PostByID(ctx, id)
}

func (w *watchedStore) UsersByIDs(ctx context.Context, ids []int64) (map[int64]*accounts.User, error) {
	defer w.enter("UsersByIDs")()
	return w.Store.UsersByIDs(ctx, ids)
}

func (w *watchedStore) ThreadByID(ctx context.Context, id int64) (*forum.Thread, error) {
	defer w.enter("ThreadByID")()
	return w.Store.ThreadByID(ctx, id)
}

func (w *watchedStore) BoardByID(ctx context.Context, id int64) (*forum.Board, error) {
	defer w.enter("BoardByID")()
	return w.Store.BoardByID(ctx, id)
}

func (w *watchedStore) ListPosts(ctx context.Context, threadID, afterSeq int64, limit int) ([]*forum.Post, error) {
	defer w.enter("ListPosts")()
	return w.Store.ListPosts(ctx, threadID, afterSeq, limit)
}

func (w *watchedStore) PostsChangedSince(ctx context.Context, since time.Time, afterID int64, limit int) ([]*forum.Post, error) {
	defer w.enter("PostsChangedSince")()
	return w.Store.PostsChangedSince(ctx, since, afterID, limit)
}

func (w *watchedStore) ThreadPostsChangedSince(ctx context.Context, threadID, upTo int64, since time.Time, limit int) ([]*forum.Post, error) {
	defer w.enter("ThreadPostsChangedSince")()
	return w.Store.ThreadPostsChangedSince(ctx, threadID, upTo, since, limit)
}

func (w *watchedStore) UserByUsername(ctx context.Context, username string) (*accounts.User, error) {
	defer w.enter("UserByUsername")()
	return w.Store.UserByUsername(ctx, username)
}

// TestShutdownOrder: a request in flight when the signal comes still gets its 201; the
// workers are drained and stopped only after it, and the store is closed only once no
// worker is inside it. What the indexer had queued at the signal is in the index when
// the node has stopped, before any restart could catch up.
func TestShutdownOrder(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg, err := config.Load([]string{"--data", dir, "--addr", addr, "--post-rate", "0", "--login-rate", "0"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.OpenRegistration, cfg.AdminPassword = true, "admin-password-1"
	st, _, err := node.OpenStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := &watchedStore{Store: st}
	n, err := node.New(t.Context(), cfg, node.Options{Store: w})
	if err != nil {
		t.Fatal(err)
	}
	signal, send := context.WithCancel(context.Background())
	defer send()
	served := make(chan error, 1)
	go func() { served <- serveNode(signal, n, cfg) }()
	base := "http://" + addr
	c := newAPIClient(t, base)
	eventually(t, 10*time.Second, "the server to answer", func() bool {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	c.signUp("inflight")
	code, m := c.call("POST", "/api/v1/boards/nianhua/threads", `{"title":"关机顺序","body":"第一帖"}`)
	if code != 201 {
		t.Fatalf("thread: %d %v", code, m)
	}
	tid := int64(m["thread"].(map[string]any)["id"].(float64))

	// The indexer takes the next reply and stays inside the store until its context ends.
	w.mu.Lock()
	w.holdIndex, w.indexIn, w.indexGo = true, make(chan struct{}), make(chan struct{})
	w.mu.Unlock()
	if code, m := c.call("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), `{"body":"索引中的回复"}`); code != 201 {
		t.Fatalf("first reply: %d %v", code, m)
	}
	<-w.indexIn
	// The second reply is in flight, inside the store, when the signal comes.
	release := make(chan struct{})
	w.mu.Lock()
	w.holdPost, w.postIn = release, make(chan struct{})
	postIn := w.postIn
	w.mu.Unlock()
	type answer struct {
		code int
		body map[string]any
	}
	answered := make(chan answer, 1)
	go func() {
		code, m := c.call("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), `{"body":"关机时的回复"}`)
		answered <- answer{code, m}
	}()
	<-postIn
	send()
	eventually(t, 10*time.Second, "the server to stop accepting connections", func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		conn.Close()
		return false
	})
	close(release)
	if a := <-answered; a.code != 201 {
		t.Fatalf("the reply in flight at the signal got %d %v", a.code, a.body)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop")
	}
	w.mu.Lock()
	problems := w.problems
	w.mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}

	// Both replies were indexed before the index closed.
	fold, err := fold.Load()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := search.NewService(cfg.SearchDir, fold, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	for _, q := range []string{"索引中的回复", "关机时的回复"} {
		pq, err := search.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		res, err := idx.Find(pq, 10, 0)
		if err != nil || res.Total < 1 {
			t.Errorf("reply %s is not in the index after shutdown: %v %v", q, res, err)
		}
	}
}
