package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
)

// Accounts checks an engine's accounts.Store: users, sessions and tokens.
func Accounts(t *testing.T, open func(*testing.T) accounts.Store) {
	tests[accounts.Store]{
		{"Users", testUsers},
		{"SessionsAndTokens", testSessionsAndTokens},
		{"UsersAdmin", testUsersAdmin},
		{"AccessLists", testAccessLists},
		{"ConfusableUsernames", testConfusableUsernames},
	}.run(t, open)
}

func testUsers(t *testing.T, s accounts.Store) {
	ctx := context.Background()
	if n, err := s.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("CountUsers on an empty store = %d, %v", n, err)
	}
	a, b := newUser(t, s, "alice"), newUser(t, s, "bob")
	if a.ID <= 0 || b.ID <= 0 || a.ID == b.ID {
		t.Fatalf("ids %d %d", a.ID, b.ID)
	}
	got, err := s.UserByID(ctx, a.ID)
	must(t, err)
	if *got != *a || !got.CreatedAt.Equal(at(0)) {
		t.Fatalf("UserByID = %+v, want %+v", got, a)
	}
	got, err = s.UserByUsername(ctx, "bob")
	must(t, err)
	if got.ID != b.ID || got.PasswordHash != "hash-bob" {
		t.Fatalf("UserByUsername = %+v", got)
	}
	_, err = s.UserByID(ctx, 987654)
	isNotFound(t, err, "UserByID(missing)")
	_, err = s.UserByUsername(ctx, "nobody")
	isNotFound(t, err, "UserByUsername(missing)")
	if err := s.CreateUser(ctx, &accounts.User{Username: "alice", DisplayName: "x", PasswordHash: "x", CreatedAt: at(1)}); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("duplicate username: %v, want a conflict", err)
	}
	m, err := s.UsersByIDs(ctx, []int64{a.ID, b.ID, a.ID, 987654})
	must(t, err)
	if len(m) != 2 || m[a.ID].Username != "alice" || m[b.ID].Username != "bob" {
		t.Fatalf("UsersByIDs = %v", m)
	}
	if m, err := s.UsersByIDs(ctx, nil); err != nil || len(m) != 0 {
		t.Fatalf("UsersByIDs(nil) = %v, %v", m, err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 2 {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}
}

func testSessionsAndTokens(t *testing.T, s accounts.Store) {
	ctx := context.Background()
	u := newUser(t, s, "carol")
	sess := &accounts.Session{TokenHash: "h1", UserID: u.ID, CSRFToken: "c1", CreatedAt: at(0), ExpiresAt: at(60)}
	must(t, s.CreateSession(ctx, sess))
	got, err := s.SessionByHash(ctx, "h1")
	must(t, err)
	if got.UserID != u.ID || got.CSRFToken != "c1" || !got.ExpiresAt.Equal(at(60)) || !got.CreatedAt.Equal(at(0)) {
		t.Fatalf("SessionByHash = %+v", got)
	}
	must(t, s.DeleteSession(ctx, "h1"))
	_, err = s.SessionByHash(ctx, "h1")
	isNotFound(t, err, "deleted session")
	must(t, s.DeleteSession(ctx, "never-existed"))

	tok := &accounts.Token{UserID: u.ID, Name: "脚本", TokenHash: "th", CreatedAt: at(2)}
	must(t, s.CreateToken(ctx, tok))
	if tok.ID <= 0 {
		t.Fatalf("token id %d", tok.ID)
	}
	gt, err := s.TokenByHash(ctx, "th")
	must(t, err)
	if gt.UserID != u.ID || gt.Name != "脚本" || !gt.CreatedAt.Equal(at(2)) {
		t.Fatalf("TokenByHash = %+v", gt)
	}
	_, err = s.TokenByHash(ctx, "nope")
	isNotFound(t, err, "TokenByHash(missing)")
}

func testUsersAdmin(t *testing.T, s accounts.Store) {
	ctx := context.Background()
	a, _ := newUser(t, s, "alice"), newUser(t, s, "alan")
	newUser(t, s, "bob")
	must(t, s.CreateSession(ctx, &accounts.Session{TokenHash: "h1", UserID: a.ID, CSRFToken: "c", CreatedAt: at(0), ExpiresAt: at(600)}))

	got, err := s.ListUsers(ctx, "al", 0, 10)
	must(t, err)
	if len(got) != 2 || got[0].Username != "alice" || got[1].Username != "alan" {
		t.Fatalf("ListUsers(al) = %v", names(got))
	}
	got, err = s.ListUsers(ctx, "显示b", 0, 10)
	must(t, err)
	if len(got) != 1 || got[0].Username != "bob" {
		t.Fatalf("ListUsers by display name = %v", names(got))
	}
	got, err = s.ListUsers(ctx, "", a.ID, 1)
	must(t, err)
	if len(got) != 1 || got[0].Username != "alan" {
		t.Fatalf("ListUsers paging = %v", names(got))
	}
	for _, odd := range []string{"%", "_", ".*", `{"$gt":""}`} {
		got, err = s.ListUsers(ctx, odd, 0, 10)
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("ListUsers(%q) matched %v: the prefix must be literal", odd, names(got))
		}
	}

	must(t, s.SetUserBanned(ctx, a.ID, true))
	u, err := s.UserByID(ctx, a.ID)
	must(t, err)
	if !u.Banned {
		t.Fatal("SetUserBanned did not ban")
	}
	_, err = s.SessionByHash(ctx, "h1")
	isNotFound(t, err, "a banned user's session")
	must(t, s.SetUserBanned(ctx, a.ID, false))
	if u, _ = s.UserByID(ctx, a.ID); u.Banned {
		t.Fatal("unban did not stick")
	}
	isNotFound(t, s.SetUserBanned(ctx, 987654, true), "SetUserBanned(missing)")

	must(t, s.CreateSession(ctx, &accounts.Session{TokenHash: "h2", UserID: a.ID, CSRFToken: "c", CreatedAt: at(0), ExpiresAt: at(600)}))
	must(t, s.SetPasswordHash(ctx, a.ID, "new-hash"))
	if u, _ = s.UserByID(ctx, a.ID); u.PasswordHash != "new-hash" {
		t.Fatalf("password hash = %q", u.PasswordHash)
	}
	_, err = s.SessionByHash(ctx, "h2")
	isNotFound(t, err, "a session after a password reset")
	isNotFound(t, s.SetPasswordHash(ctx, 987654, "x"), "SetPasswordHash(missing)")
}

// testAccessLists: a person's sessions and tokens are listed, ended one by one (never
// another person's), swept when expired, and all ended by a password change.
func testAccessLists(t *testing.T, s accounts.Store) {
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
func testConfusableUsernames(t *testing.T, s accounts.Store) {
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

func names(us []*accounts.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Username
	}
	return out
}
