package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

var _ forum.ThreadStore = (*Store)(nil)

const threadCols = `id, board_id, title, author_id, reply_count, last_seq, pinned, locked, created_at, last_activity_at`

func scanThread(row scanner) (*forum.Thread, error) {
	var t forum.Thread
	var created, last int64
	err := row.Scan(&t.ID, &t.BoardID, &t.Title, &t.AuthorID, &t.ReplyCount, &t.LastSeq, &t.Pinned, &t.Locked, &created, &last)
	if err != nil {
		return nil, err
	}
	t.CreatedAt, t.LastActivityAt = fromMS(created), fromMS(last)
	return &t, nil
}

// CreateThread stores a thread and its opening post in one transaction.
func (s *Store) CreateThread(ctx context.Context, t *forum.Thread, p *forum.Post) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		board := forum.OpenThread(t, p)
		if err := insertThread(ctx, tx, t); err != nil {
			return err
		}
		p.ThreadID = t.ID
		if err := insertPost(ctx, tx, p); err != nil {
			return err
		}
		return bumpBoards(ctx, tx, board)
	})
}

func insertThread(ctx context.Context, tx *sql.Tx, t *forum.Thread) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO threads (board_id, title, author_id, reply_count, last_seq, pinned, locked, created_at, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.BoardID, t.Title, t.AuthorID, t.ReplyCount, t.LastSeq, t.Pinned, t.Locked, ms(t.CreatedAt), ms(t.LastActivityAt))
	if err != nil {
		if isForeignKey(err) {
			return fault.NotFound("board")
		}
		return err
	}
	t.ID, err = res.LastInsertId()
	return err
}

// ThreadByID returns one thread.
func (s *Store) ThreadByID(ctx context.Context, id int64) (*forum.Thread, error) {
	t, err := scanThread(s.queryRow(ctx, `SELECT `+threadCols+` FROM threads WHERE id = ?`, id))
	return t, notFound(err, "thread")
}

// ListThreads pages through a board's threads, pinned first, then by last activity.
// The row-value comparison walks the threads_board_order index: no offset scans.
func (s *Store) ListThreads(ctx context.Context, boardID int64, after *forum.ThreadCursor, limit int) ([]*forum.Thread, error) {
	if after == nil {
		return query(ctx, reads{s}, scanThread, `SELECT `+threadCols+` FROM threads WHERE board_id = ? ORDER BY pinned DESC, last_activity_at DESC, id DESC LIMIT ?`, boardID, limit)
	}
	return query(ctx, reads{s}, scanThread, `SELECT `+threadCols+` FROM threads WHERE board_id = ? AND (pinned, last_activity_at, id) < (?, ?, ?)
		ORDER BY pinned DESC, last_activity_at DESC, id DESC LIMIT ?`, boardID, after.Pinned, ms(after.LastActivityAt), after.ID, limit)
}

func isForeignKey(err error) bool {
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// UpdateThread applies a patch in one transaction; a move carries the counts along.
func (s *Store) UpdateThread(ctx context.Context, id int64, patch forum.ThreadPatch) (*forum.Thread, error) {
	var out *forum.Thread
	err := s.tx(ctx, func(tx *sql.Tx) error {
		t, err := scanThread(tx.QueryRowContext(ctx, `SELECT `+threadCols+` FROM threads WHERE id = ?`, id))
		if err != nil {
			return notFound(err, "thread")
		}
		if from := patch.Apply(t); from != 0 {
			var live int64
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM posts WHERE thread_id = ?`, id).Scan(&live); err != nil {
				return err
			}
			if err := bumpBoards(ctx, tx, forum.MoveThread(t, from, live)...); err != nil {
				return err
			}
			// The posts' board changed with the thread's: the search indexer catches up
			// by changed_at, so a lost reindex is redone.
			if _, err := tx.ExecContext(ctx, `UPDATE posts SET changed_at = ? WHERE thread_id = ?`, ms(patch.At), id); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE threads SET pinned = ?, locked = ?, title = ?, board_id = ? WHERE id = ?`, t.Pinned, t.Locked, t.Title, t.BoardID, id)
		out = t
		return err
	})
	return out, err
}

// RelocatePosts moves posts between threads in one transaction.
func (s *Store) RelocatePosts(ctx context.Context, target *forum.Thread, from int64, moves []forum.Relocation, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		src, err := scanThread(tx.QueryRowContext(ctx, `SELECT `+threadCols+` FROM threads WHERE id = ?`, from))
		if err != nil {
			return notFound(err, "thread")
		}
		r := forum.Relocate(src, target, moves)
		if target.ID == 0 {
			if err := insertThread(ctx, tx, target); err != nil {
				return err
			}
		}
		for _, m := range moves {
			res, err := tx.ExecContext(ctx, `UPDATE posts SET thread_id = ?, seq = ?, path = ?, depth = ?, reply_to = ?, reply_to_seq = ?, changed_at = ? WHERE id = ? AND thread_id = ?`,
				target.ID, m.Seq, m.Path, m.Depth, m.ReplyTo, m.ReplyToSeq, ms(at), m.PostID, from)
			if err != nil {
				return conflict(err, "seq_taken", "err_seq_taken")
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fault.NotFound("post")
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE threads SET reply_count = reply_count - ? WHERE id = ?`, r.Moved, from); err != nil {
			return err
		}
		// A thread with no posts left (the source of a merge) goes.
		res, err := tx.ExecContext(ctx, `DELETE FROM threads WHERE id = ? AND NOT EXISTS (SELECT 1 FROM posts WHERE thread_id = ?)`, from, from)
		if err != nil {
			return err
		}
		if gone, _ := res.RowsAffected(); gone == 1 {
			if err := bumpBoards(ctx, tx, r.Emptied); err != nil {
				return err
			}
		}
		// Counts of the target: the replies it gained, and a seq counter past every place taken.
		if _, err := tx.ExecContext(ctx, `UPDATE threads SET last_seq = MAX(last_seq, ?), reply_count = (SELECT COUNT(*) - 1 FROM posts WHERE thread_id = ?),
			last_activity_at = MAX(last_activity_at, (SELECT COALESCE(MAX(created_at), 0) FROM posts WHERE thread_id = ?)) WHERE id = ?`, r.LastSeq, target.ID, target.ID, target.ID); err != nil {
			return err
		}
		if err := bumpBoards(ctx, tx, r.Boards...); err != nil {
			return err
		}
		t, err := scanThread(tx.QueryRowContext(ctx, `SELECT `+threadCols+` FROM threads WHERE id = ?`, target.ID))
		if err == nil {
			*target = *t
		}
		return err
	})
}
