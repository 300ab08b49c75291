package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jiayuan/app/fold"
	"jiayuan/app/forum"
	"jiayuan/search"
)

// TestSearchAfterMoveToPrivateBoard: right after a thread moves to a moderators-only
// board, before the index has caught up, an outsider's search shows nothing of it: no
// hit, no snippet, and it is not counted.
func TestSearchAfterMoveToPrivateBoard(t *testing.T) {
	e := newEnv(t)
	admin, bob := e.admin(), e.user("bob")
	modsBoard(t, admin)
	tid, _ := admin.thread("leyou", "移动主题", "独一无二的秘密词语")
	q := "/api/v1/search?q=" + url.QueryEscape("秘密词语")
	waitFor(t, func() bool { return strings.Contains(bob.do("GET", q, nil).Body, "秘密") })
	if r := admin.do("PATCH", fmt.Sprintf("/api/v1/threads/%d", tid), map[string]any{"board": "mods"}); r.Status != 200 {
		t.Fatalf("move: %d %s", r.Status, r.Body)
	}
	r := bob.do("GET", q, nil)
	m := r.json(t)
	if strings.Contains(r.Body, "秘密") || strings.Contains(r.Body, "mods") || len(m["hits"].([]any)) != 0 {
		t.Fatalf("search right after the move shows bob the moved post: %s", r.Body)
	}
	if m["total"].(float64) != 0 {
		t.Fatalf("the moved post is still counted for bob: %s", r.Body)
	}
	if p := bob.page("/search?q=" + url.QueryEscape("秘密词语")); strings.Contains(p.Body, "秘密词语</mark>") || strings.Contains(p.Body, "移动主题") {
		t.Fatalf("the search page shows bob the moved post")
	}
	// The moderator still finds it, under its new board, once the index has caught up.
	waitFor(t, func() bool { return strings.Contains(admin.do("GET", q, nil).Body, `"board":"mods"`) })
}

// TestSearchHeldPostHidden: a post edited into one held for review drops out of others'
// searches at once, even before its reindex: the old words find nothing, and its new
// text is never shown as a snippet.
func TestSearchHeldPostHidden(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	if r := admin.do("PUT", "/api/v1/admin/words", map[string]any{"rules": []map[string]string{{"pattern": "黑幕", "action": "hold"}}}); r.Status != 200 {
		t.Fatalf("words: %d %s", r.Status, r.Body)
	}
	bob, carol := e.user("bob"), e.user("carol")
	tid, _ := bob.thread("xinyu", "主题", "正文")
	pid := int64(bob.reply(tid, "原来的独特说法", 0)["id"].(float64))
	q := "/api/v1/search?q=" + url.QueryEscape("独特说法")
	waitFor(t, func() bool { return strings.Contains(carol.do("GET", q, nil).Body, "独特") })
	if r := bob.do("PATCH", fmt.Sprintf("/api/v1/posts/%d", pid), map[string]string{"body": "独特说法，改成待审核的黑幕 HELDTEXT"}); r.Status != 200 {
		t.Fatalf("edit: %d %s", r.Status, r.Body)
	}
	r := carol.do("GET", q, nil)
	if strings.Contains(r.Body, "HELDTEXT") || strings.Contains(r.Body, fmt.Sprintf(`"post_id":%d`, pid)) {
		t.Fatalf("the held post is a hit for carol: %s", r.Body)
	}
	if m := r.json(t); m["total"].(float64) != 0 {
		t.Fatalf("the held post is counted for carol: %s", r.Body)
	}
}

// TestSearchCatchesUpLostMove: a move whose reindex is lost (the search service is
// down when it happens) is redone by the next service's catch-up over the same index:
// the moved posts are found under their new board. The post is older than the
// checkpoint by more than the catch-up's safety window, so only the move itself can
// bring it back into the catch-up.
func TestSearchCatchesUpLostMove(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	modsBoard(t, admin)
	ctx := context.Background()
	leyou, err := e.store.BoardBySlug(ctx, "leyou")
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Millisecond)
	th := &forum.Thread{BoardID: leyou.ID, Title: "旧主题", AuthorID: e.userID("admin"), CreatedAt: old, LastActivityAt: old}
	if err := e.store.CreateThread(ctx, th, &forum.Post{AuthorID: th.AuthorID, Body: "遗失的搬迁", HTML: "<p>遗失的搬迁</p>", CreatedAt: old}); err != nil {
		t.Fatal(err)
	}
	admin.thread("leyou", "新主题", "后来的帖子") // moves the checkpoint to now

	fold, err := fold.Load()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "own.bleve")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// A service of our own, subscribed to nothing: every event is lost to it.
	start := func() (*search.Service, func()) {
		svc, err := search.NewService(path, fold, e.store, log)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { svc.Run(ctx); close(done) }()
		return svc, func() { cancel(); <-done; svc.Close() }
	}
	finds := func(svc *search.Service, raw string) bool {
		q, err := search.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.Find(q, 10, 0)
		return err == nil && len(res.Hits) == 1
	}
	svc, stop := start()
	waitFor(t, func() bool { return finds(svc, "遗失的搬迁 board:leyou") && finds(svc, "后来的帖子") })
	stop()

	if r := admin.do("PATCH", fmt.Sprintf("/api/v1/threads/%d", th.ID), map[string]any{"board": "mods"}); r.Status != 200 {
		t.Fatalf("move: %d %s", r.Status, r.Body)
	}
	svc, stop = start()
	defer stop()
	waitFor(t, func() bool { return finds(svc, "遗失的搬迁 board:mods") })
	if finds(svc, "遗失的搬迁 board:leyou") {
		t.Fatal("the moved post is still indexed under its old board")
	}
}
