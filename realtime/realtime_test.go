package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"jiayuan/app/events"
	"jiayuan/app/fault"
	"jiayuan/app/testkit"
)

// fakeConn is a websocket connection driven by the test: it reads what the test sends
// and records what the server writes.
type fakeConn struct {
	in       chan []byte
	mu       sync.Mutex
	out      [][]byte
	closed   chan struct{}
	once     sync.Once
	closeMsg string
	block    chan struct{} // when set, writes wait on it (a slow reader)
	writes   atomic.Int32  // writes begun, finished or not
}

func newFakeConn() *fakeConn {
	return &fakeConn{in: make(chan []byte, 1000), closed: make(chan struct{})}
}

func (f *fakeConn) ReadMessage() (int, []byte, error) {
	select {
	case b := <-f.in:
		if len(b) > MaxFrameBytes {
			return 0, nil, websocket.ErrReadLimit
		}
		return websocket.TextMessage, b, nil
	case <-f.closed:
		return 0, nil, io.EOF
	}
}

func (f *fakeConn) WriteMessage(_ int, b []byte) error {
	f.writes.Add(1)
	if f.block != nil {
		// A peer that does not read: the write deadline expires.
		select {
		case <-f.block:
		case <-f.closed:
			return io.EOF
		case <-time.After(100 * time.Millisecond):
			return errors.New("i/o timeout")
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out = append(f.out, b)
	return nil
}

func (f *fakeConn) WriteControl(kind int, b []byte, _ time.Time) error {
	if kind == websocket.CloseMessage {
		f.mu.Lock()
		f.closeMsg = string(b)
		f.mu.Unlock()
	}
	return nil
}
func (f *fakeConn) SetReadLimit(int64)                {}
func (f *fakeConn) SetReadDeadline(time.Time) error   { return nil }
func (f *fakeConn) SetWriteDeadline(time.Time) error  { return nil }
func (f *fakeConn) SetPongHandler(func(string) error) {}
func (f *fakeConn) Close() error                      { f.once.Do(func() { close(f.closed) }); return nil }

func (f *fakeConn) send(m any) {
	b, _ := json.Marshal(m)
	f.in <- b
}

// messages returns what the server has written so far, decoded.
func (f *fakeConn) messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Message, len(f.out))
	for i, b := range f.out {
		_ = json.Unmarshal(b, &out[i])
	}
	return out
}

// waitFor waits until the server has written a message satisfying ok.
func (f *fakeConn) waitFor(t *testing.T, what string, ok func([]Message) bool) []Message {
	t.Helper()
	var m []Message
	if !testkit.Poll(5*time.Second, func() bool { m = f.messages(); return ok(m) }) {
		t.Fatalf("timed out waiting for %s; got %+v", what, m)
	}
	return m
}

// fakeBackend is a thread store in memory. During a backlog read it can run a hook, to
// land posts exactly at the seam.
type fakeBackend struct {
	mu       sync.Mutex
	posts    map[int64][]int64 // thread → seqs
	onRead   func()
	released map[int64]bool // post ids approved after being held
	held     map[int64]bool // seqs waiting for review: left out of reads
}

func (b *fakeBackend) Authorize(_ context.Context, uid int64, ch string) (int64, error) {
	if ch == "thread:404" {
		return 0, fault.NotFound("thread")
	}
	if ch == "board:secret" {
		return 0, fault.Forbidden("no")
	}
	if id, ok := ThreadOf(ch); ok {
		b.mu.Lock()
		defer b.mu.Unlock()
		return int64(len(b.posts[id])), nil
	}
	return 0, nil
}

func (b *fakeBackend) add(thread int64) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	seq := int64(len(b.posts[thread]) + 1)
	b.posts[thread] = append(b.posts[thread], seq)
	return seq
}

func (b *fakeBackend) PostsAfter(_ context.Context, thread, after int64, limit int) ([]json.RawMessage, []int64, error) {
	if b.onRead != nil {
		b.onRead()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []json.RawMessage
	var seqs []int64
	for _, s := range b.posts[thread] {
		if s > after && len(seqs) < limit && !b.held[s] {
			out = append(out, json.RawMessage(fmt.Sprintf(`{"seq":%d}`, s)))
			seqs = append(seqs, s)
		}
	}
	return out, seqs, nil
}

func (b *fakeBackend) Post(_ context.Context, id int64) (json.RawMessage, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return json.RawMessage(fmt.Sprintf(`{"id":%d}`, id)), b.released[id], nil
}

func (b *fakeBackend) Thread(_ context.Context, id int64) (json.RawMessage, string, error) {
	return json.RawMessage(fmt.Sprintf(`{"id":%d}`, id)), "xinyu", nil
}

// The fake's answers never change: the tests of who may hear what run against the
// real forum and policy, in app/web.
func (b *fakeBackend) Visible(int64, string, string) error { return nil }

func (b *fakeBackend) Where(_ context.Context, ch string) (string, error) {
	if _, ok := ThreadOf(ch); ok {
		return "xinyu", nil
	}
	return "", nil
}

func (b *fakeBackend) ChangedSince(context.Context, int64, int64, time.Time, int) ([]Change, bool, error) {
	return nil, false, nil
}

type rig struct {
	hub     *Hub
	srv     *Server
	backend *fakeBackend
	feeder  *Feeder
}

func newRig(t *testing.T) *rig {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := &fakeBackend{posts: map[int64][]int64{}}
	h := NewHub()
	r := &rig{hub: h, srv: NewServer(h, b, log), backend: b, feeder: NewFeeder(h, b, log)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go r.feeder.Run(ctx)
	return r
}

func (r *rig) connect(t *testing.T, uid int64) *fakeConn {
	c := newFakeConn()
	go r.srv.Serve(c, uid)
	t.Cleanup(func() { c.Close() })
	return c
}

// reply stores a post and publishes its event, as a committed reply does.
func (r *rig) reply(thread int64) int64 {
	seq := r.backend.add(thread)
	r.feeder.Handle(events.Event{Type: events.PostCreated, ThreadID: thread, BoardSlug: "xinyu", PostID: 1000 + seq, Seq: seq})
	return seq
}

// published says whether the feeder published a thread's posts up to seq within five
// seconds; unlike waitFor it may be called from any goroutine.
func (r *rig) published(thread, seq int64) bool {
	return testkit.Poll(5*time.Second, func() bool {
		last, _ := r.feeder.last.Get(thread)
		return last >= seq
	})
}

func seqsOf(ms []Message, typ string) []int64 {
	var out []int64
	for _, m := range ms {
		if m.Type == typ {
			out = append(out, m.Seq)
		}
	}
	return out
}

func TestCatchUpThenLive(t *testing.T) {
	r := newRig(t)
	for i := 0; i < 5; i++ {
		r.reply(1)
	}
	c := r.connect(t, 7)
	c.send(map[string]any{"type": "subscribe", "channel": "thread:1", "after": 2})
	ms := c.waitFor(t, "subscribed", func(ms []Message) bool { return len(seqsOf(ms, TypeSubscribed)) == 1 })
	if got := fmt.Sprint(seqsOf(ms, TypePostCreated)); got != "[3 4 5]" {
		t.Fatalf("backlog seqs %s, want [3 4 5]", got)
	}
	if ms[len(ms)-1].Seq != 5 || ms[len(ms)-1].Type != TypeSubscribed {
		t.Fatalf("subscribed must follow the backlog with the latest seq: %+v", ms[len(ms)-1])
	}
	r.reply(1)
	c.waitFor(t, "live post 6", func(ms []Message) bool { return fmt.Sprint(seqsOf(ms, TypePostCreated)) == "[3 4 5 6]" })
}

// TestSeam: replies that land while the backlog is being read arrive exactly once, in
// order, whichever side of the seam they fall on.
func TestSeam(t *testing.T) {
	r := newRig(t)
	for i := 0; i < 3; i++ {
		r.reply(1)
	}
	if !r.published(1, 3) { // before anyone listens
		t.Fatal("the feeder did not publish 1–3")
	}
	var once sync.Once
	r.backend.onRead = func() {
		once.Do(func() {
			// Stored and published during the backlog read: 4–6 come live (held until
			// the backlog is sent) and in the backlog the read returns.
			for i := 0; i < 3; i++ {
				r.reply(1)
			}
			if !r.published(1, 6) {
				t.Error("the feeder did not publish 4–6 during the backlog read")
			}
		})
	}
	c := r.connect(t, 7)
	c.send(map[string]any{"type": "subscribe", "channel": "thread:1", "after": 1})
	c.waitFor(t, "subscribed", func(ms []Message) bool { return len(seqsOf(ms, TypeSubscribed)) == 1 })
	r.reply(1)
	ms := c.waitFor(t, "post 7", func(ms []Message) bool {
		s := seqsOf(ms, TypePostCreated)
		return len(s) > 0 && s[len(s)-1] == 7
	})
	if got := fmt.Sprint(seqsOf(ms, TypePostCreated)); got != "[2 3 4 5 6 7]" {
		t.Fatalf("seqs %s, want [2 3 4 5 6 7]: a gap or a duplicate at the seam", got)
	}
}

// TestGapFill: an event that arrives ahead of one still missing makes the feeder read
// the missing post from the database first, so subscribers see seq order.
func TestGapFill(t *testing.T) {
	r := newRig(t)
	r.reply(1)
	c := r.connect(t, 7)
	c.send(map[string]any{"type": "subscribe", "channel": "thread:1"})
	c.waitFor(t, "subscribed", func(ms []Message) bool { return len(seqsOf(ms, TypeSubscribed)) == 1 })
	r.backend.add(1) // seq 2 committed, its event lost
	r.reply(1)       // seq 3 published
	c.waitFor(t, "2 then 3", func(ms []Message) bool { return fmt.Sprint(seqsOf(ms, TypePostCreated)) == "[2 3]" })
}

func TestRefusalsAndBadInput(t *testing.T) {
	r := newRig(t)
	c := r.connect(t, 0)
	cases := []struct {
		send any
		code string
	}{
		{map[string]any{"type": "subscribe", "channel": "thread:404"}, "not_found"},
		{map[string]any{"type": "subscribe", "channel": "board:secret"}, "forbidden"},
		{map[string]any{"type": "dance"}, "unknown_type"},
		{"not json", "bad_message"},
		{map[string]any{"type": "unsubscribe", "channel": "board:x"}, "not_subscribed"},
	}
	for i, tc := range cases {
		if s, ok := tc.send.(string); ok {
			c.in <- []byte(s)
		} else {
			c.send(tc.send)
		}
		ms := c.waitFor(t, tc.code, func(ms []Message) bool { return len(ms) > i })
		if ms[i].Type != TypeError || ms[i].Code != tc.code || ms[i].Message == "" {
			t.Fatalf("case %d: got %+v, want error %s", i, ms[i], tc.code)
		}
	}
	if n := r.hub.Subscribers("thread:404") + r.hub.Subscribers("board:secret"); n != 0 {
		t.Fatalf("a refused subscription joined a channel")
	}
	c.send(map[string]any{"type": "ping"})
	c.waitFor(t, "pong", func(ms []Message) bool { return ms[len(ms)-1].Type == TypePong })
}

func TestSubscriptionLimit(t *testing.T) {
	r := newRig(t)
	c := r.connect(t, 1)
	for i := 0; i <= MaxSubscriptions; i++ {
		c.send(map[string]any{"type": "subscribe", "channel": fmt.Sprintf("board:b%d", i)})
	}
	ms := c.waitFor(t, "the refusal", func(ms []Message) bool { return len(ms) == MaxSubscriptions+1 })
	if last := ms[len(ms)-1]; last.Code != "too_many_subscriptions" {
		t.Fatalf("51st subscription: %+v", last)
	}
}

// TestSlowConsumerIsDropped: a reader that stops reading is cut off; the publisher and
// the other readers go on.
func TestSlowConsumerIsDropped(t *testing.T) {
	r := newRig(t)
	slow, fast := newFakeConn(), r.connect(t, 2)
	slow.block = make(chan struct{})
	done := make(chan struct{})
	go func() { r.srv.Serve(slow, 1); close(done) }()
	for _, c := range []*fakeConn{slow, fast} {
		c.send(map[string]any{"type": "subscribe", "channel": "thread:9"})
	}
	fast.waitFor(t, "subscribed", func(ms []Message) bool { return len(ms) == 1 })
	// The slow reader is live once its `subscribed` is being written (and stuck): posts
	// that came before would wait in its backlog, where nothing is dropped.
	testkit.Eventually(t, 5*time.Second, "the slow reader's subscribed", func() bool { return slow.writes.Load() == 1 })
	for i := 0; i < queueSize+50; i++ {
		r.reply(9)
		if i%16 == 0 {
			// Paces the writer and waits for nothing: a busy thread, not one burst, so
			// the fast reader keeps up. (Waiting for it instead would let the slow
			// reader's blocked write time out before its queue overflows.)
			time.Sleep(time.Millisecond)
		}
	}
	fast.waitFor(t, "every post", func(ms []Message) bool { return len(seqsOf(ms, TypePostCreated)) == queueSize+50 })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the slow consumer was not dropped")
	}
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if !strings.Contains(slow.closeMsg, "slow consumer") {
		t.Fatalf("close reason %q", slow.closeMsg)
	}
}

func TestFloodAndOversizedFrames(t *testing.T) {
	r := newRig(t)
	c := newFakeConn()
	done := make(chan struct{})
	go func() { r.srv.Serve(c, 1); close(done) }()
	for i := 0; i < rateBurst+floodLimit+5; i++ {
		c.send(map[string]any{"type": "ping"})
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a flooding socket was not closed")
	}
	if !strings.Contains(c.closeMsg, "too many messages") {
		t.Fatalf("close reason %q", c.closeMsg)
	}
	limited := 0
	for _, m := range c.messages() {
		if m.Code == "rate_limited" {
			limited++
		}
	}
	if ms := c.messages(); len(seqsOf(ms, TypePong)) == 0 || limited == 0 {
		t.Fatal("the flood was not answered with pongs, then rate_limited, before the close")
	}

	big := newFakeConn()
	done2 := make(chan struct{})
	go func() { r.srv.Serve(big, 1); close(done2) }()
	big.in <- []byte(`{"type":"ping","pad":"` + strings.Repeat("x", MaxFrameBytes) + `"}`)
	select {
	case <-done2:
	case <-time.After(5 * time.Second):
		t.Fatal("an oversized frame did not close the socket")
	}
	if !strings.Contains(big.closeMsg, "64 KiB") {
		t.Fatalf("close reason %q", big.closeMsg)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	r := newRig(t)
	before := runtime.NumGoroutine()
	for i := 0; i < 200; i++ {
		c := newFakeConn()
		done := make(chan struct{})
		go func() { r.srv.Serve(c, 1); close(done) }()
		c.send(map[string]any{"type": "subscribe", "channel": "thread:3"})
		c.Close()
		<-done
	}
	if n := r.hub.Clients(); n != 0 {
		t.Fatalf("%d clients left in the hub", n)
	}
	if n := r.hub.Subscribers("thread:3"); n != 0 {
		t.Fatalf("%d subscribers left", n)
	}
	// A connection's reader and writer may end just after Serve returns.
	testkit.Eventually(t, 5*time.Second, fmt.Sprintf("the goroutines of 200 closed connections to end (%d before)", before),
		func() bool { return runtime.NumGoroutine() <= before })
}

// serveAs runs a connection with an identity and reports when it ends.
func (r *rig) serveAs(t *testing.T, id Identity) (*fakeConn, chan struct{}) {
	c := newFakeConn()
	done := make(chan struct{})
	go func() { r.srv.ServeAs(c, id); close(done) }()
	t.Cleanup(func() { c.Close() })
	return c, done
}

func waitClosed(t *testing.T, c *fakeConn, done chan struct{}, reason string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("the socket was not closed (%s)", reason)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !strings.Contains(c.closeMsg, reason) {
		t.Fatalf("close reason %q, want %q", c.closeMsg, reason)
	}
}

// TestCloseAllAtShutdown: stopping the server closes every socket with 1001 (going
// away, so pages reconnect) and returns once their goroutines have ended.
func TestCloseAllAtShutdown(t *testing.T) {
	r := newRig(t)
	a, aDone := r.serveAs(t, Identity{UserID: 3})
	b, _ := r.serveAs(t, Identity{})
	for _, c := range []*fakeConn{a, b} {
		c.send(map[string]any{"type": "ping"})
		c.waitFor(t, "pong", func(ms []Message) bool { return len(seqsOf(ms, TypePong)) == 1 })
	}
	r.srv.CloseAll(5 * time.Second)
	// Asked of the hub, which a socket leaves as ServeAs returns: serveAs's done channels
	// close a moment later, on their own goroutines.
	if n := r.hub.Clients(); n != 0 {
		t.Fatalf("CloseAll returned while %d sockets were still being served", n)
	}
	waitClosed(t, a, aDone, "server stopping")
	if want := string(websocket.FormatCloseMessage(websocket.CloseGoingAway, "server stopping")); b.closeMsg != want {
		t.Fatalf("close message %q, want 1001 %q", b.closeMsg, want)
	}
}

// TestSessionEndCloses: a socket opened with a session closes when the session ends.
func TestSessionEndCloses(t *testing.T) {
	r := newRig(t)
	c, done := r.serveAs(t, Identity{UserID: 3, Expires: time.Now().Add(50 * time.Millisecond)})
	waitClosed(t, c, done, "session expired")
}

// TestAccessChangedRechecks: on AccessChanged for its user, a socket re-checks its
// credential and closes with the reason it is gone; other users' sockets stay.
func TestAccessChangedRechecks(t *testing.T) {
	r := newRig(t)
	var mu sync.Mutex
	reason := ""
	check := func() string { mu.Lock(); defer mu.Unlock(); return reason }
	mine, done := r.serveAs(t, Identity{UserID: 3, Check: check})
	other, _ := r.serveAs(t, Identity{UserID: 4, Check: func() string { return "banned" }})
	r.feeder.Handle(events.Event{Type: events.AccessChanged, UserID: 3}) // still signed in
	mine.send(map[string]any{"type": "ping"})
	mine.waitFor(t, "pong", func(ms []Message) bool { return len(seqsOf(ms, TypePong)) == 1 })
	mu.Lock()
	reason = "signed out"
	mu.Unlock()
	r.feeder.Handle(events.Event{Type: events.AccessChanged, UserID: 3})
	waitClosed(t, mine, done, "signed out")
	other.send(map[string]any{"type": "ping"})
	other.waitFor(t, "pong", func(ms []Message) bool { return len(seqsOf(ms, TypePong)) == 1 })
}

// TestSlowRecheckDoesNotStallDelivery: while one user's credential re-check waits for a
// slow database, everyone else's live posts still arrive; the re-check then closes the
// socket it was about.
func TestSlowRecheckDoesNotStallDelivery(t *testing.T) {
	r := newRig(t)
	release := make(chan struct{})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	slow, done := r.serveAs(t, Identity{UserID: 3, Check: func() string { <-release; return "signed out" }})
	slow.send(map[string]any{"type": "ping"})
	slow.waitFor(t, "pong", func(ms []Message) bool { return len(seqsOf(ms, TypePong)) == 1 })
	reader := r.connect(t, 7)
	reader.send(map[string]any{"type": "subscribe", "channel": "thread:1"})
	reader.waitFor(t, "subscribed", func(ms []Message) bool { return len(seqsOf(ms, TypeSubscribed)) == 1 })
	r.feeder.Handle(events.Event{Type: events.AccessChanged, UserID: 3})
	r.feeder.Handle(events.Event{Type: events.AccessChanged, UserID: 3}) // one check at a time
	r.reply(1)
	reader.waitFor(t, "a live post while a re-check is slow", func(ms []Message) bool { return len(seqsOf(ms, TypePostCreated)) == 1 })
	close(release)
	waitClosed(t, slow, done, "signed out")
}

// TestCapsAtServe: sockets past the cap per user or per address are closed at once, even
// when their handshakes passed the check together.
func TestCapsAtServe(t *testing.T) {
	r := newRig(t)
	id := Identity{UserID: 5, Addr: "10.0.0.1", MaxPerUser: 1, MaxPerAddr: 2}
	first, _ := r.serveAs(t, id)
	first.send(map[string]any{"type": "ping"})
	first.waitFor(t, "pong", func(ms []Message) bool { return len(ms) == 1 })
	c, done := r.serveAs(t, id)
	waitClosed(t, c, done, "too many connections")
	guest := id
	guest.UserID = 0
	g, _ := r.serveAs(t, guest) // the address's second
	g.send(map[string]any{"type": "ping"})
	g.waitFor(t, "pong", func(ms []Message) bool { return len(ms) == 1 })
	c, done = r.serveAs(t, guest)
	waitClosed(t, c, done, "too many connections")
	if r.srv.Admits(guest) {
		t.Fatal("Admits says yes past the cap")
	}
}

// TestApprovedPostIsDelivered: a post approved after later ones were published reaches
// subscribers who already have those, marked by its own seq.
func TestApprovedPostIsDelivered(t *testing.T) {
	r := newRig(t)
	r.reply(1)
	c := r.connect(t, 7)
	c.send(map[string]any{"type": "subscribe", "channel": "thread:1"})
	c.waitFor(t, "subscribed", func(ms []Message) bool { return len(seqsOf(ms, TypeSubscribed)) == 1 })
	seq := r.backend.add(1) // seq 2: held, so no post.created
	r.backend.mu.Lock()
	r.backend.held = map[int64]bool{seq: true}
	r.backend.mu.Unlock()
	r.reply(1) // seq 3
	c.waitFor(t, "3", func(ms []Message) bool { return fmt.Sprint(seqsOf(ms, TypePostCreated)) == "[3]" })
	r.backend.mu.Lock()
	r.backend.released, r.backend.held = map[int64]bool{1000 + seq: true}, nil
	r.backend.mu.Unlock()
	r.feeder.Handle(events.Event{Type: events.PostCreated, ThreadID: 1, BoardSlug: "xinyu", PostID: 1000 + seq, Seq: seq})
	c.waitFor(t, "the approved 2", func(ms []Message) bool { return fmt.Sprint(seqsOf(ms, TypePostCreated)) == "[3 2]" })
}
