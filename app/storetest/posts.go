package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"jiayuan/app/forum"
)

// Posts checks an engine's forum.PostStore.
func Posts(t *testing.T, open func(*testing.T) ForumStore) {
	tests[ForumStore]{
		{"CreatePost", testCreatePost},
		{"PostsPaging", testPostsPaging},
		{"EditAndDelete", testEditAndDelete},
		{"ConcurrentReplies", testConcurrentReplies},
		{"TextVerbatim", testTextVerbatim},
		{"PostsChangedSince", testPostsChanged},
		{"HeldPosts", testHeldPosts},
	}.run(t, open)
}

func testCreatePost(t *testing.T, s ForumStore) {
	ctx := context.Background()
	u, b := newUser(t, s, "grace"), newBoard(t, s, "yanglian", 1)
	th, first := newThread(t, s, b, u, "廉洁格言", at(0))
	r2 := reply(t, s, th, u, "清白做人", at(5))
	r3 := &forum.Post{ThreadID: th.ID, AuthorID: u.ID, Body: "同意", HTML: "<p>同意</p>", CreatedAt: at(7),
		ReplyTo: r2.ID, ReplyToSeq: r2.Seq, Depth: 1, PathPrefix: r2.Path}
	must(t, s.CreatePost(ctx, r3))
	if r2.Seq != 2 || r3.Seq != 3 || r2.Path != forum.PathSegment(2) || r3.Path != r2.Path+forum.PathSegment(3) {
		t.Fatalf("seqs/paths: %d %q, %d %q", r2.Seq, r2.Path, r3.Seq, r3.Path)
	}
	got, err := s.PostByID(ctx, r3.ID)
	must(t, err)
	if got.ReplyTo != r2.ID || got.ReplyToSeq != 2 || got.Depth != 1 || got.Path != r3.Path || got.ThreadID != th.ID {
		t.Fatalf("reply fields: %+v", got)
	}
	gt, err := s.ThreadByID(ctx, th.ID)
	must(t, err)
	if gt.ReplyCount != 2 || gt.LastSeq != 3 || !gt.LastActivityAt.Equal(at(7)) {
		t.Fatalf("thread after replies: %+v", gt)
	}
	gb, err := s.BoardByID(ctx, b.ID)
	must(t, err)
	if gb.PostCount != 3 || gb.ThreadCount != 1 || !gb.LastActivityAt.Equal(at(7)) {
		t.Fatalf("board after replies: %+v", gb)
	}
	// A reply to a missing thread is refused and writes nothing.
	err = s.CreatePost(ctx, &forum.Post{ThreadID: 424242, AuthorID: u.ID, Body: "x", HTML: "x", CreatedAt: at(8)})
	isNotFound(t, err, "CreatePost(missing thread)")
	gb, err = s.BoardByID(ctx, b.ID)
	must(t, err)
	if gb.PostCount != 3 {
		t.Fatalf("a refused reply changed the board: %+v", gb)
	}
	_, err = s.PostByID(ctx, 99999)
	isNotFound(t, err, "PostByID(missing)")
	_ = first
}

func testPostsPaging(t *testing.T, s ForumStore) {
	ctx := context.Background()
	u, b := newUser(t, s, "heidi"), newBoard(t, s, "leyou", 1)
	th, first := newThread(t, s, b, u, "春游", at(0))
	// A small tree: 2 and 3 answer the thread, 4 answers 2, 5 answers 4, 6 answers 3.
	posts := map[int64]*forum.Post{1: first}
	add := func(parent int64, min int) {
		p := &forum.Post{ThreadID: th.ID, AuthorID: u.ID, Body: "b", HTML: "b", CreatedAt: at(min)}
		if parent > 1 {
			pp := posts[parent]
			p.ReplyTo, p.ReplyToSeq, p.Depth, p.PathPrefix = pp.ID, pp.Seq, pp.Depth+1, pp.Path
		}
		must(t, s.CreatePost(ctx, p))
		posts[p.Seq] = p
	}
	add(1, 1)
	add(1, 2)
	add(2, 3)
	add(4, 4)
	add(3, 5)
	seqs := func(ps []*forum.Post) string {
		out := ""
		for _, p := range ps {
			out += fmt.Sprint(p.Seq, " ")
		}
		return out
	}
	page, err := s.ListPosts(ctx, th.ID, 0, 4)
	must(t, err)
	if got := seqs(page); got != "1 2 3 4 " {
		t.Fatalf("ListPosts page 1 = %s", got)
	}
	page, err = s.ListPosts(ctx, th.ID, 4, 4)
	must(t, err)
	if got := seqs(page); got != "5 6 " {
		t.Fatalf("ListPosts page 2 = %s", got)
	}
	tree, err := s.ListPostsByPath(ctx, th.ID, "", 100)
	must(t, err)
	if got := seqs(tree); got != "1 2 4 5 3 6 " {
		t.Fatalf("tree order = %s", got)
	}
	tree, err = s.ListPostsByPath(ctx, th.ID, posts[4].Path, 2)
	must(t, err)
	if got := seqs(tree); got != "5 3 " {
		t.Fatalf("tree page after 4 = %s", got)
	}
	tree, err = s.LastPostsByPath(ctx, th.ID, 3)
	must(t, err)
	if got := seqs(tree); got != "5 3 6 " {
		t.Fatalf("the tree's last page = %s", got)
	}
	none, err := s.ListPosts(ctx, 424242, 0, 10)
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("posts of a missing thread: %v", none)
	}
}

func testEditAndDelete(t *testing.T, s ForumStore) {
	ctx := context.Background()
	u, b := newUser(t, s, "ivan"), newBoard(t, s, "shijiao", 1)
	_, p := newThread(t, s, b, u, "改革热点", at(0))
	must(t, s.UpdatePostBody(ctx, p.ID, "新正文", "<p>新正文</p>", at(3)))
	got, err := s.PostByID(ctx, p.ID)
	must(t, err)
	if got.Body != "新正文" || got.HTML != "<p>新正文</p>" || !got.EditedAt.Equal(at(3)) {
		t.Fatalf("after edit: %+v", got)
	}
	must(t, s.SetPostDeleted(ctx, p.ID, true, at(4)))
	got, err = s.PostByID(ctx, p.ID)
	must(t, err)
	if !got.Deleted || !got.DeletedAt.Equal(at(4)) || got.Body != "新正文" {
		t.Fatalf("after delete (the text is kept for restore): %+v", got)
	}
	must(t, s.SetPostDeleted(ctx, p.ID, false, at(5)))
	got, err = s.PostByID(ctx, p.ID)
	must(t, err)
	if got.Deleted || !got.DeletedAt.IsZero() {
		t.Fatalf("after restore: %+v", got)
	}
	isNotFound(t, s.UpdatePostBody(ctx, 99999, "x", "x", at(6)), "UpdatePostBody(missing)")
	isNotFound(t, s.SetPostDeleted(ctx, 99999, true, at(6)), "SetPostDeleted(missing)")
}

func testConcurrentReplies(t *testing.T, s ForumStore) {
	ctx := context.Background()
	u, b := newUser(t, s, "mallory"), newBoard(t, s, "shanxing", 1)
	th, _ := newThread(t, s, b, u, "志愿者招募", at(0))
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				p := &forum.Post{ThreadID: th.ID, AuthorID: u.ID, Body: fmt.Sprintf("%d-%d", w, i), HTML: "x", CreatedAt: at(1 + w)}
				if err := s.CreatePost(ctx, p); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent reply: %v", err)
	}
	posts, err := s.ListPosts(ctx, th.ID, 0, 1000)
	must(t, err)
	if len(posts) != workers*each+1 {
		t.Fatalf("%d posts, want %d", len(posts), workers*each+1)
	}
	for i, p := range posts {
		if p.Seq != int64(i+1) {
			t.Fatalf("seq %d at position %d: not gapless and unique", p.Seq, i)
		}
	}
	gt, err := s.ThreadByID(ctx, th.ID)
	must(t, err)
	if gt.ReplyCount != workers*each || gt.LastSeq != workers*each+1 {
		t.Fatalf("thread counters %+v: lost updates", gt)
	}
	gb, err := s.BoardByID(ctx, b.ID)
	must(t, err)
	if gb.PostCount != workers*each+1 {
		t.Fatalf("board post_count %d, want %d: lost updates", gb.PostCount, workers*each+1)
	}
}

func testTextVerbatim(t *testing.T, s ForumStore) {
	ctx := context.Background()
	u, b := newUser(t, s, "peggy"), newBoard(t, s, "jiangtan", 1)
	for _, text := range []string{`{"$gt": ""}`, "$where: sleep(1000)", "黨員學習 党员学习 ＡＢＣ 😀", "'; DROP TABLE posts; --"} {
		th, p := newThread(t, s, b, u, text, at(1))
		gt, err := s.ThreadByID(ctx, th.ID)
		must(t, err)
		gp, err := s.PostByID(ctx, p.ID)
		must(t, err)
		if gt.Title != text || gp.Body != "正文 "+text {
			t.Fatalf("text changed: %q / %q, want %q", gt.Title, gp.Body, text)
		}
	}
}

func testPostsChanged(t *testing.T, s ForumStore) {
	ctx := context.Background()
	u, b := newUser(t, s, "sybil"), newBoard(t, s, "changes", 1)
	th, p1 := newThread(t, s, b, u, "变更", at(1))
	p2 := reply(t, s, th, u, "二", at(2))
	p3 := reply(t, s, th, u, "三", at(3))
	must(t, s.UpdatePostBody(ctx, p1.ID, "改", "改", at(4)))
	must(t, s.SetPostDeleted(ctx, p2.ID, true, at(5)))
	order := func(ps []*forum.Post) string {
		out := ""
		for _, p := range ps {
			out += fmt.Sprint(p.ID, "@", p.ChangedAt.Sub(base).Minutes(), " ")
		}
		return out
	}
	all, err := s.PostsChangedSince(ctx, time.Time{}, 0, 10)
	must(t, err)
	want := fmt.Sprintf("%d@3 %d@4 %d@5 ", p3.ID, p1.ID, p2.ID)
	if got := order(all); got != want {
		t.Fatalf("changed order %q, want %q", got, want)
	}
	page, err := s.PostsChangedSince(ctx, all[0].ChangedAt, all[0].ID, 1)
	must(t, err)
	if len(page) != 1 || page[0].ID != p1.ID {
		t.Fatalf("keyset page after the first: %v", order(page))
	}
	if !all[2].Deleted {
		t.Fatal("a deleted post is not reported as deleted")
	}
	m, err := s.PostsByIDs(ctx, []int64{p1.ID, p3.ID, 999999})
	must(t, err)
	if len(m) != 2 || m[p1.ID].Body != "改" {
		t.Fatalf("PostsByIDs = %v", m)
	}
}

func testHeldPosts(t *testing.T, s ForumStore) {
	ctx := context.Background()
	u := newUser(t, s, "alice")
	b := newBoard(t, s, "one", 1)
	th, _ := newThread(t, s, b, u, "T", at(1))
	held := &forum.Post{ThreadID: th.ID, AuthorID: u.ID, Body: "待审", HTML: "待审", CreatedAt: at(2), Held: true}
	must(t, s.CreatePost(ctx, held))
	reply(t, s, th, u, "公开", at(3))
	ps, err := s.ListPosts(ctx, th.ID, 0, 10)
	must(t, err)
	if len(ps) != 2 || ps[1].Body != "公开" {
		t.Fatalf("a held post is listed: %d posts", len(ps))
	}
	if ps, _ := s.ListPostsByPath(ctx, th.ID, "", 10); len(ps) != 2 {
		t.Fatalf("a held post is in the tree: %d posts", len(ps))
	}
	got, err := s.PostByID(ctx, held.ID)
	must(t, err)
	if !got.Held {
		t.Fatal("PostByID lost the held flag")
	}
	q, err := s.HeldPosts(ctx, 10)
	must(t, err)
	if len(q) != 1 || q[0].ID != held.ID {
		t.Fatalf("HeldPosts = %d", len(q))
	}
	must(t, s.SetPostHeld(ctx, held.ID, false, at(5)))
	if ps, _ := s.ListPosts(ctx, th.ID, 0, 10); len(ps) != 3 || ps[1].ID != held.ID {
		t.Fatalf("a released post is not listed in its place")
	}
	if q, _ := s.HeldPosts(ctx, 10); len(q) != 0 {
		t.Fatalf("HeldPosts after release = %d", len(q))
	}
	if p, _ := s.PostByID(ctx, held.ID); !p.ChangedAt.Equal(at(5)) {
		t.Fatalf("release did not mark the post changed: %v", p.ChangedAt)
	}
	isNotFound(t, s.SetPostHeld(ctx, 987654, true, at(6)), "SetPostHeld(missing)")

	// One author's held posts in one thread: not another's, not another thread's.
	mine := &forum.Post{ThreadID: th.ID, AuthorID: u.ID, Body: "又一条", HTML: "又一条", CreatedAt: at(7), Held: true}
	must(t, s.CreatePost(ctx, mine))
	other := newUser(t, s, "bob")
	th2, _ := newThread(t, s, b, u, "T2", at(7))
	must(t, s.CreatePost(ctx, &forum.Post{ThreadID: th.ID, AuthorID: other.ID, Body: "别人的", HTML: "别人的", CreatedAt: at(8), Held: true}))
	must(t, s.CreatePost(ctx, &forum.Post{ThreadID: th2.ID, AuthorID: u.ID, Body: "别处的", HTML: "别处的", CreatedAt: at(8), Held: true}))
	if q, err := s.HeldPostsBy(ctx, th.ID, u.ID); err != nil || len(q) != 1 || q[0].ID != mine.ID {
		t.Fatalf("HeldPostsBy = %d, %v", len(q), err)
	}
}
