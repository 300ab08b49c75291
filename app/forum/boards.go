package forum

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"jiayuan/app/events"
	"jiayuan/app/fault"
)

// BoardInput is what an admin sets on a board. On an update, nil fields stay.
type BoardInput struct {
	Slug            string // on create only: the board's address, never changed
	Name            *string
	NameHant        *string
	NameEn          *string
	Description     *string
	DescriptionHant *string
	DescriptionEn   *string
	Position        *int
	Archived        *bool
	ReadAccess      *string
	PostAccess      *string
}

var slugRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)

// ValidAccess checks an access level: public, staff, party, moderators or branch:<name>.
func ValidAccess(level string, reading bool) bool {
	switch level {
	case AccessStaff, AccessParty, AccessModerators:
		return true
	case AccessPublic:
		return reading // guests never post
	}
	name, ok := strings.CutPrefix(level, "branch:")
	return ok && name != "" && !strings.ContainsAny(name, ",:*")
}

func (s *Service) requireManage(userID int64) error {
	if s.auth.Allowed(userID, "*", "boards", "manage") {
		return nil
	}
	return deny(userID, "err_only_admins_manage_boards")
}

// apply checks and copies the set fields of in onto b.
func (in *BoardInput) apply(b *Board) error {
	texts := []struct {
		v     *string
		dst   *string
		field string
		max   int
	}{
		{in.Name, &b.Name, "name", 50}, {in.NameHant, &b.NameHant, "name_hant", 50}, {in.NameEn, &b.NameEn, "name_en", 50},
		{in.Description, &b.Description, "description", 500}, {in.DescriptionHant, &b.DescriptionHant, "description_hant", 500},
		{in.DescriptionEn, &b.DescriptionEn, "description_en", 500},
	}
	for _, t := range texts {
		if t.v == nil {
			continue
		}
		v := strings.TrimSpace(*t.v)
		n := utf8.RuneCountInString(v)
		if !utf8.ValidString(v) || n > t.max || strings.ContainsAny(v, "\x00<>") || (strings.HasPrefix(t.field, "name") && n == 0) {
			return fault.Invalid(t.field, "err_field_length", "field", t.field, "max", t.max)
		}
		*t.dst = v
	}
	if in.Position != nil {
		if *in.Position < 0 || *in.Position > 10000 {
			return fault.Invalid("position", "err_position_0_10000")
		}
		b.Position = *in.Position
	}
	if in.Archived != nil {
		b.Archived = *in.Archived
	}
	if in.ReadAccess != nil {
		if !ValidAccess(*in.ReadAccess, true) {
			return fault.Invalid("read_access", "err_read_access")
		}
		b.ReadAccess = *in.ReadAccess
	}
	if in.PostAccess != nil {
		if !ValidAccess(*in.PostAccess, false) {
			return fault.Invalid("post_access", "err_post_access")
		}
		b.PostAccess = *in.PostAccess
	}
	return nil
}

// CreateBoard adds a board; admins only.
func (s *Service) CreateBoard(ctx context.Context, userID int64, in BoardInput) (*Board, error) {
	if err := s.requireManage(userID); err != nil {
		return nil, err
	}
	if !slugRE.MatchString(in.Slug) {
		return nil, fault.Invalid("slug", "err_slug_form")
	}
	if in.Name == nil {
		return nil, fault.Invalid("name", "err_give_board_name")
	}
	all, err := s.store.ListBoards(ctx)
	if err != nil {
		return nil, fault.Wrap(err, "list boards")
	}
	b := &Board{Slug: in.Slug, Position: len(all) + 1, CreatedAt: s.now()}
	if err := in.apply(b); err != nil {
		return nil, err
	}
	for _, f := range []*string{&b.NameHant, &b.NameEn} {
		if *f == "" {
			*f = b.Name
		}
	}
	DefaultAccess(b)
	if err := s.store.CreateBoard(ctx, b); err != nil {
		return nil, fault.Conflict("board_exists", "err_board_exists")
	}
	s.ForgetBoards()
	s.record(ctx, userID, "board.create", b, "board:"+b.Slug, nil, b)
	s.bus.Publish(events.Event{Type: events.BoardUpdated, BoardSlug: b.Slug, UserID: userID})
	return b, nil
}

// UpdateBoard renames, describes, reorders, archives a board or sets who may read and
// post in it; admins only.
func (s *Service) UpdateBoard(ctx context.Context, userID int64, slug string, in BoardInput) (*Board, error) {
	if err := s.requireManage(userID); err != nil {
		return nil, err
	}
	old, err := s.store.BoardBySlug(ctx, slug)
	if err != nil {
		return nil, notFound(err, "board")
	}
	b := *old
	if err := in.apply(&b); err != nil {
		return nil, err
	}
	if err := s.store.UpdateBoard(ctx, &b); err != nil {
		return nil, fault.Wrap(err, "update board")
	}
	s.ForgetBoards()
	s.record(ctx, userID, "board.update", &b, "board:"+b.Slug, old, &b)
	s.bus.Publish(events.Event{Type: events.BoardUpdated, BoardSlug: b.Slug, UserID: userID})
	return &b, nil
}

// boardSet is a copy of every board by slug, as loaded at generation gen.
type boardSet struct {
	gen    uint64
	bySlug map[string]*Board
}

// boardBySlug reads a board through a copy of the board list that board changes drop.
// The copy is for what changes only through UpdateBoard (slug, names, access levels,
// archive flag). It holds no counters, which every post changes: they are zero in it,
// so that nothing shows them stale, and callers that show them read the board from
// the store.
//
// A fill can race an update: the list is read, the update commits and ForgetBoards
// runs, then the fill stores the list it read. The generation is the fix, as with
// app/cache's stamps: it is taken before the read, and a copy from an older generation
// is never served, so once ForgetBoards has returned nobody sees the old board.
func (s *Service) boardBySlug(ctx context.Context, slug string) (*Board, error) {
	set := s.boards.Load()
	if set == nil || set.gen != s.boardGen.Load() {
		gen := s.boardGen.Load()
		all, err := s.store.ListBoards(ctx)
		if err != nil {
			return nil, fault.Wrap(err, "list boards")
		}
		set = &boardSet{gen: gen, bySlug: make(map[string]*Board, len(all))}
		for _, b := range all {
			b.ThreadCount, b.PostCount, b.LastActivityAt = 0, 0, time.Time{}
			set.bySlug[b.Slug] = b
		}
		s.boards.Store(set)
	}
	if b, ok := set.bySlug[slug]; ok {
		return b, nil
	}
	return nil, fault.NotFound("board")
}

// ForgetBoards drops the copy of the boards; the next read loads them again. Call it on
// every board change, including other nodes' (the board.updated event).
func (s *Service) ForgetBoards() { s.boardGen.Add(1) }
