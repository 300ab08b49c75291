package notify_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/events"
	"jiayuan/app/forum"
	"jiayuan/app/markup"
	"jiayuan/app/notify"
	"jiayuan/app/sqlstore"
	"jiayuan/app/testkit"
	"jiayuan/policy"
)

// world is a store with the forum over it and two people, alice and bob.
type world struct {
	t          *testing.T
	st         *sqlstore.Store
	forum      *forum.Service
	bus        *events.Bus
	log        *slog.Logger
	policy     *policy.Enforcer
	alice, bob *accounts.User
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "jiayuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	en, err := policy.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, st: st, log: slog.New(slog.NewTextHandler(io.Discard, nil)), policy: en}
	w.bus = events.NewBus(w.log)
	w.forum = forum.NewService(st, en, markup.New(), w.bus, forum.Moderation{})
	if err := forum.SeedBoards(ctx, st, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	for _, u := range []**accounts.User{&w.alice, &w.bob} {
		*u = &accounts.User{Username: map[bool]string{true: "alice", false: "bob"}[u == &w.alice], PasswordHash: "x", CreatedAt: time.Now().UTC()}
		if err := st.CreateUser(ctx, *u); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// service makes a notifier over the world's store, following its bus.
func (w *world) service() *notify.Service {
	s := notify.NewService(w.st, w.forum, w.st, w.bus, w.log)
	w.bus.Subscribe(s.Handle)
	return s
}

// run starts s until the returned stop is called; stop waits for it to end.
func run(t *testing.T, s *notify.Service) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

// replies has bob answer alice's opening post n times.
func (w *world) replies(tid, to int64, n int) []int64 {
	w.t.Helper()
	var ids []int64
	for i := 0; i < n; i++ {
		p, err := w.forum.Reply(context.Background(), w.bob.ID, tid, "回复", to)
		if err != nil {
			w.t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	return ids
}

// waitOwed polls until alice has a reply notification for each of want, then checks
// that there is exactly one for each and nothing else.
func (w *world) waitOwed(want []int64) {
	w.t.Helper()
	var ns []*notify.Notification
	// A miss is reported below, notification by notification.
	testkit.Poll(10*time.Second, func() bool {
		var err error
		if ns, err = w.st.ListNotifications(context.Background(), w.alice.ID, 0, 10000); err != nil {
			w.t.Fatal(err)
		}
		return len(ns) >= len(want)
	})
	seen := map[int64]int{}
	for _, n := range ns {
		if n.Kind != notify.KindReply || n.ActorID != w.bob.ID {
			w.t.Errorf("unexpected notification %+v", n)
		}
		seen[n.PostID]++
	}
	for _, id := range want {
		if seen[id] != 1 {
			w.t.Errorf("reply %d: %d notifications, want 1", id, seen[id])
		}
	}
	if len(ns) != len(want) {
		w.t.Fatalf("%d notifications, want %d", len(ns), len(want))
	}
}

func (w *world) thread() (int64, int64) {
	w.t.Helper()
	th, p, err := w.forum.CreateThread(context.Background(), w.alice.ID, "xinyu", "周记", "请大家看看")
	if err != nil {
		w.t.Fatal(err)
	}
	return th.ID, p.ID
}

// TestFullQueueLosesNothing: events pile up far past any queue while the worker is not
// running; once it runs, every reply owed a notification has exactly one.
func TestFullQueueLosesNothing(t *testing.T) {
	w := newWorld(t)
	s := w.service()
	tid, first := w.thread()
	for i := 0; i < 20000; i++ { // alice's own post owes nothing
		s.Handle(events.Event{Type: events.PostCreated, ThreadID: tid, PostID: first})
	}
	want := w.replies(tid, first, 30)
	run(t, s)
	w.waitOwed(want)
}

// TestRestartResumes: a notifier stopped before it wrote what replies owed, and one
// that crashed after writing a notification but before moving its checkpoint: the next
// notifier over the same database writes every one, none twice.
func TestRestartResumes(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	first := w.service()
	stop := run(t, first)
	tid, op := w.thread()
	done := w.replies(tid, op, 1)
	w.waitOwed(done)
	stop()
	later := w.replies(tid, op, 9)
	// As if the last one's notification was stored just before a crash.
	last, err := w.forum.PostByID(ctx, later[8])
	if err != nil {
		t.Fatal(err)
	}
	if err := first.NotifyUser(ctx, w.alice.ID, notify.KindReply, w.bob.ID, last); err != nil {
		t.Fatal(err)
	}
	run(t, w.service())
	w.waitOwed(append(done, later...))
}

// TestTwoNodesNotifyOnce: two notifiers over one database (two nodes) both work on the
// same posts; each notification is stored once and pushed once.
func TestTwoNodesNotifyOnce(t *testing.T) {
	w := newWorld(t)
	var mu sync.Mutex
	pushed := map[int64]int{}
	w.bus.Subscribe(func(e events.Event) {
		if e.Type == events.Notification {
			mu.Lock()
			pushed[e.PostID]++
			mu.Unlock()
		}
	})
	a, b := w.service(), w.service()
	run(t, a)
	run(t, b)
	tid, op := w.thread()
	want := w.replies(tid, op, 60)
	w.waitOwed(want)
	mu.Lock()
	defer mu.Unlock()
	for _, id := range want {
		if pushed[id] != 1 {
			t.Errorf("reply %d pushed %d times", id, pushed[id])
		}
	}
}

// gappy is a store where one post is not yet visible to the notifier, as a MongoDB post
// whose id was allocated but whose insert has not landed while a later one has.
type gappy struct {
	*sqlstore.Store
	hide  atomic.Int64
	reads atomic.Int64 // reads that left the hidden post out
}

func (g *gappy) PostsAfterID(ctx context.Context, after int64, limit int) ([]*forum.Post, error) {
	ps, err := g.Store.PostsAfterID(ctx, after, limit)
	out := ps[:0]
	for _, p := range ps {
		if p.ID == g.hide.Load() {
			g.reads.Add(1)
			continue
		}
		out = append(out, p)
	}
	return out, err
}

// TestMissingIDHoldsTheCheckpoint: a post that lands after a later one is still
// notified (the checkpoint waits for it), and one that never lands holds nothing back
// for long.
func TestMissingIDHoldsTheCheckpoint(t *testing.T) {
	w := newWorld(t)
	g := &gappy{Store: w.st}
	tid, op := w.thread()
	g.hide.Store(op + 1) // the first reply to come
	s := notify.NewService(g, w.forum, w.st, w.bus, w.log)
	w.bus.Subscribe(s.Handle)
	run(t, s)
	late := w.replies(tid, op, 3)
	testkit.Eventually(t, 10*time.Second, "the worker to come back to the gap", func() bool { return g.reads.Load() >= 2 })
	g.hide.Store(0)
	w.waitOwed(late)

	w2 := newWorld(t)
	g2 := &gappy{Store: w2.st}
	tid, op = w2.thread()
	g2.hide.Store(op + 1) // never lands
	s2 := notify.NewService(g2, w2.forum, w2.st, w2.bus, w2.log)
	notify.SetGapWait(s2, 50*time.Millisecond)
	w2.bus.Subscribe(s2.Handle)
	run(t, s2)
	w2.waitOwed(w2.replies(tid, op, 3)[1:])
}

// TestApprovalBehindManyHeldPosts: with 150 posts held, approving the oldest notifies
// for it at once (the approval names the post), and one approved on a node whose event
// never came is found by the sweep, which looks through every held post, not only the
// newest.
func TestApprovalBehindManyHeldPosts(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tid, op := w.thread()
	held := w.replies(tid, op, 150)
	for _, id := range held {
		if err := w.st.SetPostHeld(ctx, id, true, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
	}
	stop := run(t, w.service())
	testkit.Eventually(t, 10*time.Second, "the checkpoint to pass the held posts", func() bool {
		cp, err := w.st.NotifyCheckpoint(ctx)
		return err == nil && cp >= held[len(held)-1]
	})
	w.waitOwed(nil)
	if err := w.policy.Grant(ctx, w.bob.ID, "admin", "*"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.forum.Review(ctx, w.bob.ID, held[0], true); err != nil {
		t.Fatal(err)
	}
	w.waitOwed(held[:1])

	// As an approval made while no worker ran, its event lost: the next worker's
	// sweep finds it behind the 148 still held.
	stop()
	if err := w.st.SetPostHeld(ctx, held[1], false, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	run(t, w.service())
	w.waitOwed(held[:2])
}

// kinds returns what a user has been told, by kind, as post ids.
func (w *world) kinds(userID int64) map[string][]int64 {
	w.t.Helper()
	ns, err := w.st.ListNotifications(context.Background(), userID, 0, 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string][]int64{}
	for _, n := range ns {
		out[n.Kind] = append(out[n.Kind], n.PostID)
	}
	return out
}

// TestThreadAuthorHearsEveryReply: a reply to someone else's post in alice's thread
// tells alice (thread_reply) and the post's author (reply); one to her own post tells her
// once, as a reply; her own reply in her own thread tells nobody.
func TestThreadAuthorHearsEveryReply(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	run(t, w.service())
	tid, op := w.thread()
	toOP := w.replies(tid, op, 1)[0] // bob to alice's post
	own, err := w.forum.Reply(ctx, w.alice.ID, tid, "我自己的回复", 0)
	if err != nil {
		t.Fatal(err)
	}
	// bob answers alice's own reply, then alice answers bob: one each, never twice.
	toOwn, err := w.forum.Reply(ctx, w.bob.ID, tid, "回复你的回复", own.ID)
	if err != nil {
		t.Fatal(err)
	}
	toBob, err := w.forum.Reply(ctx, w.alice.ID, tid, "谢谢", toOP)
	if err != nil {
		t.Fatal(err)
	}
	nobody, err := w.forum.Reply(ctx, w.bob.ID, tid, "再补充一点", 0)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "the worker to reach the last reply", func() bool {
		cp, err := w.st.NotifyCheckpoint(ctx)
		return err == nil && cp >= nobody.ID
	})
	alice, bob := w.kinds(w.alice.ID), w.kinds(w.bob.ID)
	if len(alice) != 2 || len(alice["reply"]) != 2 || alice["reply"][0] != toOwn.ID || alice["reply"][1] != toOP ||
		len(alice["thread_reply"]) != 1 || alice["thread_reply"][0] != nobody.ID {
		t.Errorf("alice: %v", alice)
	}
	if len(bob) != 1 || len(bob["reply"]) != 1 || bob["reply"][0] != toBob.ID {
		t.Errorf("bob: %v (alice's own reply in her thread, %d, tells nobody)", bob, own.ID)
	}
}

// TestHeldPostsAuthorHearsTheDecision: the author of a held post is told when a
// moderator approves it and when one declines it, once each.
func TestHeldPostsAuthorHearsTheDecision(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tid, op := w.thread()
	held := w.replies(tid, op, 2)
	for _, id := range held {
		if err := w.st.SetPostHeld(ctx, id, true, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
	}
	run(t, w.service())
	testkit.Eventually(t, 10*time.Second, "the checkpoint to pass the held posts", func() bool {
		cp, err := w.st.NotifyCheckpoint(ctx)
		return err == nil && cp >= held[1]
	})
	if got := w.kinds(w.bob.ID); len(got) != 0 {
		t.Fatalf("told before a decision: %v", got)
	}
	if err := w.policy.Grant(ctx, w.alice.ID, "admin", "*"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.forum.Review(ctx, w.alice.ID, held[0], true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.forum.Review(ctx, w.alice.ID, held[1], false); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "bob to hear both decisions", func() bool {
		got := w.kinds(w.bob.ID)
		return len(got[notify.KindApproved]) == 1 && len(got[notify.KindDeclined]) == 1
	})
	if got := w.kinds(w.bob.ID); got[notify.KindApproved][0] != held[0] || got[notify.KindDeclined][0] != held[1] || len(got) != 2 {
		t.Fatalf("bob: %v", got)
	}
}

// hideable has bob reply in alice's thread and makes alice an admin who may hide it.
func (w *world) hideable() *forum.Post {
	w.t.Helper()
	ctx := context.Background()
	tid, op := w.thread()
	id := w.replies(tid, op, 1)[0]
	if err := w.policy.Grant(ctx, w.alice.ID, "admin", "*"); err != nil {
		w.t.Fatal(err)
	}
	p, err := w.forum.PostFor(ctx, w.alice.ID, id, "delete")
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// TestHideNotifiedAfterACrash: a node that stored what a hide owes and hid the post,
// then died before the notification, leaves it to the other workers: a running one,
// which never heard of the hide, writes it before its Drain returns, with the reason,
// and a new one finds nothing more to do.
func TestHideNotifiedAfterACrash(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	p := w.hideable()
	other := notify.NewService(w.st, w.forum, w.st, w.bus, w.log) // not on the bus: another node
	stop := run(t, other)
	if err := other.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	dead := notify.NewService(w.st, w.forum, w.st, w.bus, w.log) // never runs
	if err := dead.OweHidden(ctx, w.alice.ID, p, "广告"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.forum.HidePost(ctx, w.alice.ID, p.ID, "广告"); err != nil {
		t.Fatal(err)
	}
	if got := w.kinds(w.bob.ID); len(got) != 0 {
		t.Fatalf("told by a node that never ran: %v", got)
	}
	if err := other.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	stop()
	check := func(when string) {
		t.Helper()
		ns, err := w.st.ListNotifications(ctx, w.bob.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 1 || ns[0].Kind != notify.KindHidden || ns[0].PostID != p.ID || ns[0].ActorID != w.alice.ID {
			t.Fatalf("bob's notifications %s: %+v", when, ns)
		}
		if reason, err := dead.HiddenReason(ctx, p.ID); err != nil || reason != "广告" {
			t.Fatalf("reason %s: %q, %v", when, reason, err)
		}
		if st := notify.HideState(ctx, dead, p.ID); st != "done" {
			t.Fatalf("the hide record %s: %q", when, st)
		}
	}
	check("after the drain")
	s := w.service()
	run(t, s)
	if err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	check("after a restart")
}

// TestHideThatNeverHappenedIsVoided: what a hide owes, stored before a hide that
// failed, waits out the grace, is voided then and tells nobody; Drain does not wait for it.
func TestHideThatNeverHappenedIsVoided(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	p := w.hideable()
	var now atomic.Int64
	now.Store(time.Now().UnixMilli())
	s := w.service()
	notify.SetClock(s, func() time.Time { return time.UnixMilli(now.Load()).UTC() })
	if err := s.OweHidden(ctx, w.alice.ID, p, "广告"); err != nil {
		t.Fatal(err)
	}
	stop := run(t, s)
	if err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	stop()
	now.Add((30 * time.Second).Milliseconds())
	if err := notify.ReleaseHides(ctx, s); err != nil {
		t.Fatal(err)
	}
	if st := notify.HideState(ctx, s, p.ID); st != "owed" {
		t.Fatalf("within the grace the record is %q", st)
	}
	now.Add((time.Minute).Milliseconds())
	if err := notify.ReleaseHides(ctx, s); err != nil {
		t.Fatal(err)
	}
	if st := notify.HideState(ctx, s, p.ID); st != "void" {
		t.Fatalf("after the grace the record is %q", st)
	}
	if got := w.kinds(w.bob.ID); len(got) != 0 {
		t.Fatalf("told of a hide that never happened: %v", got)
	}
	if reason, err := s.HiddenReason(ctx, p.ID); err != nil || reason != "" {
		t.Fatalf("reason %q, %v", reason, err)
	}
}
