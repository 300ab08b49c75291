package storetest

import (
	"context"
	"errors"
	"testing"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/notify"
)

// NotifyStore is what the notifications suite needs: notifications, and the posts and
// users they are about.
type NotifyStore interface {
	accounts.Store
	forum.Store
	notify.Store
}

// Notify checks an engine's notify.Store: notifications and the notifier's checkpoint.
func Notify(t *testing.T, open func(*testing.T) NotifyStore) {
	tests[NotifyStore]{
		{"Notifications", testNotifications},
		{"NotificationOnce", testNotificationOnce},
		{"NotifyCheckpoint", testNotifyCheckpoint},
	}.run(t, open)
}

func testNotifications(t *testing.T, s NotifyStore) {
	ctx := context.Background()
	a, b := newUser(t, s, "quinn"), newUser(t, s, "rupert")
	var ids []int64
	for i := 0; i < 5; i++ {
		n := &notify.Notification{UserID: a.ID, Kind: notify.KindReply, ActorID: b.ID, ThreadID: 7, PostID: int64(100 + i), PostSeq: int64(2 + i), CreatedAt: at(i)}
		must(t, s.CreateNotification(ctx, n))
		ids = append(ids, n.ID)
	}
	must(t, s.CreateNotification(ctx, &notify.Notification{UserID: b.ID, Kind: notify.KindMention, ActorID: a.ID, ThreadID: 7, PostID: 99, PostSeq: 1, CreatedAt: at(0)}))
	page, err := s.ListNotifications(ctx, a.ID, 0, 3)
	must(t, err)
	if len(page) != 3 || page[0].ID != ids[4] || page[2].ID != ids[2] || page[0].PostSeq != 6 || page[0].Kind != notify.KindReply || !page[0].CreatedAt.Equal(at(4)) || page[0].Read {
		t.Fatalf("first page: %+v", page)
	}
	page, err = s.ListNotifications(ctx, a.ID, page[2].ID, 3)
	must(t, err)
	if len(page) != 2 || page[1].ID != ids[0] {
		t.Fatalf("second page: %+v", page)
	}
	if n, err := s.CountUnread(ctx, a.ID); err != nil || n != 5 {
		t.Fatalf("unread %d %v", n, err)
	}
	must(t, s.MarkRead(ctx, a.ID, []int64{ids[0], ids[1]}))
	must(t, s.MarkRead(ctx, b.ID, []int64{ids[2]})) // not b's: no effect
	if n, _ := s.CountUnread(ctx, a.ID); n != 3 {
		t.Fatalf("unread after marking two: %d", n)
	}
	must(t, s.MarkRead(ctx, a.ID, nil))
	if n, _ := s.CountUnread(ctx, a.ID); n != 0 {
		t.Fatalf("unread after marking all: %d", n)
	}
	if n, _ := s.CountUnread(ctx, b.ID); n != 1 {
		t.Fatalf("another user's notifications changed: %d", n)
	}
}

// testNotificationOnce: a second notification of the same user, post and kind is a
// conflict and stores nothing; another kind or another user is a new one.
func testNotificationOnce(t *testing.T, s NotifyStore) {
	ctx := context.Background()
	a, b := newUser(t, s, "una"), newUser(t, s, "vic")
	n := &notify.Notification{UserID: a.ID, Kind: notify.KindReply, ActorID: b.ID, ThreadID: 3, PostID: 40, PostSeq: 2, CreatedAt: at(1)}
	must(t, s.CreateNotification(ctx, n))
	again := *n
	again.ID = 0
	if err := s.CreateNotification(ctx, &again); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("second notification of one user, post and kind: %v, want a conflict", err)
	}
	must(t, s.CreateNotification(ctx, &notify.Notification{UserID: a.ID, Kind: notify.KindMention, ActorID: b.ID, ThreadID: 3, PostID: 40, PostSeq: 2, CreatedAt: at(1)}))
	must(t, s.CreateNotification(ctx, &notify.Notification{UserID: b.ID, Kind: notify.KindReply, ActorID: a.ID, ThreadID: 3, PostID: 40, PostSeq: 2, CreatedAt: at(1)}))
	if ns, err := s.ListNotifications(ctx, a.ID, 0, 10); err != nil || len(ns) != 2 {
		t.Fatalf("a's notifications: %d %v", len(ns), err)
	}
}

// testNotifyCheckpoint: a fresh store's checkpoint is before every post, and posts do
// not move it; it moves only from the value the mover read; the posts after it come in
// id order, held and hidden ones included.
func testNotifyCheckpoint(t *testing.T, s NotifyStore) {
	ctx := context.Background()
	u, b := newUser(t, s, "wen"), newBoard(t, s, "outbox", 1)
	th, first := newThread(t, s, b, u, "出站", at(1))
	r1 := reply(t, s, th, u, "一", at(2))
	cp, err := s.NotifyCheckpoint(ctx)
	must(t, err)
	if cp >= first.ID {
		t.Fatalf("a fresh store's checkpoint %d is not before its first post %d", cp, first.ID)
	}
	if ok, err := s.AdvanceNotifyCheckpoint(ctx, cp, r1.ID); err != nil || !ok {
		t.Fatalf("advance to %d: %v %v", r1.ID, ok, err)
	}
	cp = r1.ID
	held := &forum.Post{ThreadID: th.ID, AuthorID: u.ID, Body: "待审", HTML: "待审", CreatedAt: at(3), Held: true}
	must(t, s.CreatePost(ctx, held))
	r3 := reply(t, s, th, u, "三", at(4))
	must(t, s.SetPostDeleted(ctx, r3.ID, true, at(5)))
	r4 := reply(t, s, th, u, "四", at(6))
	if again, err := s.NotifyCheckpoint(ctx); err != nil || again != cp {
		t.Fatalf("checkpoint moved by itself: %d %v", again, err)
	}
	ps, err := s.PostsAfterID(ctx, first.ID, 10)
	must(t, err)
	var ids []int64
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	if len(ps) != 4 || ids[0] != r1.ID || ids[1] != held.ID || ids[2] != r3.ID || ids[3] != r4.ID || !ps[1].Held || !ps[2].Deleted {
		t.Fatalf("posts after %d: %v", first.ID, ids)
	}
	if ps, _ := s.PostsAfterID(ctx, r1.ID, 2); len(ps) != 2 || ps[0].ID != held.ID {
		t.Fatalf("limited page after %d: %d posts", r1.ID, len(ps))
	}
	if ok, err := s.AdvanceNotifyCheckpoint(ctx, cp-1, r4.ID); err != nil || ok {
		t.Fatalf("advance from a stale value: %v %v, want refused", ok, err)
	}
	if ok, err := s.AdvanceNotifyCheckpoint(ctx, cp, r3.ID); err != nil || !ok {
		t.Fatalf("advance: %v %v", ok, err)
	}
	if ok, _ := s.AdvanceNotifyCheckpoint(ctx, cp, r4.ID); ok {
		t.Fatal("a second advance from the same value succeeded")
	}
	if got, err := s.NotifyCheckpoint(ctx); err != nil || got != r3.ID {
		t.Fatalf("checkpoint %d %v, want %d", got, err, r3.ID)
	}
}
