package forum

import (
	"context"
	"regexp"
	"strings"
	"time"

	"jiayuan/app/events"
	"jiayuan/app/fault"
	"jiayuan/app/l10n"
)

// BoardInput is what an admin sets on a board. On an update, nil fields stay.
type BoardInput struct {
	Slug        string    // on create only: the board's address, never changed
	Name        l10n.Text // the languages given; on an update, the others stay
	Description l10n.Text
	Position    *int
	Archived    *bool
	ReadAccess  *string
	PostAccess  *string
}

var (
	nameRule        = l10n.Rule{Field: "name", Max: 50, Required: true}
	descriptionRule = l10n.Rule{Field: "description", Max: 500}
)

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
	return fault.Deny(userID, "err_only_admins_manage_boards")
}

// apply checks and copies the set fields of in onto b. Its texts become new maps: b is
// a copy of a board whose maps others still read (the audit's before, the board cache).
func (in *BoardInput) apply(b *Board) error {
	var err error
	if b.Name, err = nameRule.Set(b.Name, in.Name); err != nil {
		return err
	}
	if b.Description, err = descriptionRule.Set(b.Description, in.Description); err != nil {
		return err
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
	if _, ok := in.Name[l10n.Languages[0]]; !ok {
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
	for _, l := range l10n.Languages {
		if b.Name[l] == "" {
			b.Name[l] = b.Name[l10n.Languages[0]]
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
