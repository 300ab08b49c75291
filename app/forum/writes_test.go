package forum_test

import (
	"slices"
	"testing"

	"jiayuan/app/forum"
)

// TestPatchApply: a patch changes only what it names, and a move reports the board it
// leaves; a "move" into the board the thread is in is none.
func TestPatchApply(t *testing.T) {
	yes, title, here, there := true, "新", int64(1), int64(2)
	th := &forum.Thread{BoardID: here, Title: "旧"}
	if from := (forum.ThreadPatch{Pinned: &yes, BoardID: &here}).Apply(th); from != 0 || !th.Pinned || th.Locked || th.Title != "旧" {
		t.Fatalf("pin in place: from %d, thread %+v", from, th)
	}
	if from := (forum.ThreadPatch{Title: &title, BoardID: &there}).Apply(th); from != here || th.BoardID != there || th.Title != "新" || !th.Pinned {
		t.Fatalf("rename and move: from %d, thread %+v", from, th)
	}
}

// TestRelocateCounts: a split into a new thread of another board counts the new
// thread there and carries the posts; a merge within a board moves no post count.
func TestRelocateCounts(t *testing.T) {
	src := &forum.Thread{ID: 7, BoardID: 1}
	moves := []forum.Relocation{{PostID: 10, Seq: 1}, {PostID: 11, Seq: 2}}
	nt := &forum.Thread{BoardID: 2, LastSeq: 9, ReplyCount: 9}
	r := forum.Relocate(src, nt, moves)
	want := []forum.BoardDelta{{BoardID: 2, Threads: 1}, {BoardID: 1, Posts: -2}, {BoardID: 2, Posts: 2}}
	if r.Moved != 2 || r.LastSeq != 2 || nt.LastSeq != 0 || nt.ReplyCount != 0 || !slices.Equal(r.Boards, want) || r.Emptied != (forum.BoardDelta{BoardID: 1, Threads: -1}) {
		t.Fatalf("split: %+v, new thread %+v", r, nt)
	}
	into := &forum.Thread{ID: 8, BoardID: 1, LastSeq: 4}
	r = forum.Relocate(src, into, []forum.Relocation{{PostID: 10, Seq: 5}, {PostID: 11, Seq: 6}})
	if r.LastSeq != 6 || len(r.Boards) != 0 || into.LastSeq != 4 {
		t.Fatalf("merge: %+v, target %+v", r, into)
	}
}
