package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"jiayuan/app/forum"
)

// Threads checks an engine's forum.ThreadStore, and its bulk import of threads.
func Threads(t *testing.T, open func(*testing.T) ForumStore) {
	tests[ForumStore]{
		{"CreateThread", testCreateThread},
		{"ThreadOrderAndCursor", testThreadOrder},
		{"ImportThread", testImportThread},
		{"ThreadPatch", testThreadPatch},
		{"RelocatePosts", testRelocatePosts},
		{"MovesTouchChanged", testMovesTouchChanged},
	}.run(t, open)
}

func testCreateThread(t *testing.T, s ForumStore) {
	ctx := context.Background()
	u, b := newUser(t, s, "frank"), newBoard(t, s, "xinyu", 1)
	th, p := newThread(t, s, b, u, "第一周周记", at(10))
	if th.ID <= 0 || p.ID <= 0 || p.Seq != 1 || p.ThreadID != th.ID || p.Path != forum.PathSegment(1) {
		t.Fatalf("thread %+v post %+v", th, p)
	}
	got, err := s.ThreadByID(ctx, th.ID)
	must(t, err)
	if got.Title != "第一周周记" || got.LastSeq != 1 || got.ReplyCount != 0 || got.BoardID != b.ID || got.AuthorID != u.ID ||
		!got.CreatedAt.Equal(at(10)) || !got.LastActivityAt.Equal(at(10)) || got.Pinned || got.Locked {
		t.Fatalf("ThreadByID = %+v", got)
	}
	gb, err := s.BoardByID(ctx, b.ID)
	must(t, err)
	if gb.ThreadCount != 1 || gb.PostCount != 1 || !gb.LastActivityAt.Equal(at(10)) {
		t.Fatalf("board counters %+v", gb)
	}
	_, err = s.ThreadByID(ctx, 99999)
	isNotFound(t, err, "ThreadByID(missing)")
	gp, err := s.PostByID(ctx, p.ID)
	must(t, err)
	if gp.Body != "正文 第一周周记" || gp.Seq != 1 || !gp.CreatedAt.Equal(at(10)) || !gp.EditedAt.IsZero() || gp.Deleted {
		t.Fatalf("PostByID = %+v", gp)
	}
}

func testThreadOrder(t *testing.T, s ForumStore) {
	ctx := context.Background()
	u, b := newUser(t, s, "judy"), newBoard(t, s, "nianhua", 1)
	other := newBoard(t, s, "other", 2)
	newThread(t, s, other, u, "别的版块", at(500))
	var threads []*forum.Thread
	for i := 0; i < 25; i++ {
		// Pairs share a time, so the id tiebreak is exercised.
		th, _ := newThread(t, s, b, u, fmt.Sprintf("主题%02d", i), at(i/2))
		threads = append(threads, th)
	}
	seen := map[int64]int{}
	var order []int64
	var cur *forum.ThreadCursor
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		page, err := s.ListThreads(ctx, b.ID, cur, 10)
		must(t, err)
		for _, th := range page {
			seen[th.ID]++
			order = append(order, th.ID)
			if th.BoardID != b.ID {
				t.Fatalf("thread of another board listed: %+v", th)
			}
		}
		if len(page) < 10 {
			break
		}
		last := page[len(page)-1]
		cur = &forum.ThreadCursor{Pinned: last.Pinned, LastActivityAt: last.LastActivityAt, ID: last.ID}
	}
	if len(seen) != 25 || len(order) != 25 {
		t.Fatalf("paged %d threads (%d distinct), want 25", len(order), len(seen))
	}
	// Newest activity first, ties by id descending.
	for i, id := range order {
		if want := threads[24-i].ID; id != want {
			t.Fatalf("position %d: thread %d, want %d", i, id, want)
		}
	}
	// A reply moves its thread to the top.
	reply(t, s, threads[3], u, "顶", at(100))
	page, err := s.ListThreads(ctx, b.ID, nil, 3)
	must(t, err)
	if page[0].ID != threads[3].ID || !page[0].LastActivityAt.Equal(at(100)) {
		t.Fatalf("replied thread not first: %+v", page[0])
	}
}

func testImportThread(t *testing.T, s ForumStore) {
	ctx := context.Background()
	u, b := newUser(t, s, "olivia"), newBoard(t, s, "shuying", 1)
	th := &forum.Thread{BoardID: b.ID, Title: "每周一书", AuthorID: u.ID, CreatedAt: at(0)}
	var posts []*forum.Post
	for i := 0; i < 30; i++ {
		posts = append(posts, &forum.Post{AuthorID: u.ID, Body: fmt.Sprint("读后感", i), HTML: "x", CreatedAt: at(i)})
	}
	posts[5].ReplyTo, posts[5].ReplyToSeq, posts[5].Depth, posts[5].PathPrefix = 0, 3, 1, forum.PathSegment(3)
	must(t, s.ImportThread(ctx, th, posts))
	gt, err := s.ThreadByID(ctx, th.ID)
	must(t, err)
	if gt.LastSeq != 30 || gt.ReplyCount != 29 || !gt.LastActivityAt.Equal(at(29)) {
		t.Fatalf("imported thread %+v", gt)
	}
	got, err := s.ListPosts(ctx, th.ID, 0, 100)
	must(t, err)
	if len(got) != 30 || got[29].Seq != 30 || got[5].Path != forum.PathSegment(3)+forum.PathSegment(6) || got[5].ReplyTo != got[2].ID {
		t.Fatalf("imported posts: %d, last seq %d, path %q", len(got), got[len(got)-1].Seq, got[5].Path)
	}
	gb, err := s.BoardByID(ctx, b.ID)
	must(t, err)
	if gb.ThreadCount != 1 || gb.PostCount != 30 {
		t.Fatalf("board after import %+v", gb)
	}
	// A later reply continues the numbering.
	if r := reply(t, s, th, u, "续", at(40)); r.Seq != 31 {
		t.Fatalf("reply after import got seq %d", r.Seq)
	}
}

func testThreadPatch(t *testing.T, s ForumStore) {
	ctx := context.Background()
	u := newUser(t, s, "alice")
	b1, b2 := newBoard(t, s, "one", 1), newBoard(t, s, "two", 2)
	th, _ := newThread(t, s, b1, u, "标题", at(1))
	reply(t, s, th, u, "回复", at(2))

	yes, title := true, "新标题"
	got, err := s.UpdateThread(ctx, th.ID, forum.ThreadPatch{Pinned: &yes, Title: &title})
	must(t, err)
	if !got.Pinned || got.Locked || got.Title != "新标题" || got.BoardID != b1.ID {
		t.Fatalf("after pin and rename: %+v", got)
	}
	got, err = s.UpdateThread(ctx, th.ID, forum.ThreadPatch{Locked: &yes, BoardID: &b2.ID})
	must(t, err)
	if !got.Pinned || !got.Locked || got.BoardID != b2.ID || got.Title != "新标题" {
		t.Fatalf("after lock and move: %+v", got)
	}
	stored, err := s.ThreadByID(ctx, th.ID)
	must(t, err)
	if *stored != *got {
		t.Fatalf("stored %+v, returned %+v", stored, got)
	}
	one, _ := s.BoardByID(ctx, b1.ID)
	two, _ := s.BoardByID(ctx, b2.ID)
	if one.ThreadCount != 0 || one.PostCount != 0 || two.ThreadCount != 1 || two.PostCount != 2 {
		t.Fatalf("counts after move: one %d/%d, two %d/%d", one.ThreadCount, one.PostCount, two.ThreadCount, two.PostCount)
	}
	if ts, _ := s.ListThreads(ctx, b2.ID, nil, 10); len(ts) != 1 || ts[0].ID != th.ID {
		t.Fatalf("the moved thread is not listed in its new board")
	}
	if ts, _ := s.ListThreads(ctx, b1.ID, nil, 10); len(ts) != 0 {
		t.Fatalf("the moved thread is still listed in its old board")
	}
	_, err = s.UpdateThread(ctx, 987654, forum.ThreadPatch{Pinned: &yes})
	isNotFound(t, err, "UpdateThread(missing)")
	missing := int64(987654)
	_, err = s.UpdateThread(ctx, th.ID, forum.ThreadPatch{BoardID: &missing})
	isNotFound(t, err, "move to a missing board")
	if after, _ := s.ThreadByID(ctx, th.ID); after.BoardID != b2.ID {
		t.Fatal("a failed move changed the thread")
	}
	if two, _ = s.BoardByID(ctx, b2.ID); two.ThreadCount != 1 || two.PostCount != 2 {
		t.Fatalf("a failed move changed the counts: %d/%d", two.ThreadCount, two.PostCount)
	}
}

func testRelocatePosts(t *testing.T, s ForumStore) {
	ctx := context.Background()
	u := newUser(t, s, "alice")
	b1, b2 := newBoard(t, s, "one", 1), newBoard(t, s, "two", 2)
	a, _ := newThread(t, s, b1, u, "A", at(1))
	a2 := reply(t, s, a, u, "a2", at(2))
	b, bop := newThread(t, s, b2, u, "B", at(3))
	b2p := reply(t, s, b, u, "b2", at(4))

	// Merge B into A: B's posts take seqs after A's.
	moves := []forum.Relocation{
		{PostID: bop.ID, Seq: 3, Path: forum.PathSegment(3)},
		{PostID: b2p.ID, Seq: 4, Path: forum.PathSegment(4), ReplyTo: bop.ID, ReplyToSeq: 3},
	}
	must(t, s.RelocatePosts(ctx, a, b.ID, moves, at(10)))
	if a.LastSeq != 4 || a.ReplyCount != 3 || !a.LastActivityAt.Equal(at(4)) {
		t.Fatalf("target after merge: %+v", a)
	}
	ps, err := s.ListPosts(ctx, a.ID, 0, 10)
	must(t, err)
	if len(ps) != 4 || ps[2].ID != bop.ID || ps[3].Seq != 4 || ps[3].ReplyToSeq != 3 || !ps[3].ChangedAt.Equal(at(10)) {
		t.Fatalf("posts after merge: %d", len(ps))
	}
	if ps, _ := s.ListPosts(ctx, b.ID, 0, 10); len(ps) != 0 {
		t.Fatalf("source still has %d posts", len(ps))
	}
	_, err = s.ThreadByID(ctx, b.ID)
	isNotFound(t, err, "the emptied source of a merge")
	one, _ := s.BoardByID(ctx, b1.ID)
	two, _ := s.BoardByID(ctx, b2.ID)
	if one.PostCount != 4 || two.PostCount != 0 || two.ThreadCount != 0 {
		t.Fatalf("board counts after merge: one %d posts, two %d posts %d threads", one.PostCount, two.PostCount, two.ThreadCount)
	}

	// Split A's seq 3 and 4 off into a new thread in board two.
	nt := &forum.Thread{BoardID: b2.ID, Title: "分出", AuthorID: u.ID, CreatedAt: at(11), LastActivityAt: at(11)}
	split := []forum.Relocation{
		{PostID: bop.ID, Seq: 1, Path: forum.PathSegment(1)},
		{PostID: b2p.ID, Seq: 2, Path: forum.PathSegment(2), ReplyTo: bop.ID, ReplyToSeq: 1},
	}
	must(t, s.RelocatePosts(ctx, nt, a.ID, split, at(12)))
	if nt.ID == 0 || nt.LastSeq != 2 || nt.ReplyCount != 1 {
		t.Fatalf("new thread: %+v", nt)
	}
	if got, _ := s.ThreadByID(ctx, a.ID); got.ReplyCount != 1 || got.LastSeq != 4 {
		t.Fatalf("source after split: %+v", got)
	}
	two, _ = s.BoardByID(ctx, b2.ID)
	if two.ThreadCount != 1 || two.PostCount != 2 {
		t.Fatalf("board two after split: %d threads, %d posts", two.ThreadCount, two.PostCount)
	}
	// A post that is not in the source thread: nothing changes.
	err = s.RelocatePosts(ctx, a, nt.ID, []forum.Relocation{{PostID: a2.ID, Seq: 9, Path: forum.PathSegment(9)}}, at(13))
	isNotFound(t, err, "relocating a post from the wrong thread")
	if p, _ := s.PostByID(ctx, a2.ID); p.ThreadID != a.ID || p.Seq != 2 {
		t.Fatalf("a failed relocation moved the post: %+v", p)
	}
	if p, _ := s.PostByID(ctx, bop.ID); p.ThreadID != nt.ID || p.Seq != 1 {
		t.Fatalf("a failed relocation moved another post: %+v", p)
	}
}

// testMovesTouchChanged: a move, a merge and a split advance changed_at of every post
// they carry to another board or thread, so the search indexer's catch-up (which reads
// PostsChangedSince) redoes a reindex it lost. A pin or a rename leaves it alone.
func testMovesTouchChanged(t *testing.T, s ForumStore) {
	ctx := context.Background()
	u := newUser(t, s, "alice")
	b1, b2 := newBoard(t, s, "one", 1), newBoard(t, s, "two", 2)
	th, op := newThread(t, s, b1, u, "A", at(1))
	r := reply(t, s, th, u, "a2", at(2))
	other, oop := newThread(t, s, b2, u, "B", at(3))

	changed := func(since time.Time) map[int64]time.Time {
		t.Helper()
		ps, err := s.PostsChangedSince(ctx, since, 0, 100)
		must(t, err)
		out := map[int64]time.Time{}
		for _, p := range ps {
			out[p.ID] = p.ChangedAt
		}
		return out
	}
	yes := true
	_, err := s.UpdateThread(ctx, th.ID, forum.ThreadPatch{Pinned: &yes, At: at(5)})
	must(t, err)
	if got := changed(at(4)); len(got) != 0 {
		t.Fatalf("a pin changed posts: %v", got)
	}

	_, err = s.UpdateThread(ctx, th.ID, forum.ThreadPatch{BoardID: &b2.ID, At: at(10)})
	must(t, err)
	if got := changed(at(9)); len(got) != 2 || !got[op.ID].Equal(at(10)) || !got[r.ID].Equal(at(10)) {
		t.Fatalf("after a move, changed since the move: %v (want posts %d and %d at %v)", got, op.ID, r.ID, at(10))
	}

	// Merge B into A, then split its post off again.
	must(t, s.RelocatePosts(ctx, th, other.ID, []forum.Relocation{{PostID: oop.ID, Seq: 3, Path: forum.PathSegment(3)}}, at(20)))
	if got := changed(at(19)); len(got) != 1 || !got[oop.ID].Equal(at(20)) {
		t.Fatalf("after a merge, changed since it: %v (want post %d)", got, oop.ID)
	}
	nt := &forum.Thread{BoardID: b1.ID, Title: "分出", AuthorID: u.ID, CreatedAt: at(30), LastActivityAt: at(30)}
	must(t, s.RelocatePosts(ctx, nt, th.ID, []forum.Relocation{{PostID: oop.ID, Seq: 1, Path: forum.PathSegment(1)}}, at(30)))
	if got := changed(at(29)); len(got) != 1 || !got[oop.ID].Equal(at(30)) {
		t.Fatalf("after a split, changed since it: %v (want post %d)", got, oop.ID)
	}
}
