// Package storetest is the conformance suite every storage engine must pass: the same
// tests run against SQLite and against MongoDB (FerretDB in the test binary, or a real
// server when JIAYUAN_TEST_MONGODB_URI is set).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/notify"
	"jiayuan/app/ratelimit"
	"jiayuan/app/records"
	"jiayuan/policy"
)

// Store is everything an engine provides.
type Store interface {
	accounts.Store
	forum.Store
	policy.Store
	notify.Store
	records.Store
	ratelimit.Store
	forum.RepairStore
	Ping(ctx context.Context) error
	ImportThread(ctx context.Context, t *forum.Thread, posts []*forum.Post) error
	ThreadChanges
}

// Run runs the whole suite. open must return a fresh, empty store for each call and
// drop it when the test ends (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, Store)
	}{
		{"Users", testUsers},
		{"SessionsAndTokens", testSessionsAndTokens},
		{"Roles", testRoles},
		{"Boards", testBoards},
		{"CreateThread", testCreateThread},
		{"CreatePost", testCreatePost},
		{"PostsPaging", testPostsPaging},
		{"EditAndDelete", testEditAndDelete},
		{"ThreadOrderAndCursor", testThreadOrder},
		{"ConcurrentReplies", testConcurrentReplies},
		{"ImportThread", testImportThread},
		{"TextVerbatim", testTextVerbatim},
		{"Notifications", testNotifications},
		{"NotificationOnce", testNotificationOnce},
		{"NotifyCheckpoint", testNotifyCheckpoint},
		{"PostsChangedSince", testPostsChanged},
		{"ThreadPostsChangedSince", testThreadChanges},
		{"UsersAdmin", testUsersAdmin},
		{"BoardUpdate", testBoardUpdate},
		{"ThreadPatch", testThreadPatch},
		{"RelocatePosts", testRelocatePosts},
		{"MovesTouchChanged", testMovesTouchChanged},
		{"HeldPosts", testHeldPosts},
		{"Records", testRecords},
		{"AccessLists", testAccessLists},
		{"ConfusableUsernames", testConfusableUsernames},
		{"RateCounters", testRateCounters},
		{"ConcurrentRateCounters", testConcurrentRateCounters},
		{"Repair", testRepair},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// now is a millisecond-truncated UTC time, as the domain always passes.
var base = time.Date(2026, 7, 1, 8, 30, 0, 0, time.UTC)

func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func isNotFound(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("%s: got %v, want a not-found error", what, err)
	}
}

func newUser(t *testing.T, s Store, name string) *accounts.User {
	t.Helper()
	u := &accounts.User{Username: name, DisplayName: "显示" + name, PasswordHash: "hash-" + name, CreatedAt: at(0)}
	must(t, s.CreateUser(context.Background(), u))
	return u
}

func newBoard(t *testing.T, s Store, slug string, pos int) *forum.Board {
	t.Helper()
	b := &forum.Board{Slug: slug, Name: "家·" + slug, NameHant: "家·繁" + slug, NameEn: "Board " + slug,
		Description: "描述", DescriptionHant: "描述繁", DescriptionEn: "desc", Position: pos, CreatedAt: at(0)}
	must(t, s.CreateBoard(context.Background(), b))
	return b
}

func newThread(t *testing.T, s Store, b *forum.Board, author *accounts.User, title string, when time.Time) (*forum.Thread, *forum.Post) {
	t.Helper()
	th := &forum.Thread{BoardID: b.ID, Title: title, AuthorID: author.ID, CreatedAt: when, LastActivityAt: when}
	p := &forum.Post{AuthorID: author.ID, Body: "正文 " + title, HTML: "<p>正文 " + title + "</p>", CreatedAt: when}
	must(t, s.CreateThread(context.Background(), th, p))
	return th, p
}

func reply(t *testing.T, s Store, th *forum.Thread, author *accounts.User, body string, when time.Time) *forum.Post {
	t.Helper()
	p := &forum.Post{ThreadID: th.ID, AuthorID: author.ID, Body: body, HTML: "<p>" + body + "</p>", CreatedAt: when}
	must(t, s.CreatePost(context.Background(), p))
	return p
}

func testUsers(t *testing.T, s Store) {
	ctx := context.Background()
	if n, err := s.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("CountUsers on an empty store = %d, %v", n, err)
	}
	a, b := newUser(t, s, "alice"), newUser(t, s, "bob")
	if a.ID <= 0 || b.ID <= 0 || a.ID == b.ID {
		t.Fatalf("ids %d %d", a.ID, b.ID)
	}
	got, err := s.UserByID(ctx, a.ID)
	must(t, err)
	if *got != *a || !got.CreatedAt.Equal(at(0)) {
		t.Fatalf("UserByID = %+v, want %+v", got, a)
	}
	got, err = s.UserByUsername(ctx, "bob")
	must(t, err)
	if got.ID != b.ID || got.PasswordHash != "hash-bob" {
		t.Fatalf("UserByUsername = %+v", got)
	}
	_, err = s.UserByID(ctx, 987654)
	isNotFound(t, err, "UserByID(missing)")
	_, err = s.UserByUsername(ctx, "nobody")
	isNotFound(t, err, "UserByUsername(missing)")
	if err := s.CreateUser(ctx, &accounts.User{Username: "alice", DisplayName: "x", PasswordHash: "x", CreatedAt: at(1)}); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("duplicate username: %v, want a conflict", err)
	}
	m, err := s.UsersByIDs(ctx, []int64{a.ID, b.ID, a.ID, 987654})
	must(t, err)
	if len(m) != 2 || m[a.ID].Username != "alice" || m[b.ID].Username != "bob" {
		t.Fatalf("UsersByIDs = %v", m)
	}
	if m, err := s.UsersByIDs(ctx, nil); err != nil || len(m) != 0 {
		t.Fatalf("UsersByIDs(nil) = %v, %v", m, err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 2 {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}
}

func testSessionsAndTokens(t *testing.T, s Store) {
	ctx := context.Background()
	u := newUser(t, s, "carol")
	sess := &accounts.Session{TokenHash: "h1", UserID: u.ID, CSRFToken: "c1", CreatedAt: at(0), ExpiresAt: at(60)}
	must(t, s.CreateSession(ctx, sess))
	got, err := s.SessionByHash(ctx, "h1")
	must(t, err)
	if got.UserID != u.ID || got.CSRFToken != "c1" || !got.ExpiresAt.Equal(at(60)) || !got.CreatedAt.Equal(at(0)) {
		t.Fatalf("SessionByHash = %+v", got)
	}
	must(t, s.DeleteSession(ctx, "h1"))
	_, err = s.SessionByHash(ctx, "h1")
	isNotFound(t, err, "deleted session")
	must(t, s.DeleteSession(ctx, "never-existed"))

	tok := &accounts.Token{UserID: u.ID, Name: "脚本", TokenHash: "th", CreatedAt: at(2)}
	must(t, s.CreateToken(ctx, tok))
	if tok.ID <= 0 {
		t.Fatalf("token id %d", tok.ID)
	}
	gt, err := s.TokenByHash(ctx, "th")
	must(t, err)
	if gt.UserID != u.ID || gt.Name != "脚本" || !gt.CreatedAt.Equal(at(2)) {
		t.Fatalf("TokenByHash = %+v", gt)
	}
	_, err = s.TokenByHash(ctx, "nope")
	isNotFound(t, err, "TokenByHash(missing)")
}

func testRoles(t *testing.T, s Store) {
	ctx := context.Background()
	u, v := newUser(t, s, "dave"), newUser(t, s, "erin")
	a := policy.Assignment{UserID: u.ID, Role: "moderator", Domain: "board:xinyu"}
	must(t, s.AddRole(ctx, a))
	must(t, s.AddRole(ctx, a)) // idempotent
	must(t, s.AddRole(ctx, policy.Assignment{UserID: v.ID, Role: "admin", Domain: "*"}))
	rs, err := s.ListRoles(ctx)
	must(t, err)
	if len(rs) != 2 {
		t.Fatalf("ListRoles = %v, want 2", rs)
	}
	must(t, s.RemoveRole(ctx, a))
	rs, err = s.ListRoles(ctx)
	must(t, err)
	if len(rs) != 1 || rs[0].UserID != v.ID || rs[0].Role != "admin" || rs[0].Domain != "*" {
		t.Fatalf("after RemoveRole: %v", rs)
	}
}

func testBoards(t *testing.T, s Store) {
	ctx := context.Background()
	b2 := newBoard(t, s, "second", 2)
	b1 := newBoard(t, s, "first", 1)
	if err := s.CreateBoard(ctx, &forum.Board{Slug: "first", Name: "x", Position: 3, CreatedAt: at(0)}); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("duplicate slug: %v", err)
	}
	got, err := s.BoardBySlug(ctx, "second")
	must(t, err)
	if got.ID != b2.ID || got.NameHant != "家·繁second" || got.NameEn != "Board second" || got.DescriptionHant != "描述繁" || !got.LastActivityAt.IsZero() || !got.CreatedAt.Equal(at(0)) {
		t.Fatalf("BoardBySlug = %+v", got)
	}
	got, err = s.BoardByID(ctx, b1.ID)
	must(t, err)
	if got.Slug != "first" {
		t.Fatalf("BoardByID = %+v", got)
	}
	_, err = s.BoardBySlug(ctx, "nope")
	isNotFound(t, err, "BoardBySlug(missing)")
	_, err = s.BoardByID(ctx, 98765)
	isNotFound(t, err, "BoardByID(missing)")
	all, err := s.ListBoards(ctx)
	must(t, err)
	if len(all) != 2 || all[0].Slug != "first" || all[1].Slug != "second" {
		t.Fatalf("ListBoards order: %v", all)
	}
}

func testCreateThread(t *testing.T, s Store) {
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

func testCreatePost(t *testing.T, s Store) {
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

func testPostsPaging(t *testing.T, s Store) {
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
	none, err := s.ListPosts(ctx, 424242, 0, 10)
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("posts of a missing thread: %v", none)
	}
}

func testEditAndDelete(t *testing.T, s Store) {
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

func testThreadOrder(t *testing.T, s Store) {
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

func testConcurrentReplies(t *testing.T, s Store) {
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

func testImportThread(t *testing.T, s Store) {
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

func testTextVerbatim(t *testing.T, s Store) {
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

func testNotifications(t *testing.T, s Store) {
	ctx := context.Background()
	a, b := newUser(t, s, "quinn"), newUser(t, s, "rupert")
	var ids []int64
	for i := 0; i < 5; i++ {
		n := &notify.Notification{UserID: a.ID, Kind: notify.KindReply, ActorID: b.ID, ThreadID: 7, PostID: int64(100 + i), PostSeq: int64(2 + i), CreatedAt: at(i)}
		must(t, s.CreateNotification(ctx, n))
		ids = append(ids, n.ID)
	}
	must(t, s.CreateNotification(ctx, &notify.Notification{UserID: b.ID, Kind: notify.KindMention, ActorID: a.ID, ThreadID: 7, PostID: 99, PostSeq: 1, CreatedAt: at(0)}))
	page, err := s.ListNotifications(ctx, a.ID, 0, 3)
	must(t, err)
	if len(page) != 3 || page[0].ID != ids[4] || page[2].ID != ids[2] || page[0].PostSeq != 6 || page[0].Kind != notify.KindReply || !page[0].CreatedAt.Equal(at(4)) || page[0].Read {
		t.Fatalf("first page: %+v", page)
	}
	page, err = s.ListNotifications(ctx, a.ID, page[2].ID, 3)
	must(t, err)
	if len(page) != 2 || page[1].ID != ids[0] {
		t.Fatalf("second page: %+v", page)
	}
	if n, err := s.CountUnread(ctx, a.ID); err != nil || n != 5 {
		t.Fatalf("unread %d %v", n, err)
	}
	must(t, s.MarkRead(ctx, a.ID, []int64{ids[0], ids[1]}))
	must(t, s.MarkRead(ctx, b.ID, []int64{ids[2]})) // not b's: no effect
	if n, _ := s.CountUnread(ctx, a.ID); n != 3 {
		t.Fatalf("unread after marking two: %d", n)
	}
	must(t, s.MarkRead(ctx, a.ID, nil))
	if n, _ := s.CountUnread(ctx, a.ID); n != 0 {
		t.Fatalf("unread after marking all: %d", n)
	}
	if n, _ := s.CountUnread(ctx, b.ID); n != 1 {
		t.Fatalf("another user's notifications changed: %d", n)
	}
}

func testPostsChanged(t *testing.T, s Store) {
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
