package sqlstore

import (
	"context"
	"database/sql"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

// Bulk loading, for seeding demos and the benchmark: no domain service writes this way.

// ImportThread bulk-loads a thread with all its posts in one transaction, for seeding
// demos and benchmarks: posts[0] becomes seq 1, a post's ReplyToSeq names the earlier
// post it answers, and counters end as if each post had been created one by one.
func (s *Store) ImportThread(ctx context.Context, t *forum.Thread, posts []*forum.Post) error {
	if len(posts) == 0 {
		return fault.Invalid("posts", "err_thread_needs_opening_post")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		board := forum.ImportThread(t, posts)
		if err := insertThread(ctx, tx, t); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO posts (thread_id, seq, author_id, body, html, reply_to, reply_to_seq, depth, path, created_at, edited_at, deleted, deleted_at, changed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, p := range posts {
			forum.PlaceImported(posts, i, t.ID)
			res, err := stmt.ExecContext(ctx, p.ThreadID, p.Seq, p.AuthorID, p.Body, p.HTML, p.ReplyTo, p.ReplyToSeq, p.Depth, p.Path,
				ms(p.CreatedAt), ms(p.EditedAt), p.Deleted, ms(p.DeletedAt), ms(p.ChangedAt))
			if err != nil {
				return err
			}
			if p.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		}
		return bumpBoards(ctx, tx, board)
	})
}

// LastPostID is the id of the newest post (0 when there is none); a bulk import (the
// bench's seed) moves the notifier's checkpoint there, since imported posts are history.
func (s *Store) LastPostID(ctx context.Context) (int64, error) {
	var id int64
	err := s.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM posts`).Scan(&id)
	return id, err
}
