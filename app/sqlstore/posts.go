package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

var _ forum.PostStore = (*Store)(nil)

const postCols = `id, thread_id, seq, author_id, body, html, reply_to, reply_to_seq, depth, path, created_at, edited_at, deleted, deleted_at, changed_at, held`

func scanPost(row scanner) (*forum.Post, error) {
	var p forum.Post
	var created, edited, deletedAt, changed int64
	err := row.Scan(&p.ID, &p.ThreadID, &p.Seq, &p.AuthorID, &p.Body, &p.HTML, &p.ReplyTo, &p.ReplyToSeq, &p.Depth, &p.Path,
		&created, &edited, &p.Deleted, &deletedAt, &changed, &p.Held)
	if err != nil {
		return nil, err
	}
	p.CreatedAt, p.EditedAt, p.DeletedAt, p.ChangedAt = fromMS(created), fromMS(edited), fromMS(deletedAt), fromMS(changed)
	return &p, nil
}

func insertPost(ctx context.Context, tx *sql.Tx, p *forum.Post) error {
	p.ChangedAt = p.CreatedAt
	res, err := tx.ExecContext(ctx, `INSERT INTO posts (thread_id, seq, author_id, body, html, reply_to, reply_to_seq, depth, path, created_at, edited_at, deleted, deleted_at, changed_at, held)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ThreadID, p.Seq, p.AuthorID, p.Body, p.HTML, p.ReplyTo, p.ReplyToSeq, p.Depth, p.Path, ms(p.CreatedAt), ms(p.EditedAt), p.Deleted, ms(p.DeletedAt), ms(p.ChangedAt), p.Held)
	if err != nil {
		return err
	}
	p.ID, err = res.LastInsertId()
	return err
}

// CreatePost appends p to its thread. The seq comes from the thread row's own counter,
// bumped in the same transaction, so concurrent replies can neither share nor skip one.
func (s *Store) CreatePost(ctx context.Context, p *forum.Post) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var seq, boardID int64
		err := tx.QueryRowContext(ctx, `UPDATE threads SET last_seq = last_seq + 1, reply_count = reply_count + 1, last_activity_at = MAX(last_activity_at, ?)
			WHERE id = ? RETURNING last_seq, board_id`, ms(p.CreatedAt), p.ThreadID).Scan(&seq, &boardID)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFound("thread")
		} else if err != nil {
			return err
		}
		p.Place(seq)
		if err := insertPost(ctx, tx, p); err != nil {
			return err
		}
		return bumpBoards(ctx, tx, forum.AddPost(boardID, p))
	})
}

// PostByID returns one post.
func (s *Store) PostByID(ctx context.Context, id int64) (*forum.Post, error) {
	p, err := scanPost(s.queryRow(ctx, `SELECT `+postCols+` FROM posts WHERE id = ?`, id))
	return p, notFound(err, "post")
}

// ListPosts returns a thread's posts after a seq, in seq order, from the (thread_id, seq) index.
func (s *Store) ListPosts(ctx context.Context, threadID, afterSeq int64, limit int) ([]*forum.Post, error) {
	return s.posts(ctx, `SELECT `+postCols+` FROM posts WHERE thread_id = ? AND seq > ? AND held = 0 ORDER BY seq LIMIT ?`, threadID, afterSeq, limit)
}

// ListPostsByPath returns a thread's posts after a path, in tree order.
func (s *Store) ListPostsByPath(ctx context.Context, threadID int64, afterPath string, limit int) ([]*forum.Post, error) {
	return s.posts(ctx, `SELECT `+postCols+` FROM posts WHERE thread_id = ? AND path > ? AND held = 0 ORDER BY path LIMIT ?`, threadID, afterPath, limit)
}

// LastPostsByPath returns a thread's last posts in tree order, read backwards on the
// same index.
func (s *Store) LastPostsByPath(ctx context.Context, threadID int64, limit int) ([]*forum.Post, error) {
	ps, err := s.posts(ctx, `SELECT `+postCols+` FROM posts WHERE thread_id = ? AND held = 0 ORDER BY path DESC LIMIT ?`, threadID, limit)
	slices.Reverse(ps)
	return ps, err
}

func (s *Store) posts(ctx context.Context, q string, args ...any) ([]*forum.Post, error) {
	return query(ctx, reads{s}, scanPost, q, args...)
}

// PostsChangedSince pages through posts in the order they last changed, on the
// posts_changed index.
func (s *Store) PostsChangedSince(ctx context.Context, since time.Time, afterID int64, limit int) ([]*forum.Post, error) {
	return s.posts(ctx, `SELECT `+postCols+` FROM posts WHERE (changed_at, id) > (?, ?) ORDER BY changed_at, id LIMIT ?`, ms(since), afterID, limit)
}

// ThreadPostsChangedSince returns up to limit posts of one thread with seq <= upTo
// that changed after since and after they were written (approved, edited, deleted,
// moved), in the order they changed, on the posts_thread_changed index: a returning
// socket's catch-up reads its own thread, whatever is written elsewhere.
func (s *Store) ThreadPostsChangedSince(ctx context.Context, threadID, upTo int64, since time.Time, limit int) ([]*forum.Post, error) {
	return s.posts(ctx, `SELECT `+postCols+` FROM posts WHERE thread_id = ? AND changed_at > ? AND seq <= ? AND changed_at > created_at ORDER BY changed_at, id LIMIT ?`,
		threadID, ms(since), upTo, limit)
}

// PostsByIDs returns the posts that exist among ids.
func (s *Store) PostsByIDs(ctx context.Context, ids []int64) (map[int64]*forum.Post, error) {
	out := make(map[int64]*forum.Post, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	ps, err := s.posts(ctx, `SELECT `+postCols+` FROM posts WHERE id IN (`+placeholders(len(ids))+`)`, args...)
	for _, p := range ps {
		out[p.ID] = p
	}
	return out, err
}

// UpdatePostBody replaces a post's source and rendering.
func (s *Store) UpdatePostBody(ctx context.Context, id int64, body, html string, editedAt time.Time) error {
	return s.affectOne(ctx, `UPDATE posts SET body = ?, html = ?, edited_at = ?, changed_at = ? WHERE id = ?`, body, html, ms(editedAt), ms(editedAt), id)
}

// SetPostDeleted hides or restores a post.
func (s *Store) SetPostDeleted(ctx context.Context, id int64, deleted bool, at time.Time) error {
	changed := at
	if !deleted {
		at = time.Time{}
	}
	return s.affectOne(ctx, `UPDATE posts SET deleted = ?, deleted_at = ?, changed_at = ? WHERE id = ?`, deleted, ms(at), ms(changed), id)
}

// SetPostHeld holds a post for review or releases it.
func (s *Store) SetPostHeld(ctx context.Context, id int64, held bool, at time.Time) error {
	return s.affectOne(ctx, `UPDATE posts SET held = ?, changed_at = ? WHERE id = ?`, held, ms(at), id)
}

// HeldPosts returns the posts waiting for review, oldest first, from a partial index.
func (s *Store) HeldPosts(ctx context.Context, limit int) ([]*forum.Post, error) {
	return s.posts(ctx, `SELECT `+postCols+` FROM posts WHERE held = 1 ORDER BY id LIMIT ?`, limit)
}

func (s *Store) HeldPostsBy(ctx context.Context, threadID, authorID int64) ([]*forum.Post, error) {
	return s.posts(ctx, `SELECT `+postCols+` FROM posts WHERE held = 1 AND thread_id = ? AND author_id = ? ORDER BY id`, threadID, authorID)
}

func (s *Store) affectOne(ctx context.Context, q string, args ...any) error {
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fault.NotFound("post")
	}
	return nil
}
