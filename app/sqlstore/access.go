package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
)

// ListSessions returns a user's sessions, newest first.
func (s *Store) ListSessions(ctx context.Context, userID int64) ([]*accounts.Session, error) {
	rows, err := s.query(ctx, `SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions WHERE user_id = ? ORDER BY created_at DESC, token_hash`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*accounts.Session
	for rows.Next() {
		var sess accounts.Session
		var created, expires int64
		if err := rows.Scan(&sess.TokenHash, &sess.UserID, &sess.CSRFToken, &created, &expires); err != nil {
			return nil, err
		}
		sess.CreatedAt, sess.ExpiresAt = fromMS(created), fromMS(expires)
		out = append(out, &sess)
	}
	return out, rows.Err()
}

// DeleteExpiredSessions deletes the sessions expired at or before now and returns the
// distinct ids of their users.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) ([]int64, error) {
	var users []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? RETURNING user_id`, ms(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		seen := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			if !seen[id] {
				seen[id] = true
				users = append(users, id)
			}
		}
		return rows.Err()
	})
	return users, err
}

// ListTokens returns a user's tokens, oldest first.
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]*accounts.Token, error) {
	rows, err := s.query(ctx, `SELECT id, user_id, name, token_hash, created_at FROM tokens WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*accounts.Token
	for rows.Next() {
		var t accounts.Token
		var created int64
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.TokenHash, &created); err != nil {
			return nil, err
		}
		t.CreatedAt = fromMS(created)
		out = append(out, &t)
	}
	return out, rows.Err()
}

// DeleteToken deletes token id if it is userID's.
func (s *Store) DeleteToken(ctx context.Context, userID, id int64) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM tokens WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.NotFound("token")
	}
	return nil
}

// fillSkeletons computes the skeleton of users stored before it was kept. Two existing
// users whose names look alike cannot share the unique skeleton: the later one keeps
// a marked form that no new name can produce, and the earlier one holds the name.
func (s *Store) fillSkeletons(ctx context.Context) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, username FROM users WHERE skeleton IS NULL ORDER BY id`)
		if err != nil {
			return err
		}
		type pending struct {
			id   int64
			name string
		}
		var todo []pending
		for rows.Next() {
			var p pending
			if err := rows.Scan(&p.id, &p.name); err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, p := range todo {
			sk := accounts.Skeleton(p.name)
			var taken int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE skeleton = ?`, sk).Scan(&taken); err != nil {
				return err
			}
			if taken > 0 {
				sk = accounts.DuplicateSkeleton(sk, p.id)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET skeleton = ? WHERE id = ?`, sk, p.id); err != nil {
				return err
			}
		}
		return nil
	})
}
