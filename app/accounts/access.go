package accounts

import (
	"context"
	"log/slog"
	"time"

	"jiayuan/app/events"
	"jiayuan/app/fault"
)

// MaxTokens is how many personal access tokens one person may hold at once.
const MaxTokens = 20

var (
	errTokenName     = fault.Invalid("name", "err_token_name_form")
	errTooManyTokens = fault.Conflict("token_limit", "err_too_many_tokens")
)

// SetClock replaces the clock sessions are made and expire by (tests drive time).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// ID names a session to its owner without revealing the stored hash whole: a prefix
// of it, which is only ever matched among that person's own sessions.
func (s *Session) ID() string {
	if len(s.TokenHash) > 16 {
		return s.TokenHash[:16]
	}
	return s.TokenHash
}

// Sessions lists a person's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context, userID int64) ([]*Session, error) {
	all, err := s.store.ListSessions(ctx, userID)
	if err != nil {
		return nil, fault.Wrap(err, "list sessions of user %v", userID)
	}
	now := s.now()
	live := all[:0]
	for _, sess := range all {
		if now.Before(sess.ExpiresAt) {
			live = append(live, sess)
		}
	}
	return live, nil
}

// EndSession signs out one of the person's own sessions by its ID; another person's
// session, or none, is not found.
func (s *Service) EndSession(ctx context.Context, userID int64, id string) error {
	all, err := s.store.ListSessions(ctx, userID)
	if err != nil {
		return fault.Wrap(err, "list sessions of user %v", userID)
	}
	for _, sess := range all {
		if id != "" && sess.ID() == id {
			if err := s.store.DeleteSession(ctx, sess.TokenHash); err != nil {
				return fault.Wrap(err, "delete session")
			}
			s.accessChanged(userID)
			return nil
		}
	}
	return fault.NotFound("session")
}

// Tokens lists a person's personal access tokens, oldest first.
func (s *Service) Tokens(ctx context.Context, userID int64) ([]*Token, error) {
	return s.store.ListTokens(ctx, userID)
}

// RevokeToken deletes one of the person's own tokens; another person's is not found.
func (s *Service) RevokeToken(ctx context.Context, userID, id int64) error {
	if err := s.store.DeleteToken(ctx, userID, id); err != nil {
		return fault.Wrap(err, "delete token %v of user %v", id, userID)
	}
	s.accessChanged(userID)
	return nil
}

// SweepSessions deletes the sessions that have expired and returns how many people
// lost one.
func (s *Service) SweepSessions(ctx context.Context) (int64, error) {
	users, err := s.store.DeleteExpiredSessions(ctx, s.now())
	for _, id := range users {
		s.accessChanged(id)
	}
	return int64(len(users)), err
}

// RunSweeper sweeps expired sessions every interval until ctx ends. Expired sessions
// are refused at their next use anyway; the sweep keeps the table from growing with
// browsers that never come back. Several nodes may sweep at once: deleting is
// idempotent.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.SweepSessions(ctx); err != nil && ctx.Err() == nil {
			log.Error("sweep expired sessions", "err", err)
		} else if n > 0 {
			log.Debug("swept expired sessions", "users", n)
		}
	}
}

// accessChanged tells the open sockets of a person that a credential of theirs ended.
func (s *Service) accessChanged(userID int64) {
	if s.bus != nil && userID != 0 {
		s.bus.Publish(events.Event{Type: events.AccessChanged, UserID: userID})
	}
}
