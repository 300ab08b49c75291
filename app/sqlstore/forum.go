package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

const boardCols = `id, slug, name, name_hant, name_en, description, description_hant, description_en, position, thread_count, post_count, last_activity_at, created_at, archived, read_access, post_access`

func scanBoard(row scanner) (*forum.Board, error) {
	var b forum.Board
	var last, created int64
	err := row.Scan(&b.ID, &b.Slug, &b.Name, &b.NameHant, &b.NameEn, &b.Description, &b.DescriptionHant, &b.DescriptionEn,
		&b.Position, &b.ThreadCount, &b.PostCount, &last, &created, &b.Archived, &b.ReadAccess, &b.PostAccess)
	if err != nil {
		return nil, err
	}
	b.LastActivityAt, b.CreatedAt = fromMS(last), fromMS(created)
	return &b, nil
}

// CreateBoard stores b and sets its id.
func (s *Store) CreateBoard(ctx context.Context, b *forum.Board) error {
	forum.DefaultAccess(b)
	res, err := s.w.ExecContext(ctx, `INSERT INTO boards (slug, name, name_hant, name_en, description, description_hant, description_en, position, thread_count, post_count, last_activity_at, created_at, archived, read_access, post_access)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.Slug, b.Name, b.NameHant, b.NameEn, b.Description, b.DescriptionHant, b.DescriptionEn, b.Position, b.ThreadCount, b.PostCount, ms(b.LastActivityAt), ms(b.CreatedAt),
		b.Archived, b.ReadAccess, b.PostAccess)
	if err != nil {
		return conflict(err, "board_exists", "err_board_exists")
	}
	b.ID, err = res.LastInsertId()
	return err
}

// BoardBySlug returns one board.
func (s *Store) BoardBySlug(ctx context.Context, slug string) (*forum.Board, error) {
	b, err := scanBoard(s.queryRow(ctx, `SELECT `+boardCols+` FROM boards WHERE slug = ?`, slug))
	return b, notFound(err, "board")
}

// BoardByID returns one board.
func (s *Store) BoardByID(ctx context.Context, id int64) (*forum.Board, error) {
	b, err := scanBoard(s.queryRow(ctx, `SELECT `+boardCols+` FROM boards WHERE id = ?`, id))
	return b, notFound(err, "board")
}

// ListBoards returns every board in display order.
func (s *Store) ListBoards(ctx context.Context) ([]*forum.Board, error) {
	rows, err := s.query(ctx, `SELECT `+boardCols+` FROM boards ORDER BY position, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*forum.Board
	for rows.Next() {
		b, err := scanBoard(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

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
		if err := insertThread(ctx, tx, t, 1, 0); err != nil {
			return err
		}
		p.ThreadID, p.Seq, p.Path = t.ID, 1, p.PathPrefix+forum.PathSegment(1)
		if err := insertPost(ctx, tx, p); err != nil {
			return err
		}
		t.LastSeq = 1
		return bumpBoard(ctx, tx, t.BoardID, 1, 1, t.LastActivityAt)
	})
}

func insertThread(ctx context.Context, tx *sql.Tx, t *forum.Thread, lastSeq, replies int64) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO threads (board_id, title, author_id, reply_count, last_seq, pinned, locked, created_at, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.BoardID, t.Title, t.AuthorID, replies, lastSeq, t.Pinned, t.Locked, ms(t.CreatedAt), ms(t.LastActivityAt))
	if err != nil {
		if isForeignKey(err) {
			return fault.NotFound("board")
		}
		return err
	}
	t.ID, err = res.LastInsertId()
	return err
}

func bumpBoard(ctx context.Context, tx *sql.Tx, boardID, threads, posts int64, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE boards SET thread_count = thread_count + ?, post_count = post_count + ?, last_activity_at = MAX(last_activity_at, ?) WHERE id = ?`,
		threads, posts, ms(at), boardID)
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
	var rows *sql.Rows
	var err error
	if after == nil {
		rows, err = s.query(ctx, `SELECT `+threadCols+` FROM threads WHERE board_id = ? ORDER BY pinned DESC, last_activity_at DESC, id DESC LIMIT ?`, boardID, limit)
	} else {
		rows, err = s.query(ctx, `SELECT `+threadCols+` FROM threads WHERE board_id = ? AND (pinned, last_activity_at, id) < (?, ?, ?)
			ORDER BY pinned DESC, last_activity_at DESC, id DESC LIMIT ?`, boardID, after.Pinned, ms(after.LastActivityAt), after.ID, limit)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]*forum.Thread, 0, limit)
	for rows.Next() {
		t, err := scanThread(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func isForeignKey(err error) bool {
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// UpdateBoard stores a board's editable fields.
func (s *Store) UpdateBoard(ctx context.Context, b *forum.Board) error {
	res, err := s.w.ExecContext(ctx, `UPDATE boards SET name = ?, name_hant = ?, name_en = ?, description = ?, description_hant = ?, description_en = ?,
		position = ?, archived = ?, read_access = ?, post_access = ? WHERE id = ?`,
		b.Name, b.NameHant, b.NameEn, b.Description, b.DescriptionHant, b.DescriptionEn, b.Position, b.Archived, b.ReadAccess, b.PostAccess, b.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.NotFound("board")
	}
	return nil
}

// UpdateThread applies a patch in one transaction; a move carries the counts along.
func (s *Store) UpdateThread(ctx context.Context, id int64, patch forum.ThreadPatch) (*forum.Thread, error) {
	var out *forum.Thread
	err := s.tx(ctx, func(tx *sql.Tx) error {
		t, err := scanThread(tx.QueryRowContext(ctx, `SELECT `+threadCols+` FROM threads WHERE id = ?`, id))
		if err != nil {
			return notFound(err, "thread")
		}
		if patch.Pinned != nil {
			t.Pinned = *patch.Pinned
		}
		if patch.Locked != nil {
			t.Locked = *patch.Locked
		}
		if patch.Title != nil {
			t.Title = *patch.Title
		}
		if patch.BoardID != nil && *patch.BoardID != t.BoardID {
			var live int64
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM posts WHERE thread_id = ?`, id).Scan(&live); err != nil {
				return err
			}
			if err := bumpBoard(ctx, tx, t.BoardID, -1, -live, time.Time{}); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE boards SET thread_count = thread_count + 1, post_count = post_count + ?, last_activity_at = MAX(last_activity_at, ?) WHERE id = ?`,
				live, ms(t.LastActivityAt), *patch.BoardID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fault.NotFound("board")
			}
			// The posts' board changed with the thread's: the search indexer catches up
			// by changed_at, so a lost reindex is redone.
			if _, err := tx.ExecContext(ctx, `UPDATE posts SET changed_at = ? WHERE thread_id = ?`, ms(patch.At), id); err != nil {
				return err
			}
			t.BoardID = *patch.BoardID
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
		if target.ID == 0 {
			if err := insertThread(ctx, tx, target, 0, 0); err != nil {
				return err
			}
			if err := bumpBoard(ctx, tx, target.BoardID, 1, 0, target.LastActivityAt); err != nil {
				return err
			}
		}
		var maxSeq int64
		for _, m := range moves {
			res, err := tx.ExecContext(ctx, `UPDATE posts SET thread_id = ?, seq = ?, path = ?, depth = ?, reply_to = ?, reply_to_seq = ?, changed_at = ? WHERE id = ? AND thread_id = ?`,
				target.ID, m.Seq, m.Path, m.Depth, m.ReplyTo, m.ReplyToSeq, ms(at), m.PostID, from)
			if err != nil {
				return conflict(err, "seq_taken", "err_seq_taken")
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fault.NotFound("post")
			}
			maxSeq = max(maxSeq, m.Seq)
		}
		n := int64(len(moves))
		if _, err := tx.ExecContext(ctx, `UPDATE threads SET reply_count = reply_count - ? WHERE id = ?`, n, from); err != nil {
			return err
		}
		// A thread with no posts left (the source of a merge) goes.
		res, err := tx.ExecContext(ctx, `DELETE FROM threads WHERE id = ? AND NOT EXISTS (SELECT 1 FROM posts WHERE thread_id = ?)`, from, from)
		if err != nil {
			return err
		}
		if gone, _ := res.RowsAffected(); gone == 1 {
			if err := bumpBoard(ctx, tx, src.BoardID, -1, 0, time.Time{}); err != nil {
				return err
			}
		}
		// Counts of the target: the replies it gained, and a seq counter past every place taken.
		if _, err := tx.ExecContext(ctx, `UPDATE threads SET last_seq = MAX(last_seq, ?), reply_count = (SELECT COUNT(*) - 1 FROM posts WHERE thread_id = ?),
			last_activity_at = MAX(last_activity_at, (SELECT COALESCE(MAX(created_at), 0) FROM posts WHERE thread_id = ?)) WHERE id = ?`, maxSeq, target.ID, target.ID, target.ID); err != nil {
			return err
		}
		if src.BoardID != target.BoardID {
			if err := bumpBoard(ctx, tx, src.BoardID, 0, -n, time.Time{}); err != nil {
				return err
			}
			if err := bumpBoard(ctx, tx, target.BoardID, 0, n, time.Time{}); err != nil {
				return err
			}
		}
		t, err := scanThread(tx.QueryRowContext(ctx, `SELECT `+threadCols+` FROM threads WHERE id = ?`, target.ID))
		if err == nil {
			*target = *t
		}
		return err
	})
}
