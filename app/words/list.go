package words

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/audit"
	"jiayuan/app/events"
	"jiayuan/app/fault"
	"jiayuan/app/records"
	"jiayuan/policy"
)

const (
	kindWords = "wordlist"
	wordsKey  = "current"
	// MaxRules bounds the list an admin can save.
	MaxRules = 20000
)

// List is the admin-managed list of sensitive words and what each one does.
type List struct {
	Rules     []Rule    `json:"rules"`
	UpdatedBy int64     `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Store is what the word list keeps and reads: the list as a record, and the staff
// whose names are reserved.
type Store interface {
	records.Store
	ListRoles(ctx context.Context) ([]policy.Assignment, error)
	UsersByIDs(ctx context.Context, ids []int64) (map[int64]*accounts.User, error)
}

// Authorizer answers whether a user may act on an object in a domain.
type Authorizer interface {
	Allowed(userID int64, domain, object, action string) bool
}

// Publisher receives events after writes have succeeded.
type Publisher interface {
	Publish(e events.Event)
}

// Service keeps the stored list compiled, screens what users write and the names they
// take with it, and lets admins read and replace it.
type Service struct {
	store Store
	auth  Authorizer
	audit *audit.Log
	bus   Publisher
	log   *slog.Logger
	now   func() time.Time
	fold  func(rune) rune
	m     atomic.Pointer[Matcher]

	seenMu sync.Mutex
	seen   *string // the stored list's version at CheckStore's last look; nil before the first
}

// Config wires a Service.
type Config struct {
	Store  Store
	Policy Authorizer
	Audit  *audit.Log
	Bus    Publisher
	// Fold folds one character for the matcher (fold.Folder.Rune); nil folds nothing.
	Fold func(rune) rune
	// Log may be nil for slog's default.
	Log *slog.Logger
}

// NewService loads the stored list.
func NewService(ctx context.Context, c Config) (*Service, error) {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	s := &Service{store: c.Store, auth: c.Policy, audit: c.Audit, bus: c.Bus, log: c.Log, fold: c.Fold,
		now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload compiles the stored list; a node calls it at start and on WordsChanged.
func (s *Service) Reload(ctx context.Context) error {
	wl, _, err := s.stored(ctx)
	if err != nil {
		return err
	}
	m, err := Compile(wl.Rules, s.fold)
	if err != nil {
		return fmt.Errorf("stored word list: %w", err)
	}
	s.m.Store(m)
	return nil
}

func (s *Service) stored(ctx context.Context) (*List, *records.Record, error) {
	r, err := s.store.RecordByKey(ctx, kindWords, wordsKey)
	if errors.Is(err, fault.ErrNotFound) {
		return &List{}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var wl List
	return &wl, r, r.Decode(&wl)
}

// List returns the list, for admins.
func (s *Service) List(ctx context.Context, userID int64) (*List, error) {
	if !s.auth.Allowed(userID, "*", "words", "manage") {
		return nil, fault.Deny(userID, "err_only_admins_may_do")
	}
	wl, _, err := s.stored(ctx)
	return wl, err
}

// Replace replaces the list. An invalid rule refuses the whole list, naming the rule.
func (s *Service) Replace(ctx context.Context, userID int64, rules []Rule) (*List, error) {
	if !s.auth.Allowed(userID, "*", "words", "manage") {
		return nil, fault.Deny(userID, "err_only_admins_may_do")
	}
	if len(rules) > MaxRules {
		return nil, fault.Invalid("rules", "err_word_list_too_long", "max", MaxRules, "has", len(rules))
	}
	m, err := Compile(rules, s.fold)
	if err != nil {
		var re *RuleError
		if errors.As(err, &re) {
			return nil, fault.Invalid("rules", re.Key, re.Args...)
		}
		return nil, fault.Wrap(err, "compile the word list")
	}
	old, r, err := s.stored(ctx)
	if err != nil {
		return nil, err
	}
	wl := &List{Rules: rules, UpdatedBy: userID, UpdatedAt: s.now()}
	nr, err := records.New(kindWords, wordsKey, "", "", wl.UpdatedAt, wl)
	if err != nil {
		return nil, err
	}
	if r == nil {
		err = s.store.InsertRecord(ctx, nr)
	} else {
		nr.ID = r.ID
		err = s.store.UpdateRecord(ctx, nr, records.Any)
	}
	if err != nil {
		return nil, err
	}
	s.m.Store(m)
	s.audit.Audit(ctx, userID, "words.update", "*", "wordlist", map[string]int{"rules": len(old.Rules)}, map[string]int{"rules": len(rules)})
	s.bus.Publish(events.Event{Type: events.WordsChanged, UserID: userID})
	return wl, nil
}

// Handle follows the bus: another node's change of the list applies here too (this
// node's own was applied when it was made).
func (s *Service) Handle(e events.Event) {
	if e.Type != events.WordsChanged || e.Origin == "" {
		return
	}
	if err := s.Reload(context.Background()); err != nil {
		s.log.Error("word list reload", "err", err)
	}
}

// CheckStore reloads the list when the stored one changed since its last look, behind
// this process's back (see node.FollowStore); the first look only takes note.
func (s *Service) CheckStore(ctx context.Context) {
	s.seenMu.Lock() // one look at a time, so none compares with a newer one
	defer s.seenMu.Unlock()
	var version string // "" while there is no list
	r, err := s.store.RecordByKey(ctx, kindWords, wordsKey)
	if err == nil {
		version = r.At.String()
	} else if !errors.Is(err, fault.ErrNotFound) {
		return // the store did not answer
	}
	if s.seen != nil && *s.seen != version {
		if err := s.Reload(ctx); err != nil {
			s.log.Error("word list reload", "err", err)
		}
	}
	s.seen = &version
}

// Screen implements forum.Screener: blocked words refuse the text, held ones ask for
// review, replaced ones come back masked.
func (s *Service) Screen(text string) (string, bool, error) {
	m := s.m.Load()
	if m == nil || m.Len() == 0 {
		return text, false, nil
	}
	action, found := m.Verdict(text)
	switch action {
	case "":
		return text, false, nil
	case Block:
		w := text[found[0].Start:found[0].End]
		for _, f := range found {
			if f.Action == Block {
				w = text[f.Start:f.End]
				break
			}
		}
		return "", false, fault.Invalid("body", "err_word_not_allowed", "word", w)
	}
	return m.Mask(text), action == Hold, nil
}

// CheckName refuses a username or display name (field says which) with any listed
// word in it, or one that poses as a role or a member of staff (see reserved).
func (s *Service) CheckName(ctx context.Context, field, name string) error {
	if m := s.m.Load(); m != nil {
		if found := m.Find(name); len(found) > 0 {
			w := name[found[0].Start:found[0].End]
			return fault.Invalid(field, "err_name_word_not_allowed", "word", w)
		}
	}
	return s.checkReserved(ctx, field, name)
}
