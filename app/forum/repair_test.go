package forum_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/forum"
	"jiayuan/app/l10n"
	"jiayuan/app/sqlstore"
)

// replyingStore lets a reply land after the repair has read the posts and before it
// writes, as a live server's would.
type replyingStore struct {
	*sqlstore.Store
	during func()
}

func (r *replyingStore) EachPostSeq(ctx context.Context, fn func(int64, int64, time.Time) error) error {
	err := r.Store.EachPostSeq(ctx, fn)
	if r.during != nil {
		r.during()
		r.during = nil
	}
	return err
}

// TestRepairBesideWrites: a reply that comes in while the repair runs is not counted
// away: its thread's fix is skipped and reported, and the next run finishes the job.
func TestRepairBesideWrites(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "jiayuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := &accounts.User{Username: "live", DisplayName: "l", PasswordHash: "h", CreatedAt: now}
	b := &forum.Board{Slug: "live", Name: l10n.Text{"zh-Hans": "家·live"}, CreatedAt: now}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateBoard(ctx, b); err != nil {
		t.Fatal(err)
	}
	th := &forum.Thread{BoardID: b.ID, Title: "t", AuthorID: u.ID, CreatedAt: now, LastActivityAt: now}
	if err := st.CreateThread(ctx, th, &forum.Post{AuthorID: u.ID, Body: "b", HTML: "b", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	// Broken: ten replies counted that do not exist.
	if ok, err := st.SetThreadCounts(ctx, th.ID, forum.ThreadCounts{LastSeq: 1, LastActivityAt: now},
		forum.ThreadCounts{ReplyCount: 10, LastSeq: 1, LastActivityAt: now}); err != nil || !ok {
		t.Fatalf("corrupt: %v %v", ok, err)
	}
	rs := &replyingStore{Store: st, during: func() {
		if err := st.CreatePost(ctx, &forum.Post{ThreadID: th.ID, AuthorID: u.ID, Body: "r", HTML: "r", CreatedAt: now.Add(time.Second)}); err != nil {
			t.Error(err)
		}
	}}
	rep, err := forum.Repair(ctx, rs, false, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.ThreadFixes) != 1 || !rep.ThreadFixes[0].Skipped {
		t.Fatalf("the fix of a thread replied to meanwhile was not skipped: %+v", rep.ThreadFixes)
	}
	rep, err = forum.Repair(ctx, rs, false, now)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := st.ThreadByID(ctx, th.ID)
	if len(rep.ThreadFixes) != 1 || rep.ThreadFixes[0].Skipped || got.ReplyCount != 1 || got.LastSeq != 2 {
		t.Fatalf("second run: fixes %+v, thread %+v", rep.ThreadFixes, got)
	}
	if rep, _ := forum.Repair(ctx, rs, false, now); rep.Changed() {
		t.Fatalf("third run changed things: %+v", rep)
	}
}
