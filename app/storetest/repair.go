package storetest

import (
	"context"
	"slices"
	"testing"

	"jiayuan/app/forum"
)

// RepairStore is what the repair suite needs: the forum, and the repair's own reads and
// conditional writes.
type RepairStore interface {
	ForumStore
	forum.RepairStore
}

// Repair checks an engine's forum.RepairStore, through forum.Repair.
func Repair(t *testing.T, open func(*testing.T) RepairStore) {
	tests[RepairStore]{
		{"Repair", testRepair},
	}.run(t, open)
}

// testRepair corrupts counters with direct writes, as a crash between two writes of a
// store without transactions would leave them, and checks that forum.Repair puts them
// right, reports the seq gaps without renumbering, and that a second run changes nothing.
func testRepair(t *testing.T, s RepairStore) {
	ctx := context.Background()
	u := newUser(t, s, "fixer")
	one, two := newBoard(t, s, "one", 1), newBoard(t, s, "two", 2)
	a, _ := newThread(t, s, one, u, "A", at(1))
	a2 := reply(t, s, a, u, "a2", at(2))
	a3 := reply(t, s, a, u, "a3", at(3))
	newThread(t, s, one, u, "B", at(4))
	c, _ := newThread(t, s, two, u, "C", at(5))
	reply(t, s, c, u, "c2", at(6))
	// Split a2 off into board two: thread A is left with seqs 1 and 3.
	split := &forum.Thread{BoardID: two.ID, Title: "A2", AuthorID: u.ID, CreatedAt: at(7), LastActivityAt: at(2)}
	must(t, s.RelocatePosts(ctx, split, a.ID, []forum.Relocation{{PostID: a2.ID, Seq: 1, Path: forum.PathSegment(1)}}, at(7)))
	healthy := repair(t, s, false)
	if healthy.Changed() || len(healthy.ThreadFixes)+len(healthy.BoardFixes) != 0 {
		t.Fatalf("a healthy store needed fixes: %+v", healthy)
	}

	// A crash between two seq allocations and their inserts, counters bumped twice.
	a, _ = s.ThreadByID(ctx, a.ID)
	good := forum.ThreadCounts{ReplyCount: a.ReplyCount, LastSeq: a.LastSeq, LastActivityAt: a.LastActivityAt}
	bad := forum.ThreadCounts{ReplyCount: 99, LastSeq: 5, LastActivityAt: at(500)}
	setThread(t, s, a.ID, good, bad)
	if ok, err := s.SetThreadCounts(ctx, a.ID, good, good); err != nil || ok {
		t.Fatalf("SetThreadCounts wrote over counters that were not as given: %v %v", ok, err)
	}
	b1, _ := s.BoardByID(ctx, one.ID)
	boardGood := forum.BoardCounts{ThreadCount: b1.ThreadCount, PostCount: b1.PostCount, LastActivityAt: b1.LastActivityAt}
	if boardGood.ThreadCount != 2 || boardGood.PostCount != 3 || !boardGood.LastActivityAt.Equal(at(4)) {
		t.Fatalf("board one before the corruption: %+v", boardGood)
	}
	ok, err := s.SetBoardCounts(ctx, one.ID, boardGood, forum.BoardCounts{ThreadCount: 0, PostCount: 70})
	must(t, err)
	if !ok {
		t.Fatal("SetBoardCounts did not write over the counters it was given")
	}
	if ok, err := s.SetBoardCounts(ctx, one.ID, boardGood, boardGood); err != nil || ok {
		t.Fatalf("SetBoardCounts wrote over counters that were not as given: %v %v", ok, err)
	}

	dry := repair(t, s, true)
	if !dry.Changed() || len(dry.ThreadFixes) != 1 || len(dry.BoardFixes) != 1 {
		t.Fatalf("dry run: %+v", dry)
	}
	if now, _ := s.ThreadByID(ctx, a.ID); now.ReplyCount != 99 {
		t.Fatalf("a dry run wrote: reply_count %d", now.ReplyCount)
	}

	rep := repair(t, s, false)
	want := forum.ThreadCounts{ReplyCount: 1, LastSeq: 5, LastActivityAt: at(3)}
	if len(rep.ThreadFixes) != 1 || rep.ThreadFixes[0].ID != a.ID || rep.ThreadFixes[0].Skipped ||
		!sameCounts(rep.ThreadFixes[0].Was, bad) || !sameCounts(rep.ThreadFixes[0].Now, want) {
		t.Fatalf("thread fixes: %+v", rep.ThreadFixes)
	}
	if bf := rep.BoardFixes; len(bf) != 1 || bf[0].Slug != "one" || bf[0].Skipped || bf[0].Was.PostCount != 70 ||
		bf[0].Now.ThreadCount != 2 || bf[0].Now.PostCount != 3 || !bf[0].Now.LastActivityAt.Equal(at(4)) {
		t.Fatalf("board fixes: %+v", rep.BoardFixes)
	}
	wantGaps := []forum.SeqGap{{ThreadID: a.ID, From: 2, To: 2}, {ThreadID: a.ID, From: 4, To: 5}}
	if !slices.Equal(rep.Gaps, wantGaps) {
		t.Fatalf("gaps %+v, want %+v", rep.Gaps, wantGaps)
	}
	got, _ := s.ThreadByID(ctx, a.ID)
	if got.ReplyCount != 1 || got.LastSeq != 5 || !got.LastActivityAt.Equal(at(3)) {
		t.Fatalf("thread after the repair: %+v", got)
	}
	b1, _ = s.BoardByID(ctx, one.ID)
	if b1.ThreadCount != 2 || b1.PostCount != 3 || !b1.LastActivityAt.Equal(at(4)) {
		t.Fatalf("board after the repair: %+v", b1)
	}
	// The posts kept their seqs, and the gap's seqs are never handed out.
	if p, _ := s.PostByID(ctx, a3.ID); p.Seq != 3 {
		t.Fatalf("a3 renumbered to %d", p.Seq)
	}
	if p := reply(t, s, a, u, "a6", at(8)); p.Seq != 6 {
		t.Fatalf("the next reply got seq %d, want 6", p.Seq)
	}

	again := repair(t, s, false)
	if again.Changed() || len(again.ThreadFixes)+len(again.BoardFixes)+len(again.EmptyThreads) != 0 {
		t.Fatalf("a second run changed things: %+v", again)
	}
	if !slices.Equal(again.Gaps, wantGaps) {
		t.Fatalf("second run gaps %+v", again.Gaps)
	}
}

func repair(t *testing.T, s forum.RepairStore, dryRun bool) *forum.RepairReport {
	t.Helper()
	rep, err := forum.Repair(context.Background(), s, dryRun, at(1000))
	must(t, err)
	return rep
}

func setThread(t *testing.T, s forum.RepairStore, id int64, was, now forum.ThreadCounts) {
	t.Helper()
	ok, err := s.SetThreadCounts(context.Background(), id, was, now)
	must(t, err)
	if !ok {
		t.Fatalf("SetThreadCounts(%d) did not write over %+v", id, was)
	}
}

func sameCounts(a, b forum.ThreadCounts) bool {
	return a.ReplyCount == b.ReplyCount && a.LastSeq == b.LastSeq && a.LastActivityAt.Equal(b.LastActivityAt)
}
