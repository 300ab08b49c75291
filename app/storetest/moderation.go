package storetest

import (
	"context"
	"errors"
	"testing"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/records"
)

func testUsersAdmin(t *testing.T, s Store) {
	ctx := context.Background()
	a, _ := newUser(t, s, "alice"), newUser(t, s, "alan")
	newUser(t, s, "bob")
	must(t, s.CreateSession(ctx, &accounts.Session{TokenHash: "h1", UserID: a.ID, CSRFToken: "c", CreatedAt: at(0), ExpiresAt: at(600)}))

	got, err := s.ListUsers(ctx, "al", 0, 10)
	must(t, err)
	if len(got) != 2 || got[0].Username != "alice" || got[1].Username != "alan" {
		t.Fatalf("ListUsers(al) = %v", names(got))
	}
	got, err = s.ListUsers(ctx, "显示b", 0, 10)
	must(t, err)
	if len(got) != 1 || got[0].Username != "bob" {
		t.Fatalf("ListUsers by display name = %v", names(got))
	}
	got, err = s.ListUsers(ctx, "", a.ID, 1)
	must(t, err)
	if len(got) != 1 || got[0].Username != "alan" {
		t.Fatalf("ListUsers paging = %v", names(got))
	}
	for _, odd := range []string{"%", "_", ".*", `{"$gt":""}`} {
		got, err = s.ListUsers(ctx, odd, 0, 10)
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("ListUsers(%q) matched %v: the prefix must be literal", odd, names(got))
		}
	}

	must(t, s.SetUserBanned(ctx, a.ID, true))
	u, err := s.UserByID(ctx, a.ID)
	must(t, err)
	if !u.Banned {
		t.Fatal("SetUserBanned did not ban")
	}
	_, err = s.SessionByHash(ctx, "h1")
	isNotFound(t, err, "a banned user's session")
	must(t, s.SetUserBanned(ctx, a.ID, false))
	if u, _ = s.UserByID(ctx, a.ID); u.Banned {
		t.Fatal("unban did not stick")
	}
	isNotFound(t, s.SetUserBanned(ctx, 987654, true), "SetUserBanned(missing)")

	must(t, s.CreateSession(ctx, &accounts.Session{TokenHash: "h2", UserID: a.ID, CSRFToken: "c", CreatedAt: at(0), ExpiresAt: at(600)}))
	must(t, s.SetPasswordHash(ctx, a.ID, "new-hash"))
	if u, _ = s.UserByID(ctx, a.ID); u.PasswordHash != "new-hash" {
		t.Fatalf("password hash = %q", u.PasswordHash)
	}
	_, err = s.SessionByHash(ctx, "h2")
	isNotFound(t, err, "a session after a password reset")
	isNotFound(t, s.SetPasswordHash(ctx, 987654, "x"), "SetPasswordHash(missing)")
}

func names(us []*accounts.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Username
	}
	return out
}

func testBoardUpdate(t *testing.T, s Store) {
	ctx := context.Background()
	b := newBoard(t, s, "xinyu", 1)
	if b.ReadAccess != forum.AccessPublic || b.PostAccess != forum.AccessStaff {
		t.Fatalf("default access = %q/%q", b.ReadAccess, b.PostAccess)
	}
	b.Name, b.NameHant, b.NameEn, b.Description, b.Position = "新名", "新名繁", "New", "新描述", 7
	b.Archived, b.ReadAccess, b.PostAccess = true, "branch:一支部", forum.AccessModerators
	must(t, s.UpdateBoard(ctx, b))
	got, err := s.BoardBySlug(ctx, "xinyu")
	must(t, err)
	if got.Name != "新名" || got.NameHant != "新名繁" || got.NameEn != "New" || got.Description != "新描述" || got.Position != 7 ||
		!got.Archived || got.ReadAccess != "branch:一支部" || got.PostAccess != forum.AccessModerators {
		t.Fatalf("after UpdateBoard: %+v", got)
	}
	isNotFound(t, s.UpdateBoard(ctx, &forum.Board{ID: 987654, ReadAccess: "public", PostAccess: "staff"}), "UpdateBoard(missing)")
}

func testThreadPatch(t *testing.T, s Store) {
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

func testRelocatePosts(t *testing.T, s Store) {
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

func testHeldPosts(t *testing.T, s Store) {
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
}

func testRecords(t *testing.T, s Store) {
	ctx := context.Background()
	type doc struct {
		Text string `json:"text"`
		N    int    `json:"n"`
	}
	var ids []int64
	for i, k1 := range []string{"xinyu", "yanglian", "xinyu", "leyou"} {
		r, err := records.New("report", "", k1, "open", at(i), doc{Text: "举报 " + k1, N: i})
		must(t, err)
		must(t, s.InsertRecord(ctx, r))
		ids = append(ids, r.ID)
	}
	got, err := s.RecordByID(ctx, "report", ids[1])
	must(t, err)
	var d doc
	must(t, got.Decode(&d))
	if d.Text != "举报 yanglian" || d.N != 1 || got.K1 != "yanglian" || got.K2 != "open" || !got.At.Equal(at(1)) {
		t.Fatalf("RecordByID = %+v %+v", got, d)
	}
	_, err = s.RecordByID(ctx, "audit", ids[1])
	isNotFound(t, err, "a record asked for as another kind")

	list, err := s.ListRecords(ctx, "report", records.Filter{K1s: []string{"xinyu", "leyou"}, K2: "open"}, 0, 10)
	must(t, err)
	if len(list) != 3 || list[0].ID != ids[3] || list[2].ID != ids[0] {
		t.Fatalf("ListRecords by board: %d", len(list))
	}
	list, err = s.ListRecords(ctx, "report", records.Filter{}, ids[2], 10)
	must(t, err)
	if len(list) != 2 || list[0].ID != ids[1] {
		t.Fatalf("ListRecords before: %d", len(list))
	}

	// Conditional update: the first resolution wins, the second gets a conflict.
	got.K2, got.At = "resolved", at(9)
	must(t, s.UpdateRecord(ctx, got, "open"))
	got.K2 = "dismissed"
	if err := s.UpdateRecord(ctx, got, "open"); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("second resolution: %v, want a conflict", err)
	}
	if again, _ := s.RecordByID(ctx, "report", got.ID); again.K2 != "resolved" || !again.At.Equal(at(9)) {
		t.Fatalf("after the conflict: %+v", again)
	}
	must(t, s.UpdateRecord(ctx, got, records.Any))
	if list, _ := s.ListRecords(ctx, "report", records.Filter{K2: "open"}, 0, 10); len(list) != 3 {
		t.Fatalf("open reports after one resolved: %d", len(list))
	}
	isNotFound(t, s.UpdateRecord(ctx, &records.Record{ID: 987654, Kind: "report", Doc: []byte("{}")}, records.Any), "UpdateRecord(missing)")

	// Unique keys, and keys that repeat when empty.
	br, _ := records.New("branch", "一支部", "", "", at(0), doc{Text: "一支部"})
	must(t, s.InsertRecord(ctx, br))
	dup, _ := records.New("branch", "一支部", "", "", at(0), doc{})
	if err := s.InsertRecord(ctx, dup); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("a taken key: %v, want a conflict", err)
	}
	other, _ := records.New("wordlist", "一支部", "", "", at(0), doc{})
	must(t, s.InsertRecord(ctx, other))
	byKey, err := s.RecordByKey(ctx, "branch", "一支部")
	must(t, err)
	if byKey.ID != br.ID {
		t.Fatalf("RecordByKey = %d, want %d", byKey.ID, br.ID)
	}
	_, err = s.RecordByKey(ctx, "branch", "二支部")
	isNotFound(t, err, "RecordByKey(missing)")
}
