package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"jiayuan/app/forum"
)

// ThreadChanges is the per-thread list of changed posts a returning live socket reads.
type ThreadChanges interface {
	ThreadPostsChangedSince(ctx context.Context, threadID, upTo int64, since time.Time, limit int) ([]*forum.Post, error)
}

// ChangeLogStore is what the change-log suite needs: the forum, and its per-thread list of
// changed posts.
type ChangeLogStore interface {
	ForumStore
	ThreadChanges
}

// ChangeLog checks an engine's per-thread list of changed posts (web.ChangeLog).
func ChangeLog(t *testing.T, open func(*testing.T) ChangeLogStore) {
	tests[ChangeLogStore]{
		{"ThreadPostsChangedSince", testThreadChanges},
	}.run(t, open)
}

// testThreadChanges: only the thread's own posts, at or below upTo, changed after since
// and after they were written, in the order they changed; posts merely written after
// since are not changes, and what happens in other threads does not count.
func testThreadChanges(t *testing.T, s ChangeLogStore) {
	ctx := context.Background()
	u, b := newUser(t, s, "thea"), newBoard(t, s, "threadchanges", 1)
	th, p1 := newThread(t, s, b, u, "本帖", at(1))
	p2 := reply(t, s, th, u, "二", at(2))
	p3 := reply(t, s, th, u, "三", at(3))
	reply(t, s, th, u, "四", at(4)) // never changed
	other, o1 := newThread(t, s, b, u, "别帖", at(1))
	reply(t, s, other, u, "别二", at(2))
	must(t, s.SetPostHeld(ctx, p3.ID, true, at(3)))
	must(t, s.UpdatePostBody(ctx, p1.ID, "改", "改", at(6)))
	must(t, s.SetPostDeleted(ctx, p2.ID, true, at(7)))
	must(t, s.SetPostHeld(ctx, p3.ID, false, at(8)))
	must(t, s.UpdatePostBody(ctx, o1.ID, "别改", "别改", at(9)))
	p5 := reply(t, s, th, u, "五", at(10))
	must(t, s.UpdatePostBody(ctx, p5.ID, "五改", "五改", at(11)))

	ids := func(ps []*forum.Post) string {
		out := ""
		for _, p := range ps {
			out += fmt.Sprint(p.Seq, " ")
		}
		return out
	}
	for _, c := range []struct {
		since       time.Time
		upTo        int64
		limit       int
		want, about string
	}{
		{at(0), 4, 10, "1 2 3 ", "posts written after since are not changes"},
		{at(5), 4, 10, "1 2 3 ", "edited, deleted, approved"},
		{at(0), 4, 2, "1 2 ", "the limit counts changes of this thread"},
		{at(0), 4, 1, "1 ", "the limit counts only changes"},
		{at(7), 4, 10, "3 ", "since excludes earlier changes"},
		{at(0), 5, 10, "1 2 3 5 ", "upTo includes its seq"},
		{time.Time{}, 4, 10, "1 2 3 ", "since zero"},
	} {
		ps, err := s.ThreadPostsChangedSince(ctx, th.ID, c.upTo, c.since, c.limit)
		must(t, err)
		if got := ids(ps); got != c.want {
			t.Errorf("%s: seqs %q, want %q", c.about, got, c.want)
		}
	}
	ps, err := s.ThreadPostsChangedSince(ctx, th.ID, 4, at(5), 10)
	must(t, err)
	if len(ps) == 3 && (!ps[1].Deleted || ps[0].Body != "改" || ps[2].Held) {
		t.Errorf("posts not as they are now: %+v", ps)
	}
}
