// Package storetest is the conformance suite every storage engine must pass: the same
// tests run against SQLite and against MongoDB (FerretDB in the test binary, or a real
// server when JIAYUAN_TEST_MONGODB_URI is set). Each domain store has a suite of its own
// (Accounts, Boards, Threads, …), in a file of its own; Run runs them all.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/l10n"
	"jiayuan/app/notify"
	"jiayuan/app/ratelimit"
	"jiayuan/app/records"
	"jiayuan/policy"
)

// Store is everything an engine provides.
type Store interface {
	accounts.Store
	forum.Store
	policy.Store
	notify.Store
	records.Store
	ratelimit.Store
	forum.RepairStore
	Ping(ctx context.Context) error
	ImportThread(ctx context.Context, t *forum.Thread, posts []*forum.Post) error
	ThreadChanges
}

// ForumStore is what the forum suites need: the forum's store, its bulk import, and
// accounts for the authors.
type ForumStore interface {
	accounts.Store
	forum.Store
	ImportThread(ctx context.Context, t *forum.Thread, posts []*forum.Post) error
}

// Run runs every suite. open must return a fresh, empty store for each call and drop it
// when the test ends (t.Cleanup). A new workflow adds its suite file, its store to
// Store, and one line here.
func Run(t *testing.T, open func(t *testing.T) Store) {
	Accounts(t, func(t *testing.T) accounts.Store { return open(t) })
	Policy(t, func(t *testing.T) PolicyStore { return open(t) })
	Boards(t, func(t *testing.T) forum.BoardStore { return open(t) })
	Threads(t, func(t *testing.T) ForumStore { return open(t) })
	Posts(t, func(t *testing.T) ForumStore { return open(t) })
	Notify(t, func(t *testing.T) NotifyStore { return open(t) })
	Records(t, func(t *testing.T) records.Store { return open(t) })
	RateLimit(t, func(t *testing.T) ratelimit.Store { return open(t) })
	Repair(t, func(t *testing.T) RepairStore { return open(t) })
	ChangeLog(t, func(t *testing.T) ChangeLogStore { return open(t) })
}

// tests is a suite: named tests of a store S.
type tests[S any] []struct {
	name string
	fn   func(*testing.T, S)
}

// run runs each test on a fresh store from open.
func (ts tests[S]) run(t *testing.T, open func(*testing.T) S) {
	for _, tc := range ts {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// now is a millisecond-truncated UTC time, as the domain always passes.
var base = time.Date(2026, 7, 1, 8, 30, 0, 0, time.UTC)

func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func isNotFound(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("%s: got %v, want a not-found error", what, err)
	}
}

func newUser(t *testing.T, s accounts.Store, name string) *accounts.User {
	t.Helper()
	u := &accounts.User{Username: name, DisplayName: "显示" + name, PasswordHash: "hash-" + name, CreatedAt: at(0)}
	must(t, s.CreateUser(context.Background(), u))
	return u
}

func newBoard(t *testing.T, s forum.BoardStore, slug string, pos int) *forum.Board {
	t.Helper()
	b := &forum.Board{Slug: slug, Name: l10n.Text{"zh-Hans": "家·" + slug, "zh-Hant": "家·繁" + slug, "en": "Board " + slug},
		Description: l10n.Text{"zh-Hans": "描述", "zh-Hant": "描述繁", "en": "desc"}, Position: pos, CreatedAt: at(0)}
	must(t, s.CreateBoard(context.Background(), b))
	return b
}

func newThread(t *testing.T, s forum.ThreadStore, b *forum.Board, author *accounts.User, title string, when time.Time) (*forum.Thread, *forum.Post) {
	t.Helper()
	th := &forum.Thread{BoardID: b.ID, Title: title, AuthorID: author.ID, CreatedAt: when, LastActivityAt: when}
	p := &forum.Post{AuthorID: author.ID, Body: "正文 " + title, HTML: "<p>正文 " + title + "</p>", CreatedAt: when}
	must(t, s.CreateThread(context.Background(), th, p))
	return th, p
}

func reply(t *testing.T, s forum.PostStore, th *forum.Thread, author *accounts.User, body string, when time.Time) *forum.Post {
	t.Helper()
	p := &forum.Post{ThreadID: th.ID, AuthorID: author.ID, Body: body, HTML: "<p>" + body + "</p>", CreatedAt: when}
	must(t, s.CreatePost(context.Background(), p))
	return p
}
