package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

const boardCols = `id, slug, name, name_hant, name_en, description, description_hant, description_en, position, thread_count, post_count, last_activity_at, created_at`

func scanBoard(row scanner) (*forum.Board, error) {
	var b forum.Board
	var last, created int64
	err := row.Scan(&b.ID, &b.Slug, &b.Name, &b.NameHant, &b.NameEn, &b.Description, &b.DescriptionHant, &b.DescriptionEn,
		&b.Position, &b.ThreadCount, &b.PostCount, &last, &created)
	if err != nil {
		return nil, err
	}
	b.LastActivityAt, b.CreatedAt = fromMS(last), fromMS(created)
	return &b, nil
}

// CreateBoard stores b and sets its id.
func (s *Store) CreateBoard(ctx context.Context, b *forum.Board) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO boards (slug, name, name_hant, name_en, description, description_hant, description_en, position, thread_count, post_count, last_activity_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.Slug, b.Name, b.NameHant, b.NameEn, b.Description, b.DescriptionHant, b.DescriptionEn, b.Position, b.ThreadCount, b.PostCount, ms(b.LastActivityAt), ms(b.CreatedAt))
	if err != nil {
		return conflict(err, "board_exists", "board slug taken")
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
