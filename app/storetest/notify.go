package storetest

import (
	"context"
	"errors"
	"testing"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/notify"
)

// testNotificationOnce: a second notification of the same user, post and kind is a
// conflict and stores nothing; another kind or another user is a new one.
func testNotificationOnce(t *testing.T, s Store) {
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
func testNotifyCheckpoint(t *testing.T, s Store) {
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
