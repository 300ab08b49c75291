package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
)

var _ accounts.Store = (*Store)(nil)

const userCols = `id, username, display_name, password_hash, created_at, banned`

func scanUser(row scanner) (*accounts.User, error) {
	var u accounts.User
	var created int64
	if err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.PasswordHash, &created, &u.Banned); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMS(created)
	return &u, nil
}

// CreateUser stores u and sets its id. A username whose skeleton another user has is a
// conflict, as a taken one is.
func (s *Store) CreateUser(ctx context.Context, u *accounts.User) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO users (username, display_name, password_hash, created_at, skeleton) VALUES (?, ?, ?, ?, ?)`,
		u.Username, u.DisplayName, u.PasswordHash, ms(u.CreatedAt), accounts.Skeleton(u.Username))
	if err != nil {
		return conflict(err, "username_taken", "err_username_taken")
	}
	u.ID, err = res.LastInsertId()
	return err
}

// UserByID returns one user.
func (s *Store) UserByID(ctx context.Context, id int64) (*accounts.User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, notFound(err, "user")
}

// UserByUsername returns one user by their (lower-case) username.
func (s *Store) UserByUsername(ctx context.Context, username string) (*accounts.User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
	return u, notFound(err, "user")
}

// UsersByIDs returns the users that exist among ids.
func (s *Store) UsersByIDs(ctx context.Context, ids []int64) (map[int64]*accounts.User, error) {
	out := make(map[int64]*accounts.User, len(ids))
	uniq := make([]any, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	if len(uniq) == 0 {
		return out, nil
	}
	us, err := query(ctx, reads{s}, scanUser, `SELECT `+userCols+` FROM users WHERE id IN (`+placeholders(len(uniq))+`)`, uniq...)
	for _, u := range us {
		out[u.ID] = u
	}
	return out, err
}

// CountUsers counts all users.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// SetUserBanned bans or unbans a user; a ban also ends their sessions.
func (s *Store) SetUserBanned(ctx context.Context, id int64, banned bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET banned = ? WHERE id = ?`, banned, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.NotFound("user")
		}
		if banned {
			_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id)
		}
		return err
	})
}

// SetPasswordHash replaces a user's password and ends their sessions and tokens.
func (s *Store) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.NotFound("user")
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ?`, id)
		return err
	})
}

// ListUsers pages through users by id whose username or display name starts with
// prefix (everyone when it is empty).
func (s *Store) ListUsers(ctx context.Context, prefix string, afterID int64, limit int) ([]*accounts.User, error) {
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix) + "%"
	return query(ctx, reads{s}, scanUser, `SELECT `+userCols+` FROM users WHERE id > ? AND (username LIKE ? ESCAPE '\' OR display_name LIKE ? ESCAPE '\') ORDER BY id LIMIT ?`,
		afterID, like, like, limit)
}

const sessionCols = `token_hash, user_id, csrf_token, created_at, expires_at`

func scanSession(row scanner) (*accounts.Session, error) {
	var sess accounts.Session
	var created, expires int64
	if err := row.Scan(&sess.TokenHash, &sess.UserID, &sess.CSRFToken, &created, &expires); err != nil {
		return nil, err
	}
	sess.CreatedAt, sess.ExpiresAt = fromMS(created), fromMS(expires)
	return &sess, nil
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, sess *accounts.Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		sess.TokenHash, sess.UserID, sess.CSRFToken, ms(sess.CreatedAt), ms(sess.ExpiresAt))
	return err
}

// SessionByHash returns the session with this token hash.
func (s *Store) SessionByHash(ctx context.Context, hash string) (*accounts.Session, error) {
	sess, err := scanSession(s.queryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE token_hash = ?`, hash))
	if err != nil {
		return nil, notFound(err, "session")
	}
	return sess, nil
}

// DeleteSession removes a session; removing a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash)
	return err
}

const tokenCols = `id, user_id, name, token_hash, created_at`

func scanToken(row scanner) (*accounts.Token, error) {
	var t accounts.Token
	var created int64
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.TokenHash, &created); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMS(created)
	return &t, nil
}

// CreateToken stores a personal access token and sets its id.
func (s *Store) CreateToken(ctx context.Context, t *accounts.Token) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)`,
		t.UserID, t.Name, t.TokenHash, ms(t.CreatedAt))
	if err != nil {
		return conflict(err, "token_exists", "err_token_exists")
	}
	t.ID, err = res.LastInsertId()
	return err
}

// TokenByHash returns the token with this hash.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*accounts.Token, error) {
	t, err := scanToken(s.queryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE token_hash = ?`, hash))
	if err != nil {
		return nil, notFound(err, "token")
	}
	return t, nil
}

// ListSessions returns a user's sessions, newest first.
func (s *Store) ListSessions(ctx context.Context, userID int64) ([]*accounts.Session, error) {
	return query(ctx, reads{s}, scanSession, `SELECT `+sessionCols+` FROM sessions WHERE user_id = ? ORDER BY created_at DESC, token_hash`, userID)
}

// DeleteExpiredSessions deletes the sessions expired at or before now and returns the
// distinct ids of their users.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) ([]int64, error) {
	var users []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ids, err := query(ctx, tx, scanInt, `DELETE FROM sessions WHERE expires_at <= ? RETURNING user_id`, ms(now))
		seen := map[int64]bool{}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				users = append(users, id)
			}
		}
		return err
	})
	return users, err
}

// ListTokens returns a user's tokens, oldest first.
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]*accounts.Token, error) {
	return query(ctx, reads{s}, scanToken, `SELECT `+tokenCols+` FROM tokens WHERE user_id = ? ORDER BY id`, userID)
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
		type pending struct {
			id   int64
			name string
		}
		// Read to the end first: the transaction has one connection for the updates.
		todo, err := query(ctx, tx, func(row scanner) (p pending, err error) {
			return p, row.Scan(&p.id, &p.name)
		}, `SELECT id, username FROM users WHERE skeleton IS NULL ORDER BY id`)
		if err != nil {
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
