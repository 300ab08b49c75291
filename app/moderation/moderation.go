// Package moderation is what moderators and admins use beyond the forum itself: the
// audit log, reports, silences, branches, role grants, the sensitive-word list, user
// administration, and the ledger of edit history and merges. Its small collections are
// stored as records (app/records), on either engine.
package moderation

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/events"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/records"
	"jiayuan/policy"
)

// Store is what moderation keeps and reads.
type Store interface {
	records.Store
	policy.Store
	UserByID(ctx context.Context, id int64) (*accounts.User, error)
	UserByUsername(ctx context.Context, username string) (*accounts.User, error)
	UsersByIDs(ctx context.Context, ids []int64) (map[int64]*accounts.User, error)
	ListUsers(ctx context.Context, prefix string, afterID int64, limit int) ([]*accounts.User, error)
	SetUserBanned(ctx context.Context, id int64, banned bool) error
	SetPasswordHash(ctx context.Context, id int64, hash string) error
}

// Notifier tells a user something happened (the outcome of their report).
type Notifier interface {
	NotifyUser(ctx context.Context, userID int64, kind string, actorID int64, p *forum.Post) error
}

// Publisher receives events after writes have succeeded.
type Publisher interface {
	Publish(e events.Event)
}

// Guards are the parts of moderation the forum and accounts consult on every write:
// the word screen, the silence guard, the audit log, the ledger and the name check.
// They need neither service, so they are built first and handed to both; the Service
// built after the forum embeds them.
type Guards struct {
	store Store
	log   *slog.Logger
	now   func() time.Time
	words *wordList
}

// NewGuards loads the stored word list. fold folds one character for it
// (search.Folder.Rune); log may be nil for slog's default.
func NewGuards(ctx context.Context, st Store, fold func(rune) rune, log *slog.Logger) (*Guards, error) {
	if log == nil {
		log = slog.Default()
	}
	g := &Guards{store: st, log: log, words: &wordList{fold: fold},
		now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
	if err := g.ReloadWords(ctx); err != nil {
		return nil, err
	}
	return g, nil
}

// Forum is what forum.NewService consults and records.
func (g *Guards) Forum() forum.Moderation {
	return forum.Moderation{Screen: g, Guard: g, Audit: g, Ledger: ledger{g.store}}
}

// Service is moderation's logic.
type Service struct {
	*Guards
	policy *policy.Enforcer
	forum  *forum.Service
	bus    Publisher
	notify Notifier
	hasher func(password string) (string, error)
}

// Config wires a Service.
type Config struct {
	Guards   *Guards // over the store the Service keeps and reads
	Policy   *policy.Enforcer
	Forum    *forum.Service
	Bus      Publisher
	Notifier Notifier
	// HashPassword hashes a new password (argon2id, from accounts).
	HashPassword func(password string) (string, error)
}

// New wires a Service.
func New(c Config) *Service {
	return &Service{Guards: c.Guards, policy: c.Policy, forum: c.Forum, bus: c.Bus, notify: c.Notifier, hasher: c.HashPassword}
}

// Handle follows the bus: other nodes' role and word-list changes apply here too (this
// node's own were applied when they were made).
func (s *Service) Handle(e events.Event) {
	if e.Origin == "" && (e.Type == events.PolicyChanged || e.Type == events.WordsChanged) {
		return
	}
	switch e.Type {
	case events.PolicyChanged:
		if err := s.policy.Reload(context.Background()); err != nil {
			s.log.Error("policy reload", "err", err)
		}
	case events.WordsChanged:
		if err := s.ReloadWords(context.Background()); err != nil {
			s.log.Error("word list reload", "err", err)
		}
	case events.BoardUpdated:
		s.forum.ForgetBoards()
	}
}

// requireSite asks the policy about a site-wide admin action.
func (s *Service) requireSite(userID int64, object, action string) error {
	if s.policy.Allowed(userID, "*", object, action) {
		return nil
	}
	if userID == 0 {
		return fault.Unauthorized("err_sign_in_first")
	}
	return fault.Forbidden("err_only_admins_may_do")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func forumNow() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// FollowStore reloads the policy and the word list when the stored role assignments or
// list change behind this process's back: `jiayuan admin grant` on the command line
// writes to the database of a running single node, where no event reaches it. It
// checks every interval until ctx ends. The users whose roles changed are then told to
// this node's followers (PolicyChanged), so their open live subscriptions are asked
// again at once. That is not relayed to other nodes, whose own FollowStore sees the
// change, and it cannot loop: what follows PolicyChanged reloads, which changes no
// stored role.
func (s *Service) FollowStore(ctx context.Context, interval time.Duration) {
	roles, words, ok := s.storeState(ctx)
	for !ok { // without a first look there is nothing to compare with
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
		roles, words, ok = s.storeState(ctx)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, w, ok := s.storeState(ctx)
		if !ok {
			continue // the store did not answer
		}
		if changed := changedUsers(roles, now); len(changed) > 0 {
			roles = now
			if err := s.policy.Reload(ctx); err != nil {
				s.log.Error("policy reload", "err", err)
			} else {
				s.policyChanged(changed)
			}
		}
		if w != words {
			words = w
			if err := s.ReloadWords(ctx); err != nil {
				s.log.Error("word list reload", "err", err)
			}
		}
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

// storeState reads the stored role assignments and the word list's version; ok is
// false when the store fails.
func (s *Service) storeState(ctx context.Context) (roles map[policy.Assignment]bool, words string, ok bool) {
	list, err := s.store.ListRoles(ctx)
	if err != nil {
		return nil, "", false
	}
	roles = make(map[policy.Assignment]bool, len(list))
	for _, a := range list {
		roles[a] = true
	}
	if r, err := s.store.RecordByKey(ctx, kindWords, wordsKey); err == nil {
		words = r.At.String()
	}
	return roles, words, true
}
