package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/policy"
)

const userCols = `id, username, display_name, password_hash, created_at, banned`

type scanner interface{ Scan(...any) error }

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
	rows, err := s.query(ctx, `SELECT `+userCols+` FROM users WHERE id IN (`+placeholders(len(uniq))+`)`, uniq...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out[u.ID] = u
	}
	return out, rows.Err()
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
	rows, err := s.query(ctx, `SELECT `+userCols+` FROM users WHERE id > ? AND (username LIKE ? ESCAPE '\' OR display_name LIKE ? ESCAPE '\') ORDER BY id LIMIT ?`,
		afterID, like, like, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*accounts.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, sess *accounts.Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		sess.TokenHash, sess.UserID, sess.CSRFToken, ms(sess.CreatedAt), ms(sess.ExpiresAt))
	return err
}

// SessionByHash returns the session with this token hash.
func (s *Store) SessionByHash(ctx context.Context, hash string) (*accounts.Session, error) {
	var sess accounts.Session
	var created, expires int64
	err := s.queryRow(ctx, `SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions WHERE token_hash = ?`, hash).
		Scan(&sess.TokenHash, &sess.UserID, &sess.CSRFToken, &created, &expires)
	if err != nil {
		return nil, notFound(err, "session")
	}
	sess.CreatedAt, sess.ExpiresAt = fromMS(created), fromMS(expires)
	return &sess, nil
}

// DeleteSession removes a session; removing a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash)
	return err
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
	var t accounts.Token
	var created int64
	err := s.queryRow(ctx, `SELECT id, user_id, name, token_hash, created_at FROM tokens WHERE token_hash = ?`, hash).
		Scan(&t.ID, &t.UserID, &t.Name, &t.TokenHash, &created)
	if err != nil {
		return nil, notFound(err, "token")
	}
	t.CreatedAt = fromMS(created)
	return &t, nil
}

// AddRole stores a role assignment; an existing one is left as it is.
func (s *Store) AddRole(ctx context.Context, a policy.Assignment) error {
	_, err := s.w.ExecContext(ctx, `INSERT OR IGNORE INTO roles (user_id, role, domain) VALUES (?, ?, ?)`, a.UserID, a.Role, a.Domain)
	if err != nil && isForeignKey(err) {
		return fault.NotFound("user")
	}
	return err
}

// RemoveRole deletes a role assignment.
func (s *Store) RemoveRole(ctx context.Context, a policy.Assignment) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM roles WHERE user_id = ? AND role = ? AND domain = ?`, a.UserID, a.Role, a.Domain)
	return err
}

// ListRoles returns every role assignment.
func (s *Store) ListRoles(ctx context.Context) ([]policy.Assignment, error) {
	rows, err := s.query(ctx, `SELECT user_id, role, domain FROM roles ORDER BY user_id, role, domain`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []policy.Assignment
	for rows.Next() {
		var a policy.Assignment
		if err := rows.Scan(&a.UserID, &a.Role, &a.Domain); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
