package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"jiayuan/app/forum"
)

// socket is a websocket client of the test server.
type socket struct {
	t    *testing.T
	conn *websocket.Conn
}

func (c *client) dial(origin string) (*socket, *http.Response, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if c.cookie != "" {
		h.Set("Cookie", "jy_session="+c.cookie)
	}
	if c.bearer != "" {
		h.Set("Authorization", "Bearer "+c.bearer)
	}
	for k, v := range c.header {
		h.Set(k, v)
	}
	conn, res, err := websocket.DefaultDialer.Dial("ws://"+c.e.addr+"/ws", h)
	if err != nil {
		return nil, res, err
	}
	c.e.t.Cleanup(func() { conn.Close() })
	return &socket{t: c.e.t, conn: conn}, res, nil
}

func (s *socket) send(m map[string]any) {
	s.t.Helper()
	if err := s.conn.WriteJSON(m); err != nil {
		s.t.Fatal(err)
	}
}

// next reads one message, failing after a few seconds.
func (s *socket) next() map[string]any {
	s.t.Helper()
	_ = s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m map[string]any
	if err := s.conn.ReadJSON(&m); err != nil {
		s.t.Fatalf("reading from the socket: %v", err)
	}
	return m
}

// until reads messages until one of type typ arrives, returning all of them.
func (s *socket) until(typ string) []map[string]any {
	s.t.Helper()
	var out []map[string]any
	for {
		m := s.next()
		out = append(out, m)
		if m["type"] == typ {
			return out
		}
	}
}

func TestLiveReplies(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	tid, _ := alice.thread("xinyu", "直播测试", "第一帖")
	base := "http://" + e.addr

	ws, _, err := bob.dial(base)
	if err != nil {
		t.Fatal(err)
	}
	ws.send(map[string]any{"type": "subscribe", "channel": fmt.Sprintf("thread:%d", tid)})
	if m := ws.next(); m["type"] != "subscribed" || m["seq"].(float64) != 1 {
		t.Fatalf("subscribe: %v", m)
	}
	alice.reply(tid, "实时的回复 **粗体**", 0)
	m := ws.next()
	post, _ := m["post"].(map[string]any)
	if m["type"] != "post.created" || m["seq"].(float64) != 2 || !strings.Contains(fmt.Sprint(post["html"]), "<strong>粗体</strong>") ||
		post["author"].(map[string]any)["username"] != "alice" {
		t.Fatalf("live reply: %v", m)
	}
	// Edits and deletions follow, in place.
	pid := int64(post["id"].(float64))
	alice.do("PATCH", fmt.Sprintf("/api/v1/posts/%d", pid), map[string]any{"body": "改过了"})
	if m := ws.next(); m["type"] != "post.updated" || m["post"].(map[string]any)["body"] != "改过了" {
		t.Fatalf("edit: %v", m)
	}
	alice.do("DELETE", fmt.Sprintf("/api/v1/posts/%d", pid), nil)
	if m := ws.next(); m["type"] != "post.deleted" || m["post"].(map[string]any)["deleted"] != true || m["post"].(map[string]any)["body"] != "" {
		t.Fatalf("delete: %v", m)
	}

	// Gone for a while: two replies land; back with after=2, both arrive, then live.
	ws.conn.Close()
	alice.reply(tid, "你不在时的回复一", 0)
	alice.reply(tid, "你不在时的回复二", 0)
	ws2, _, err := bob.dial(base)
	if err != nil {
		t.Fatal(err)
	}
	ws2.send(map[string]any{"type": "subscribe", "channel": fmt.Sprintf("thread:%d", tid), "after": 2})
	msgs := ws2.until("subscribed")
	var bodies []string
	for _, m := range msgs {
		if m["type"] == "post.created" {
			bodies = append(bodies, m["post"].(map[string]any)["body"].(string))
		}
	}
	if strings.Join(bodies, "|") != "你不在时的回复一|你不在时的回复二" || msgs[len(msgs)-1]["seq"].(float64) != 4 {
		t.Fatalf("catch-up: %v", msgs)
	}
	alice.reply(tid, "又一条", 0)
	if m := ws2.next(); m["seq"].(float64) != 5 {
		t.Fatalf("live after catch-up: %v", m)
	}

	// A board channel hears new threads.
	ws2.send(map[string]any{"type": "subscribe", "channel": "board:leyou"})
	ws2.until("subscribed")
	alice.thread("leyou", "周末去哪儿", "有人一起吗")
	if m := ws2.until("thread.created"); m[len(m)-1]["thread"].(map[string]any)["title"] != "周末去哪儿" {
		t.Fatalf("board channel: %v", m)
	}
}

func TestLiveRefusals(t *testing.T) {
	e := newEnv(t)
	u := e.user("carol")
	base := "http://" + e.addr
	if _, res, err := u.dial("https://evil.example"); err == nil || res == nil || res.StatusCode != 403 {
		t.Fatalf("cross-origin handshake was not refused: %v %v", err, res)
	}
	guest, _, err := e.guest().dial(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ channel, code string }{
		{"thread:999999", "not_found"},
		{"user:1", "unauthorized"},
		{"feed", "unauthorized"},
		{"nonsense", "invalid_channel"},
	} {
		guest.send(map[string]any{"type": "subscribe", "channel": c.channel})
		if m := guest.next(); m["type"] != "error" || m["code"] != c.code || m["message"] == "" {
			t.Fatalf("%s: %v", c.channel, m)
		}
	}
	ws, _, err := u.dial(base)
	if err != nil {
		t.Fatal(err)
	}
	me := u.do("GET", "/api/v1/me", nil).json(t)["user"].(map[string]any)["id"].(float64)
	ws.send(map[string]any{"type": "subscribe", "channel": fmt.Sprintf("user:%d", int64(me)+1)})
	if m := ws.next(); m["code"] != "forbidden" {
		t.Fatalf("someone else's notifications: %v", m)
	}
	ws.send(map[string]any{"type": "subscribe", "channel": fmt.Sprintf("user:%d", int64(me))})
	if m := ws.next(); m["type"] != "subscribed" {
		t.Fatalf("own notifications: %v", m)
	}
	// A malformed frame is answered, the socket stays usable.
	if err := ws.conn.WriteMessage(websocket.TextMessage, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if m := ws.next(); m["code"] != "bad_message" {
		t.Fatalf("malformed frame: %v", m)
	}
	ws.send(map[string]any{"type": "ping"})
	if m := ws.next(); m["type"] != "pong" {
		t.Fatalf("ping: %v", m)
	}
	// An oversized frame closes the socket with a reason.
	_ = ws.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","x":"`+strings.Repeat("x", 70000)+`"}`))
	_ = ws.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = ws.conn.ReadMessage()
	var ce *websocket.CloseError
	if !asCloseError(err, &ce) {
		t.Fatalf("oversized frame: %v", err)
	}
	// A script connects with its bearer token, as the browser with its cookie.
	tok := u.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "bot"}).json(t)["token"].(string)
	bot, _, err := (&client{e: e, bearer: tok}).dial("")
	if err != nil {
		t.Fatal(err)
	}
	bot.send(map[string]any{"type": "subscribe", "channel": fmt.Sprintf("user:%d", int64(me))})
	if m := bot.next(); m["type"] != "subscribed" {
		t.Fatalf("bearer-token socket: %v", m)
	}
	// Plain HTTP to /ws is told to upgrade.
	if r := e.guest().do("GET", "/ws", nil); r.Status != 426 {
		t.Fatalf("GET /ws without upgrade: %d", r.Status)
	}
}

func asCloseError(err error, target **websocket.CloseError) bool {
	ce, ok := err.(*websocket.CloseError)
	if ok {
		*target = ce
	}
	return ok
}

// TestLiveCatchUpLargeBacklog: a page that missed many posts is caught up over a real
// socket with every one, in order, however far behind up to 2,000, even while new
// replies keep coming; past that it is told to reload.
func TestLiveCatchUpLargeBacklog(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	uid := e.userID("alice")
	b, err := e.store.BoardBySlug(t.Context(), "xinyu")
	if err != nil {
		t.Fatal(err)
	}
	// The page's `since` is from before the posts were written: written is not changed,
	// and posts elsewhere on the site do not count either, so none of this is "too many
	// changes" (it was when the catch-up read the site's changes).
	since := time.Now().Add(-time.Minute).UnixMilli()
	// Loaded in one step: the posts are history, not news (nobody listens yet).
	const latest = 5001
	th := &forum.Thread{BoardID: b.ID, Title: "很长的主题", AuthorID: uid, CreatedAt: time.Now().UTC()}
	posts := make([]*forum.Post, latest)
	for i := range posts {
		posts[i] = &forum.Post{AuthorID: uid, Body: fmt.Sprint("回复 ", i), HTML: fmt.Sprint("<p>回复 ", i, "</p>"), CreatedAt: th.CreatedAt}
	}
	if err := e.store.ImportThread(t.Context(), th, posts); err != nil {
		t.Fatal(err)
	}
	tid := th.ID
	ch := fmt.Sprintf("thread:%d", tid)
	end := int64(latest)
	// 1,995 missed: the 5 live replies below may land before the subscription is read,
	// and the backlog must stay within the 2,000 a catch-up sends.
	for _, missed := range []int{129, 1995} {
		ws := alice.open()
		ws.send(map[string]any{"type": "subscribe", "channel": ch, "after": end - int64(missed), "since": since})
		done := make(chan struct{})
		extra := 0
		if missed == 1995 {
			// Live replies land during the catch-up: they wait and follow in order.
			extra = 5
			go func() {
				defer close(done)
				for i := 0; i < extra; i++ {
					alice.reply(tid, "追赶中的新回复", 0)
				}
			}()
		} else {
			close(done)
		}
		next, subscribed := end-int64(missed)+1, false
		<-done
		end += int64(extra)
		for next <= end || !subscribed {
			m := ws.next()
			switch {
			case m["type"] == "subscribed":
				subscribed = true
			case m["type"] != "post.created" || int64(m["seq"].(float64)) != next:
				t.Fatalf("missed %d: %v, want post %d (a gap, a duplicate or a drop)", missed, m, next)
			default:
				next++
			}
		}
		ws.quiet(fmt.Sprintf("missed %d", missed))
		ws.conn.Close()
	}
	// 5,000 behind: told to reload, with the latest seq, and nothing else.
	ws := alice.open()
	ws.send(map[string]any{"type": "subscribe", "channel": ch, "after": end - 5000, "since": since})
	m := ws.next()
	if m["type"] != "too_far_behind" || m["channel"] != ch || int64(m["seq"].(float64)) != end {
		t.Fatalf("5,000 behind: %v", m)
	}
	ws.quiet("after too_far_behind")
}

// TestLiveSinceQuietThread: a page returns to a quiet thread while the rest of the site
// was busy (over a thousand posts elsewhere): it gets the one edit made in its thread
// meanwhile and goes live, instead of being told it missed too much and reloading.
// Past a thousand changes in its own thread it is told to reload.
func TestLiveSinceQuietThread(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob")
	uid := e.userID("bob")
	tid, first := bob.thread("xinyu", "安静的主题", "正文")
	bob.reply(tid, "第二帖", 0)
	ch := fmt.Sprintf("thread:%d", tid)
	ws := bob.open()
	msgs := ws.join(ch)
	since := msgs[len(msgs)-1]["since"]
	ws.conn.Close()

	if err := e.store.UpdatePostBody(t.Context(), first, "改过的正文", "<p>改过的正文</p>", time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	b, err := e.store.BoardBySlug(t.Context(), "leyou")
	if err != nil {
		t.Fatal(err)
	}
	busy := &forum.Thread{BoardID: b.ID, Title: "别处很忙", AuthorID: uid, CreatedAt: time.Now().UTC()}
	posts := make([]*forum.Post, 1001)
	for i := range posts {
		posts[i] = &forum.Post{AuthorID: uid, Body: "x", HTML: "<p>x</p>", CreatedAt: busy.CreatedAt}
	}
	if err := e.store.ImportThread(t.Context(), busy, posts); err != nil {
		t.Fatal(err)
	}

	back := bob.open()
	back.send(map[string]any{"type": "subscribe", "channel": ch, "after": 2, "since": since})
	if m := back.next(); m["type"] != "post.updated" || m["seq"] != float64(1) {
		t.Fatalf("returning page got %v, want the edit of post 1", m)
	}
	if m := back.next(); m["type"] != "subscribed" {
		t.Fatalf("after the edit: %v, want subscribed", m)
	}
	back.quiet("after the catch-up")

	// The busy thread's own page, with more than a thousand of its posts changed.
	bch := fmt.Sprintf("thread:%d", busy.ID)
	bws := bob.open()
	msgs = bws.join(bch)
	since = msgs[len(msgs)-1]["since"]
	bws.conn.Close()
	for _, p := range posts {
		if err := e.store.SetPostDeleted(t.Context(), p.ID, true, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
	}
	bws = bob.open()
	bws.send(map[string]any{"type": "subscribe", "channel": bch, "after": 1001, "since": since})
	if m := bws.next(); m["type"] != "too_far_behind" {
		t.Fatalf("1,001 changes in the thread: %v, want too_far_behind", m)
	}
}

// TestLiveApprovalInUnseenThread: a held post approved in a thread the server has not
// published anything of since it started (a restart) reaches a board's page once, and
// the next reply once: not every post between the two.
func TestLiveApprovalInUnseenThread(t *testing.T) {
	e := newEnv(t)
	admin, bob := e.admin(), e.user("bob")
	uid := e.userID("bob")
	b, err := e.store.BoardBySlug(t.Context(), "xinyu")
	if err != nil {
		t.Fatal(err)
	}
	th := &forum.Thread{BoardID: b.ID, Title: "长主题", AuthorID: uid, CreatedAt: time.Now().UTC()}
	posts := make([]*forum.Post, 300)
	for i := range posts {
		posts[i] = &forum.Post{AuthorID: uid, Body: fmt.Sprint("p", i), HTML: "<p>p</p>", CreatedAt: th.CreatedAt}
	}
	if err := e.store.ImportThread(t.Context(), th, posts); err != nil {
		t.Fatal(err)
	}
	held := posts[4] // seq 5, held before the restart
	if err := e.store.SetPostHeld(t.Context(), held.ID, true, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	ws := bob.open()
	ws.join("board:xinyu")
	if r := admin.do("POST", fmt.Sprintf("/api/v1/posts/%d/review", held.ID), map[string]bool{"approve": true}); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	bob.reply(th.ID, "新的回复", 0)
	var seqs []float64
	for {
		m := ws.next()
		if m["type"] != "post.created" {
			continue
		}
		seqs = append(seqs, m["seq"].(float64))
		if m["seq"] == float64(301) {
			break
		}
	}
	if len(seqs) != 2 || seqs[0] != 5 {
		t.Fatalf("board page got %d post.created frames (first %v), want the approved post 5 and the reply 301", len(seqs), seqs[:min(len(seqs), 3)])
	}
}
