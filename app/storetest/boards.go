package storetest

import (
	"context"
	"errors"
	"testing"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/l10n"
)

// Boards checks an engine's forum.BoardStore.
func Boards(t *testing.T, open func(*testing.T) forum.BoardStore) {
	tests[forum.BoardStore]{
		{"Boards", testBoards},
		{"BoardUpdate", testBoardUpdate},
	}.run(t, open)
}

func testBoards(t *testing.T, s forum.BoardStore) {
	ctx := context.Background()
	b2 := newBoard(t, s, "second", 2)
	b1 := newBoard(t, s, "first", 1)
	if err := s.CreateBoard(ctx, &forum.Board{Slug: "first", Name: l10n.Text{"zh-Hans": "x"}, Position: 3, CreatedAt: at(0)}); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("duplicate slug: %v", err)
	}
	got, err := s.BoardBySlug(ctx, "second")
	must(t, err)
	if got.ID != b2.ID || got.Name["zh-Hant"] != "家·繁second" || got.Name["en"] != "Board second" || got.Description["zh-Hant"] != "描述繁" || !got.LastActivityAt.IsZero() || !got.CreatedAt.Equal(at(0)) {
		t.Fatalf("BoardBySlug = %+v", got)
	}
	got, err = s.BoardByID(ctx, b1.ID)
	must(t, err)
	if got.Slug != "first" {
		t.Fatalf("BoardByID = %+v", got)
	}
	_, err = s.BoardBySlug(ctx, "nope")
	isNotFound(t, err, "BoardBySlug(missing)")
	_, err = s.BoardByID(ctx, 98765)
	isNotFound(t, err, "BoardByID(missing)")
	all, err := s.ListBoards(ctx)
	must(t, err)
	if len(all) != 2 || all[0].Slug != "first" || all[1].Slug != "second" {
		t.Fatalf("ListBoards order: %v", all)
	}
}

func testBoardUpdate(t *testing.T, s forum.BoardStore) {
	ctx := context.Background()
	b := newBoard(t, s, "xinyu", 1)
	if b.ReadAccess != forum.AccessPublic || b.PostAccess != forum.AccessStaff {
		t.Fatalf("default access = %q/%q", b.ReadAccess, b.PostAccess)
	}
	b.Name, b.Position = l10n.Text{"zh-Hans": "新名", "zh-Hant": "新名繁", "en": "New"}, 7
	b.Description["zh-Hans"] = "新描述"
	b.Archived, b.ReadAccess, b.PostAccess = true, "branch:一支部", forum.AccessModerators
	must(t, s.UpdateBoard(ctx, b))
	got, err := s.BoardBySlug(ctx, "xinyu")
	must(t, err)
	if got.Name["zh-Hans"] != "新名" || got.Name["zh-Hant"] != "新名繁" || got.Name["en"] != "New" || got.Description["zh-Hans"] != "新描述" || got.Position != 7 ||
		!got.Archived || got.ReadAccess != "branch:一支部" || got.PostAccess != forum.AccessModerators {
		t.Fatalf("after UpdateBoard: %+v", got)
	}
	isNotFound(t, s.UpdateBoard(ctx, &forum.Board{ID: 987654, ReadAccess: "public", PostAccess: "staff"}), "UpdateBoard(missing)")
}
