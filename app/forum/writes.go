package forum

import "time"

// What the engines write for the forum, decided here once for both: where a new or
// moved post goes in its thread (its seq and path), and how each write changes the
// counters of threads and boards. An engine reads what these need and writes what they
// return inside its own transaction, so a value that must be read and written in one
// step (the next seq of a thread) still is.

// BoardDelta is a change of a board's counters: threads and posts added (removed when
// negative), and the last activity moved forward to At (the zero time leaves it).
type BoardDelta struct {
	BoardID        int64
	Threads, Posts int64
	At             time.Time
}

// Place gives p its seq and its path: the path of the post it hangs under (PathPrefix,
// see hang) followed by its own segment.
func (p *Post) Place(seq int64) { p.Seq, p.Path = seq, p.PathPrefix+PathSegment(seq) }

// OpenThread readies a new thread t and its opening post p to be stored (the post is
// seq 1) and returns what they add to the board.
func OpenThread(t *Thread, p *Post) BoardDelta {
	t.LastSeq, t.ReplyCount = 1, 0
	p.Place(1)
	return BoardDelta{BoardID: t.BoardID, Threads: 1, Posts: 1, At: t.LastActivityAt}
}

// AddPost returns what a new reply p adds to the board its thread is in. The thread's
// own counters (the next seq, one more reply) the engine bumps in the same atomic step
// that hands out the seq.
func AddPost(boardID int64, p *Post) BoardDelta {
	return BoardDelta{BoardID: boardID, Posts: 1, At: p.CreatedAt}
}

// ImportThread readies the counters of thread t, bulk-loaded with posts (at least one),
// as if each post had been created one by one, and returns what they add to the board.
// Each post is then placed with PlaceImported.
func ImportThread(t *Thread, posts []*Post) BoardDelta {
	n := int64(len(posts))
	t.LastSeq, t.ReplyCount, t.LastActivityAt = n, n-1, posts[n-1].CreatedAt
	return BoardDelta{BoardID: t.BoardID, Threads: 1, Posts: n, At: t.LastActivityAt}
}

// PlaceImported places posts[i] of a bulk load into thread threadID at seq i+1. A post
// whose ReplyToSeq names an earlier post answers it: that post's id must be set by now.
func PlaceImported(posts []*Post, i int, threadID int64) {
	p := posts[i]
	p.ThreadID, p.ChangedAt = threadID, p.CreatedAt
	p.Place(int64(i + 1))
	if p.ReplyToSeq > 0 && p.ReplyToSeq < p.Seq && p.ReplyTo == 0 {
		p.ReplyTo = posts[p.ReplyToSeq-1].ID
	}
}

// Apply makes the patch's changes to t and returns the board a move takes it out of
// (0 when it stays where it is).
func (p ThreadPatch) Apply(t *Thread) (from int64) {
	if p.Pinned != nil {
		t.Pinned = *p.Pinned
	}
	if p.Locked != nil {
		t.Locked = *p.Locked
	}
	if p.Title != nil {
		t.Title = *p.Title
	}
	if p.BoardID != nil && *p.BoardID != t.BoardID {
		from, t.BoardID = t.BoardID, *p.BoardID
	}
	return from
}

// MoveThread returns what moving thread t, with posts posts (deleted and held ones
// included), out of board from into the board it is now in does to both boards.
func MoveThread(t *Thread, from, posts int64) []BoardDelta {
	return []BoardDelta{
		{BoardID: from, Threads: -1, Posts: -posts},
		{BoardID: t.BoardID, Threads: 1, Posts: posts, At: t.LastActivityAt},
	}
}

// Relocated is what a relocation (a merge or a split) does to the counters.
type Relocated struct {
	Moved   int64        // posts that leave the source: its reply count goes down by as many
	LastSeq int64        // the target's seq counter goes at least this far
	Boards  []BoardDelta // a created target, and the posts changing board
	// Emptied is for the source's board when the source is left with no post and
	// deleted, as the source of a merge is.
	Emptied BoardDelta
}

// Relocate readies the relocation of moves out of thread src into target: a target
// with ID 0 is created, and its counters start at zero (the moved posts then count).
// The target's reply count and last activity follow from the posts it holds after
// the moves, which the engine counts.
func Relocate(src, target *Thread, moves []Relocation) Relocated {
	r := Relocated{Moved: int64(len(moves)), Emptied: BoardDelta{BoardID: src.BoardID, Threads: -1}}
	for _, m := range moves {
		r.LastSeq = max(r.LastSeq, m.Seq)
	}
	if target.ID == 0 {
		target.LastSeq, target.ReplyCount = 0, 0
		r.Boards = append(r.Boards, BoardDelta{BoardID: target.BoardID, Threads: 1, At: target.LastActivityAt})
	}
	if src.BoardID != target.BoardID {
		r.Boards = append(r.Boards, BoardDelta{BoardID: src.BoardID, Posts: -r.Moved}, BoardDelta{BoardID: target.BoardID, Posts: r.Moved})
	}
	return r
}
