package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/l10n"
)

var _ forum.BoardStore = (*Store)(nil)

const boardCols = `id, slug, names, descriptions, position, thread_count, post_count, last_activity_at, created_at, archived, read_access, post_access`

func scanBoard(row scanner) (*forum.Board, error) {
	var b forum.Board
	var names, descriptions []byte
	var last, created int64
	err := row.Scan(&b.ID, &b.Slug, &names, &descriptions,
		&b.Position, &b.ThreadCount, &b.PostCount, &last, &created, &b.Archived, &b.ReadAccess, &b.PostAccess)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(json.Unmarshal(names, &b.Name), json.Unmarshal(descriptions, &b.Description)); err != nil {
		return nil, fmt.Errorf("board %d: %w", b.ID, err)
	}
	b.LastActivityAt, b.CreatedAt = fromMS(last), fromMS(created)
	return &b, nil
}

// texts is a localized text as its column holds it: a JSON object by language.
func texts(t l10n.Text) string {
	if t == nil {
		return "{}"
	}
	raw, _ := json.Marshal(t) // a map of strings always encodes
	return string(raw)
}

// CreateBoard stores b and sets its id.
func (s *Store) CreateBoard(ctx context.Context, b *forum.Board) error {
	forum.DefaultAccess(b)
	res, err := s.w.ExecContext(ctx, `INSERT INTO boards (slug, names, descriptions, position, thread_count, post_count, last_activity_at, created_at, archived, read_access, post_access)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.Slug, texts(b.Name), texts(b.Description), b.Position, b.ThreadCount, b.PostCount, ms(b.LastActivityAt), ms(b.CreatedAt),
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
	return query(ctx, reads{s}, scanBoard, `SELECT `+boardCols+` FROM boards ORDER BY position, id`)
}

// UpdateBoard stores a board's editable fields.
func (s *Store) UpdateBoard(ctx context.Context, b *forum.Board) error {
	res, err := s.w.ExecContext(ctx, `UPDATE boards SET names = ?, descriptions = ?,
		position = ?, archived = ?, read_access = ?, post_access = ? WHERE id = ?`,
		texts(b.Name), texts(b.Description), b.Position, b.Archived, b.ReadAccess, b.PostAccess, b.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.NotFound("board")
	}
	return nil
}

// bumpBoards applies changes of boards' counters that the forum decided (see
// forum.BoardDelta) in the transaction tx. A board that is not there is not found.
func bumpBoards(ctx context.Context, tx *sql.Tx, ds ...forum.BoardDelta) error {
	for _, d := range ds {
		res, err := tx.ExecContext(ctx, `UPDATE boards SET thread_count = thread_count + ?, post_count = post_count + ?, last_activity_at = MAX(last_activity_at, ?) WHERE id = ?`,
			d.Threads, d.Posts, ms(d.At), d.BoardID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.NotFound("board")
		}
	}
	return nil
}
