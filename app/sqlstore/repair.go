package sqlstore

import (
	"context"
	"time"

	"jiayuan/app/forum"
)

var _ forum.RepairStore = (*Store)(nil)

// The reads and conditional writes of `jiayuan repair` (forum.Repair). Every write here
// keeps its counters in the same transaction, so on this engine the repair finds
// nothing to fix unless the database was changed behind the application's back.

// EachThread calls fn with every thread, in id order.
func (s *Store) EachThread(ctx context.Context, fn func(*forum.Thread) error) error {
	return each(ctx, s.r, scanThread, fn, `SELECT `+threadCols+` FROM threads ORDER BY id`)
}

// EachPostSeq calls fn with every post's thread, seq and creation time, in (thread,
// seq) order: a walk of the (thread_id, seq) unique index.
func (s *Store) EachPostSeq(ctx context.Context, fn func(threadID, seq int64, createdAt time.Time) error) error {
	type postSeq struct{ thread, seq, created int64 }
	return each(ctx, s.r, func(row scanner) (p postSeq, err error) {
		return p, row.Scan(&p.thread, &p.seq, &p.created)
	}, func(p postSeq) error { return fn(p.thread, p.seq, fromMS(p.created)) },
		`SELECT thread_id, seq, created_at FROM posts ORDER BY thread_id, seq`)
}

// SetThreadCounts writes a thread's counters if they still are was.
func (s *Store) SetThreadCounts(ctx context.Context, id int64, was, now forum.ThreadCounts) (bool, error) {
	return s.changedOne(ctx, `UPDATE threads SET reply_count = ?, last_seq = ?, last_activity_at = ?
		WHERE id = ? AND reply_count = ? AND last_seq = ? AND last_activity_at = ?`,
		now.ReplyCount, now.LastSeq, ms(now.LastActivityAt), id, was.ReplyCount, was.LastSeq, ms(was.LastActivityAt))
}

// SetBoardCounts writes a board's counters if they still are was.
func (s *Store) SetBoardCounts(ctx context.Context, id int64, was, now forum.BoardCounts) (bool, error) {
	return s.changedOne(ctx, `UPDATE boards SET thread_count = ?, post_count = ?, last_activity_at = ?
		WHERE id = ? AND thread_count = ? AND post_count = ? AND last_activity_at = ?`,
		now.ThreadCount, now.PostCount, ms(now.LastActivityAt), id, was.ThreadCount, was.PostCount, ms(was.LastActivityAt))
}

// DeleteEmptyThread deletes a thread that has no post.
func (s *Store) DeleteEmptyThread(ctx context.Context, id int64) (bool, error) {
	return s.changedOne(ctx, `DELETE FROM threads WHERE id = ? AND NOT EXISTS (SELECT 1 FROM posts WHERE thread_id = ?)`, id, id)
}
