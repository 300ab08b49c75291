// Package org is who holds which role where: the party branches (党支部) and the roles
// held site-wide, in a board or in a branch, granted and revoked by admins or from the
// command line. The policy (jiayuan/policy) answers from these assignments; branches
// are stored as records (app/records), on either engine.
package org

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/audit"
	"jiayuan/app/events"
	"jiayuan/app/forum"
	"jiayuan/app/records"
	"jiayuan/policy"
)

// Store is what org keeps and reads.
type Store interface {
	records.Store
	ListRoles(ctx context.Context) ([]policy.Assignment, error)
	UserByUsername(ctx context.Context, username string) (*accounts.User, error)
	UsersByIDs(ctx context.Context, ids []int64) (map[int64]*accounts.User, error)
}

// Boards lists the boards a role may be held in.
type Boards interface {
	AllBoards(ctx context.Context) ([]*forum.Board, error)
}

// Publisher receives events after writes have succeeded.
type Publisher interface {
	Publish(e events.Event)
}

// Service grants and revokes roles and keeps the branches.
type Service struct {
	store  Store
	policy *policy.Enforcer
	boards Boards
	bus    Publisher
	audit  *audit.Log
	log    *slog.Logger
	now    func() time.Time

	checkMu sync.Mutex // CheckStore's
}

// Config wires a Service.
type Config struct {
	Store  Store
	Policy *policy.Enforcer
	Boards Boards // the forum
	Bus    Publisher
	Audit  *audit.Log
	// Log may be nil for slog's default.
	Log *slog.Logger
}

// New wires a Service.
func New(c Config) *Service {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Service{store: c.Store, policy: c.Policy, boards: c.Boards, bus: c.Bus, audit: c.Audit, log: c.Log,
		now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Handle follows the bus: other nodes' role changes apply here too (this node's own
// were applied when they were made).
func (s *Service) Handle(e events.Event) {
	if e.Type != events.PolicyChanged || e.Origin == "" {
		return
	}
	if err := s.policy.Reload(context.Background()); err != nil {
		s.log.Error("policy reload", "err", err)
	}
}

// CheckStore reloads the policy when the stored role assignments differ from those it
// answers from: a change made behind this process's back (see node.FollowStore), by the
// command line or a node without the bus. Comparing with the policy rather than with an
// earlier look means a grant made here and revoked elsewhere before the next look is
// still seen. The users whose roles changed are then told to this node's followers
// (PolicyChanged), so their open live subscriptions are asked again at once. That is
// not relayed to other nodes, whose own follower sees the change, and it cannot loop:
// what follows PolicyChanged reloads, which changes no stored role.
func (s *Service) CheckStore(ctx context.Context) {
	s.checkMu.Lock() // one look at a time, so two do not both reload and tell
	defer s.checkMu.Unlock()
	list, err := s.store.ListRoles(ctx)
	if err != nil {
		return // the store did not answer
	}
	now := make(map[policy.Assignment]bool, len(list))
	for _, a := range list {
		now[a] = true
	}
	changed := changedUsers(s.policy.Loaded(), now)
	if len(changed) == 0 {
		return
	}
	if err := s.policy.Reload(ctx); err != nil {
		s.log.Error("policy reload", "err", err)
	} else {
		s.policyChanged(changed)
	}
}

// policyChanged tells this node's followers whose roles changed; past a few users, one
// event for everyone costs less than one each.
func (s *Service) policyChanged(users map[int64]bool) {
	if len(users) > 50 {
		s.bus.Publish(events.Event{Type: events.PolicyChanged, Local: true})
		return
	}
	for uid := range users {
		s.bus.Publish(events.Event{Type: events.PolicyChanged, UserID: uid, Local: true})
	}
}

// changedUsers lists the users with an assignment in one set and not the other.
func changedUsers(before, after map[policy.Assignment]bool) map[int64]bool {
	out := map[int64]bool{}
	for a := range before {
		if !after[a] {
			out[a.UserID] = true
		}
	}
	for a := range after {
		if !before[a] {
			out[a.UserID] = true
		}
	}
	return out
}
