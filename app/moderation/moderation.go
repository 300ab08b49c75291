// Package moderation is what moderators do about people and posts beyond the forum's
// own moderation of threads: reports and their resolution, and silences (with the guard
// the forum consults before every write). Its collections are stored as records
// (app/records), on either engine.
package moderation

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/audit"
	"jiayuan/app/forum"
	"jiayuan/app/records"
	"jiayuan/policy"
)

// Store is what moderation keeps and reads.
type Store interface {
	records.Store
	UserByID(ctx context.Context, id int64) (*accounts.User, error)
	UserByUsername(ctx context.Context, username string) (*accounts.User, error)
}

// Notifier tells a user something happened (the outcome of their report).
type Notifier interface {
	NotifyUser(ctx context.Context, userID int64, kind string, actorID int64, p *forum.Post) error
	// OweHidden records, before a hide, that p's author is to be told of it and why.
	OweHidden(ctx context.Context, actorID int64, p *forum.Post, reason string) error
}

// Guard is the part of moderation the forum consults on every write: whether the
// writer is silenced. It needs no service, so it is built first and handed to the
// forum; the Service built after the forum embeds it.
type Guard struct {
	store Store
	now   func() time.Time
}

// NewGuard returns the silence guard over st.
func NewGuard(st Store) *Guard {
	return &Guard{store: st, now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
}

// Service is moderation's logic.
type Service struct {
	*Guard
	policy *policy.Enforcer
	forum  *forum.Service
	notify Notifier
	audit  *audit.Log
	log    *slog.Logger
}

// Config wires a Service.
type Config struct {
	Guard    *Guard // over the store the Service keeps and reads
	Policy   *policy.Enforcer
	Forum    *forum.Service
	Notifier Notifier
	Audit    *audit.Log
	// Log may be nil for slog's default.
	Log *slog.Logger
}

// New wires a Service.
func New(c Config) *Service {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Service{Guard: c.Guard, policy: c.Policy, forum: c.Forum, notify: c.Notifier, audit: c.Audit, log: c.Log}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
