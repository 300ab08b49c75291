package moderation

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"jiayuan/app/events"
	"jiayuan/app/fault"
	"jiayuan/app/records"
	"jiayuan/app/words"
)

const (
	kindWords = "wordlist"
	wordsKey  = "current"
	// MaxWords bounds the list an admin can save.
	MaxWords = 20000
)

// WordList is the admin-managed list of sensitive words and what each one does.
type WordList struct {
	Rules     []words.Rule `json:"rules"`
	UpdatedBy int64        `json:"updated_by"`
	UpdatedAt time.Time    `json:"updated_at"`
}

type wordList struct {
	fold func(rune) rune
	m    atomic.Pointer[words.Matcher]
}

// ReloadWords compiles the stored list; a node calls it at start and on WordsChanged.
func (s *Guards) ReloadWords(ctx context.Context) error {
	wl, _, err := s.storedWords(ctx)
	if err != nil {
		return err
	}
	m, err := words.Compile(wl.Rules, s.words.fold)
	if err != nil {
		return fmt.Errorf("stored word list: %w", err)
	}
	s.words.m.Store(m)
	return nil
}

func (s *Guards) storedWords(ctx context.Context) (*WordList, *records.Record, error) {
	r, err := s.store.RecordByKey(ctx, kindWords, wordsKey)
	if errors.Is(err, fault.ErrNotFound) {
		return &WordList{}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var wl WordList
	return &wl, r, r.Decode(&wl)
}

// Words returns the list, for admins.
func (s *Service) Words(ctx context.Context, userID int64) (*WordList, error) {
	if err := s.requireSite(userID, "words", "manage"); err != nil {
		return nil, err
	}
	wl, _, err := s.storedWords(ctx)
	return wl, err
}

// SetWords replaces the list. An invalid rule refuses the whole list, naming the rule.
func (s *Service) SetWords(ctx context.Context, userID int64, rules []words.Rule) (*WordList, error) {
	if err := s.requireSite(userID, "words", "manage"); err != nil {
		return nil, err
	}
	if len(rules) > MaxWords {
		return nil, fault.Invalid("rules", "err_word_list_too_long", "max", MaxWords, "has", len(rules))
	}
	m, err := words.Compile(rules, s.words.fold)
	if err != nil {
		var re *words.RuleError
		if errors.As(err, &re) {
			return nil, fault.Invalid("rules", re.Key, re.Args...)
		}
		return nil, fault.Wrap(err, "compile the word list")
	}
	old, r, err := s.storedWords(ctx)
	if err != nil {
		return nil, err
	}
	wl := &WordList{Rules: rules, UpdatedBy: userID, UpdatedAt: s.now()}
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
	s.words.m.Store(m)
	s.Audit(ctx, userID, "words.update", "*", "wordlist", map[string]int{"rules": len(old.Rules)}, map[string]int{"rules": len(rules)})
	s.bus.Publish(events.Event{Type: events.WordsChanged, UserID: userID})
	return wl, nil
}

// Screen implements forum.Screener: blocked words refuse the text, held ones ask for
// review, replaced ones come back masked.
func (s *Guards) Screen(text string) (string, bool, error) {
	m := s.words.m.Load()
	if m == nil || m.Len() == 0 {
		return text, false, nil
	}
	action, found := m.Verdict(text)
	switch action {
	case "":
		return text, false, nil
	case words.Block:
		w := text[found[0].Start:found[0].End]
		for _, f := range found {
			if f.Action == words.Block {
				w = text[f.Start:f.End]
				break
			}
		}
		return "", false, fault.Invalid("body", "err_word_not_allowed", "word", w)
	}
	return m.Mask(text), action == words.Hold, nil
}

// CheckName refuses a username or display name (field says which) with any listed
// word in it, or one that poses as a role or a member of staff (see reserved).
func (s *Guards) CheckName(ctx context.Context, field, name string) error {
	if m := s.words.m.Load(); m != nil {
		if found := m.Find(name); len(found) > 0 {
			w := name[found[0].Start:found[0].End]
			return fault.Invalid(field, "err_name_word_not_allowed", "word", w)
		}
	}
	return s.checkReserved(ctx, field, name)
}
