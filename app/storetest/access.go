package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
)

// testAccessLists: a person's sessions and tokens are listed, ended one by one (never
// another person's), swept when expired, and all ended by a password change.
func testAccessLists(t *testing.T, s Store) {
	ctx := context.Background()
	dan, eve := newUser(t, s, "dan"), newUser(t, s, "eve")
	for i, sess := range []*accounts.Session{
		{TokenHash: "d-old", UserID: dan.ID, CSRFToken: "c", CreatedAt: at(0), ExpiresAt: at(10)},
		{TokenHash: "d-new", UserID: dan.ID, CSRFToken: "c", CreatedAt: at(5), ExpiresAt: at(100)},
		{TokenHash: "e-old", UserID: eve.ID, CSRFToken: "c", CreatedAt: at(1), ExpiresAt: at(10)},
		{TokenHash: "e-older", UserID: eve.ID, CSRFToken: "c", CreatedAt: at(0), ExpiresAt: at(9)},
	} {
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	ss, err := s.ListSessions(ctx, dan.ID)
	must(t, err)
	if len(ss) != 2 || ss[0].TokenHash != "d-new" || ss[1].TokenHash != "d-old" || !ss[0].ExpiresAt.Equal(at(100)) || ss[0].UserID != dan.ID {
		t.Fatalf("ListSessions(dan) = %+v, want d-new then d-old", ss)
	}
	users, err := s.DeleteExpiredSessions(ctx, at(10))
	must(t, err)
	slices.Sort(users)
	if want := []int64{dan.ID, eve.ID}; !slices.Equal(users, want) {
		t.Fatalf("DeleteExpiredSessions = %v, want each user once: %v", users, want)
	}
	if ss, _ := s.ListSessions(ctx, dan.ID); len(ss) != 1 || ss[0].TokenHash != "d-new" {
		t.Fatalf("after the sweep dan has %+v, want only the live session", ss)
	}
	if ss, _ := s.ListSessions(ctx, eve.ID); len(ss) != 0 {
		t.Fatalf("after the sweep eve has %+v", ss)
	}
	if users, err := s.DeleteExpiredSessions(ctx, at(10)); err != nil || len(users) != 0 {
		t.Fatalf("a second sweep = %v, %v", users, err)
	}

	var toks []*accounts.Token
	for i, name := range []string{"一", "二", "三"} {
		tk := &accounts.Token{UserID: dan.ID, Name: name, TokenHash: "t" + name, CreatedAt: at(i)}
		must(t, s.CreateToken(ctx, tk))
		toks = append(toks, tk)
	}
	must(t, s.CreateToken(ctx, &accounts.Token{UserID: eve.ID, Name: "eve's", TokenHash: "te", CreatedAt: at(0)}))
	got, err := s.ListTokens(ctx, dan.ID)
	must(t, err)
	if len(got) != 3 || got[0].ID != toks[0].ID || got[2].Name != "三" || got[1].TokenHash != "t二" || !got[1].CreatedAt.Equal(at(1)) {
		t.Fatalf("ListTokens(dan) = %+v", got)
	}
	if err := s.DeleteToken(ctx, eve.ID, toks[0].ID); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("deleting another person's token: %v, want not found", err)
	}
	must(t, s.DeleteToken(ctx, dan.ID, toks[0].ID))
	isNotFound(t, s.DeleteToken(ctx, dan.ID, toks[0].ID), "DeleteToken twice")
	_, err = s.TokenByHash(ctx, "t一")
	isNotFound(t, err, "TokenByHash(deleted)")

	must(t, s.SetPasswordHash(ctx, dan.ID, "new-hash"))
	if got, _ := s.ListTokens(ctx, dan.ID); len(got) != 0 {
		t.Fatalf("tokens after a password change: %+v", got)
	}
	if ss, _ := s.ListSessions(ctx, dan.ID); len(ss) != 0 {
		t.Fatalf("sessions after a password change: %+v", ss)
	}
	if got, _ := s.ListTokens(ctx, eve.ID); len(got) != 1 {
		t.Fatalf("eve's tokens after dan's password change: %+v", got)
	}
}

// testConfusableUsernames: a username whose skeleton another user has is a conflict.
func testConfusableUsernames(t *testing.T, s Store) {
	ctx := context.Background()
	newUser(t, s, "wang0")
	newUser(t, s, "user1")
	newUser(t, s, "mary")
	for _, name := range []string{"wango", "userl", "rnary"} {
		err := s.CreateUser(ctx, &accounts.User{Username: name, DisplayName: name, PasswordHash: "h", CreatedAt: at(0)})
		if !errors.Is(err, fault.ErrConflict) {
			t.Errorf("CreateUser(%q) beside a look-alike: %v, want a conflict", name, err)
		}
	}
	newUser(t, s, "wang1") // a different name still registers
	if n, _ := s.CountUsers(ctx); n != 4 {
		t.Fatalf("%d users, want 4", n)
	}
}
