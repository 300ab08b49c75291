package moderation_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/audit"
	"jiayuan/app/events"
	"jiayuan/app/forum"
	"jiayuan/app/history"
	"jiayuan/app/markup"
	"jiayuan/app/moderation"
	"jiayuan/app/records"
	"jiayuan/app/sqlstore"
	"jiayuan/policy"
)

var errDisk = errors.New("disk I/O error")

// failingStore is the real store with three writes and reads failing as a broken
// database would.
type failingStore struct{ *sqlstore.Store }

func (failingStore) SetPostDeleted(context.Context, int64, bool, time.Time) error { return errDisk }
func (failingStore) ListSessions(context.Context, int64) ([]*accounts.Session, error) {
	return nil, errDisk
}
func (f failingStore) InsertRecord(ctx context.Context, r *records.Record) error {
	if r.Kind == "silence" {
		return errDisk
	}
	return f.Store.InsertRecord(ctx, r)
}

// TestStoreErrorsNameTheOperation: a store failure reaching the caller of the forum,
// accounts and moderation services says what was being done and on what, and is still
// the store's error to errors.Is.
func TestStoreErrorsNameTheOperation(t *testing.T) {
	ctx := context.Background()
	real, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	st := failingStore{real}
	en, err := policy.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := forum.SeedBoards(ctx, st, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	log := audit.New(st, en, nil)
	guard := moderation.NewGuard(st)
	fo := forum.NewService(st, en, markup.New(), events.NewBus(nil),
		forum.Moderation{Guard: guard, Audit: log, Ledger: history.New(st)})
	mod := moderation.New(moderation.Config{Guard: guard, Policy: en, Forum: fo, Audit: log})
	acc := accounts.NewService(accounts.Config{Store: st, Roles: en, Audit: log})
	var admin, alice accounts.User
	for i, u := range []*accounts.User{&admin, &alice} {
		u.Username, u.PasswordHash, u.CreatedAt = []string{"laowang", "alice"}[i], "x", time.Now().UTC()
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := en.Grant(ctx, admin.ID, "admin", "*"); err != nil {
		t.Fatal(err)
	}
	_, p, err := fo.CreateThread(ctx, alice.ID, "xinyu", "标题", "正文")
	if err != nil {
		t.Fatal(err)
	}
	_, silenceErr := mod.SilenceUser(ctx, admin.ID, alice.ID, "xinyu", time.Hour, "测试")
	_, sessionsErr := acc.Sessions(ctx, alice.ID)
	for _, c := range []struct {
		service string
		err     error
		want    string
	}{
		{"forum", fo.DeletePost(ctx, alice.ID, p.ID), fmt.Sprintf("hide post %d: ", p.ID)},
		{"accounts", sessionsErr, fmt.Sprintf("list sessions of user %d: ", alice.ID)},
		{"moderation", silenceErr, fmt.Sprintf("silence user %d in board:xinyu: ", alice.ID)},
	} {
		if !errors.Is(c.err, errDisk) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: %v, want %q around the store's error", c.service, c.err, c.want)
		}
	}
}
