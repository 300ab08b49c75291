package storetest

import (
	"context"
	"testing"
	"time"

	"jiayuan/app/forum"
)

// testMovesTouchChanged: a move, a merge and a split advance changed_at of every post
// they carry to another board or thread, so the search indexer's catch-up (which reads
// PostsChangedSince) redoes a reindex it lost. A pin or a rename leaves it alone.
func testMovesTouchChanged(t *testing.T, s Store) {
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
