// Package accounts registers users, checks passwords and keeps sessions and personal
// access tokens.
package accounts

import (
	"context"
	"time"
)

// User is a person with an account. Username is lower-case and never changes.
type User struct {
	ID           int64
	Username     string
	DisplayName  string
	PasswordHash string
	CreatedAt    time.Time
	Banned       bool // may not sign in; sessions and tokens stop working
}

// Session is a signed-in browser. Only the SHA-256 of the cookie value is stored, so a
// leaked database does not leak live sessions.
type Session struct {
	TokenHash string
	UserID    int64
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Token is a personal access token for scripts; like sessions, only its hash is kept.
type Token struct {
	ID        int64
	UserID    int64
	Name      string
	TokenHash string
	CreatedAt time.Time
}

// Store keeps accounts. Lookups of missing rows return fault.ErrNotFound; a taken
// username, or one whose Skeleton another user already has, returns fault.ErrConflict.
type Store interface {
	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, id int64) (*User, error)
	UserByUsername(ctx context.Context, username string) (*User, error)
	UsersByIDs(ctx context.Context, ids []int64) (map[int64]*User, error)
	CountUsers(ctx context.Context) (int64, error)
	// ListUsers pages through users by id whose username or display name starts with
	// prefix (everyone when empty).
	ListUsers(ctx context.Context, prefix string, afterID int64, limit int) ([]*User, error)
	// SetUserBanned bans or unbans; a ban ends the user's sessions.
	SetUserBanned(ctx context.Context, id int64, banned bool) error
	// SetPasswordHash replaces the password and ends the user's sessions and tokens.
	SetPasswordHash(ctx context.Context, id int64, hash string) error

	CreateSession(ctx context.Context, s *Session) error
	SessionByHash(ctx context.Context, hash string) (*Session, error)
	DeleteSession(ctx context.Context, hash string) error
	// ListSessions returns a user's sessions, expired ones included, newest first.
	ListSessions(ctx context.Context, userID int64) ([]*Session, error)
	// DeleteExpiredSessions deletes the sessions that expired at or before now and
	// returns the distinct ids of their users.
	DeleteExpiredSessions(ctx context.Context, now time.Time) ([]int64, error)

	CreateToken(ctx context.Context, t *Token) error
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	// ListTokens returns a user's tokens, oldest first.
	ListTokens(ctx context.Context, userID int64) ([]*Token, error)
	// DeleteToken deletes token id of userID; a token of someone else is not found.
	DeleteToken(ctx context.Context, userID, id int64) error
}
