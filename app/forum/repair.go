package forum

import (
	"context"
	"time"
)

// A thread's and a board's counters are derived from the posts. Both engines keep them
// with atomic increments; SQLite does so in the transaction of each write, and MongoDB
// in one where the deployment has transactions. Where it has none (a standalone server)
// a crash between two writes can leave them behind, and Repair recomputes them.

// ThreadCounts are the values of a thread derived from its posts.
type ThreadCounts struct {
	ReplyCount     int64     // posts after the first, deleted and held ones included
	LastSeq        int64     // the last seq handed out; never goes back
	LastActivityAt time.Time // when its newest post was written
}

// BoardCounts are the values of a board derived from its threads and their posts.
type BoardCounts struct {
	ThreadCount    int64
	PostCount      int64 // deleted and held posts included
	LastActivityAt time.Time
}

// RepairStore is what the repair reads and writes.
type RepairStore interface {
	ListBoards(ctx context.Context) ([]*Board, error)
	// EachThread calls fn with every thread.
	EachThread(ctx context.Context, fn func(*Thread) error) error
	// EachPostSeq calls fn with every post, held and deleted ones included, in
	// (thread, seq) order.
	EachPostSeq(ctx context.Context, fn func(threadID, seq int64, createdAt time.Time) error) error
	// SetThreadCounts writes now over a thread's counters if they still are was, and
	// says whether it did: a reply that came in since they were read wins.
	SetThreadCounts(ctx context.Context, id int64, was, now ThreadCounts) (bool, error)
	// SetBoardCounts is SetThreadCounts for a board.
	SetBoardCounts(ctx context.Context, id int64, was, now BoardCounts) (bool, error)
	// DeleteEmptyThread deletes a thread if it has no post, and says whether it did.
	DeleteEmptyThread(ctx context.Context, id int64) (bool, error)
}

// ThreadFix is a thread whose counters were (or, on a dry run, would be) corrected.
type ThreadFix struct {
	ID       int64
	Was, Now ThreadCounts
	Skipped  bool // changed by a write while the repair ran: run it again
}

// BoardFix is a board whose counters were (or would be) corrected.
type BoardFix struct {
	ID       int64
	Slug     string
	Was, Now BoardCounts
	Skipped  bool
}

// SeqGap is a run of seqs of a thread that no post has: From to To, both included.
type SeqGap struct {
	ThreadID, From, To int64
}

// RepairReport is what a repair found and did.
type RepairReport struct {
	DryRun                 bool
	Boards, Threads, Posts int // how many were read
	ThreadFixes            []ThreadFix
	BoardFixes             []BoardFix
	// EmptyThreads have no post at all (a crash between a thread and its opening
	// post); they are deleted.
	EmptyThreads []int64
	// Gaps are seqs no post has. They are reported, never closed by renumbering: a
	// seq is a post's address (#p{seq}, ?after=, reply_to_seq, the tree paths), so
	// later posts keep theirs. Nothing waits for a missing seq (catch-up and the live
	// feed read "every post after N"), and since last_seq never goes back, a missing
	// seq is never handed out again. A split leaves gaps in the thread it took
	// replies from, and a crash between a reply's seq and its insert leaves one.
	Gaps []SeqGap
	// OrphanPosts belong to no thread that exists; they are counted, not touched.
	OrphanPosts int
}

// Changed says whether the repair changed (or, on a dry run, would change) anything.
func (r *RepairReport) Changed() bool {
	for _, f := range r.ThreadFixes {
		if !f.Skipped {
			return true
		}
	}
	for _, f := range r.BoardFixes {
		if !f.Skipped {
			return true
		}
	}
	return len(r.EmptyThreads) > 0
}

// emptyGrace is how old an empty thread must be to be deleted: a younger one may be a
// thread whose opening post is being written right now.
const emptyGrace = 10 * time.Minute

type tally struct {
	posts   int64
	lastSeq int64
	last    time.Time
}

// Repair recomputes every thread's and board's counters from the posts, deletes
// threads that have no post, and reports seq gaps. On a dry run it writes nothing and
// reports what it would change. Running it again changes nothing.
//
// It reads the counters before the posts and writes each fix only if the counters are
// still as read, so a write that lands meanwhile is not overwritten (its fix is
// skipped and reported). Against MongoDB without transactions, a reply between its
// seq and its insert at that very moment can still be counted one short; a second run
// sets it right. now is the time the run starts.
func Repair(ctx context.Context, st RepairStore, dryRun bool, now time.Time) (*RepairReport, error) {
	rep := &RepairReport{DryRun: dryRun}
	boards, err := st.ListBoards(ctx)
	if err != nil {
		return nil, err
	}
	var threads []*Thread
	if err := st.EachThread(ctx, func(t *Thread) error { threads = append(threads, t); return nil }); err != nil {
		return nil, err
	}
	tallies := make(map[int64]*tally, len(threads))
	for _, t := range threads {
		tallies[t.ID] = nil
	}
	var cur *tally
	curID := int64(-1)
	err = st.EachPostSeq(ctx, func(threadID, seq int64, created time.Time) error {
		rep.Posts++
		if threadID != curID {
			curID, cur = threadID, nil
			if _, ok := tallies[threadID]; ok {
				cur = &tally{}
				tallies[threadID] = cur
			}
		}
		if cur == nil {
			rep.OrphanPosts++
			return nil
		}
		if seq > cur.lastSeq+1 {
			rep.Gaps = append(rep.Gaps, SeqGap{ThreadID: threadID, From: cur.lastSeq + 1, To: seq - 1})
		}
		cur.posts++
		cur.lastSeq = seq
		if created.After(cur.last) {
			cur.last = created
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Boards, rep.Threads = len(boards), len(threads)
	want := make(map[int64]*BoardCounts, len(boards))
	for _, b := range boards {
		want[b.ID] = &BoardCounts{}
	}
	for _, t := range threads {
		have := ThreadCounts{ReplyCount: t.ReplyCount, LastSeq: t.LastSeq, LastActivityAt: t.LastActivityAt}
		tl := tallies[t.ID]
		if tl == nil {
			if now.Sub(t.CreatedAt) >= emptyGrace {
				gone := dryRun
				if !dryRun {
					if gone, err = st.DeleteEmptyThread(ctx, t.ID); err != nil {
						return nil, err
					}
				}
				if gone {
					rep.EmptyThreads = append(rep.EmptyThreads, t.ID)
					continue
				}
			}
			// Too young to tell from a thread being created: counted, left as it is.
			countOn(want[t.BoardID], 0, t.LastActivityAt)
			continue
		}
		fix := ThreadCounts{ReplyCount: tl.posts - 1, LastSeq: max(t.LastSeq, tl.lastSeq), LastActivityAt: tl.last}
		if fix.LastSeq > tl.lastSeq {
			rep.Gaps = append(rep.Gaps, SeqGap{ThreadID: t.ID, From: tl.lastSeq + 1, To: fix.LastSeq})
		}
		if !sameThread(have, fix) {
			f := ThreadFix{ID: t.ID, Was: have, Now: fix}
			if !dryRun {
				ok, err := st.SetThreadCounts(ctx, t.ID, have, fix)
				if err != nil {
					return nil, err
				}
				f.Skipped = !ok
			}
			rep.ThreadFixes = append(rep.ThreadFixes, f)
		}
		countOn(want[t.BoardID], tl.posts, fix.LastActivityAt)
	}
	for _, b := range boards {
		have := BoardCounts{ThreadCount: b.ThreadCount, PostCount: b.PostCount, LastActivityAt: b.LastActivityAt}
		fix := *want[b.ID]
		if have.ThreadCount == fix.ThreadCount && have.PostCount == fix.PostCount && have.LastActivityAt.Equal(fix.LastActivityAt) {
			continue
		}
		f := BoardFix{ID: b.ID, Slug: b.Slug, Was: have, Now: fix}
		if !dryRun {
			ok, err := st.SetBoardCounts(ctx, b.ID, have, fix)
			if err != nil {
				return nil, err
			}
			f.Skipped = !ok
		}
		rep.BoardFixes = append(rep.BoardFixes, f)
	}
	return rep, nil
}

// countOn counts a thread with posts posts, last active at last, on its board (nil
// for a thread whose board is gone).
func countOn(bc *BoardCounts, posts int64, last time.Time) {
	if bc == nil {
		return
	}
	bc.ThreadCount++
	bc.PostCount += posts
	if last.After(bc.LastActivityAt) {
		bc.LastActivityAt = last
	}
}

func sameThread(a, b ThreadCounts) bool {
	return a.ReplyCount == b.ReplyCount && a.LastSeq == b.LastSeq && a.LastActivityAt.Equal(b.LastActivityAt)
}
