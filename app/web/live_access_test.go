package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"jiayuan/app/config"
	"jiayuan/app/events"
	"jiayuan/app/forum"
	"jiayuan/app/org"
	"jiayuan/policy"
)

// open dials the test server as c, from our own origin.
func (c *client) open() *socket {
	c.e.t.Helper()
	ws, res, err := c.dial("http://" + c.e.addr)
	if err != nil {
		c.e.t.Fatalf("dial: %v %v", err, res)
	}
	return ws
}

// join subscribes and reads up to `subscribed`, failing on an error frame.
func (s *socket) join(channel string, extra ...map[string]any) []map[string]any {
	s.t.Helper()
	m := map[string]any{"type": "subscribe", "channel": channel}
	for _, x := range extra {
		for k, v := range x {
			m[k] = v
		}
	}
	s.send(m)
	msgs := s.until("subscribed")
	for _, m := range msgs {
		if m["type"] == "error" {
			s.t.Fatalf("subscribe %s: %v", channel, m)
		}
	}
	return msgs
}

// quiet proves nothing else is on its way: a ping is answered next, and everything
// published before the ping has been through the hub by then (publishing is in order).
func (s *socket) quiet(what string) {
	s.t.Helper()
	s.send(map[string]any{"type": "ping"})
	if m := s.next(); m["type"] != "pong" {
		s.t.Fatalf("%s: got %v before the pong", what, m)
	}
}

// ended reads until the server ends channel with an error frame, and returns its code.
func (s *socket) ended(channel string) string {
	s.t.Helper()
	for {
		m := s.next()
		if m["type"] == "error" && m["channel"] == channel {
			return m["code"].(string)
		}
		if m["type"] == "post.created" || m["type"] == "thread.updated" {
			if p, _ := m["post"].(map[string]any); p != nil && p["body"] != "" && m["channel"] == channel {
				s.t.Fatalf("%s: a post reached a reader who lost access: %v", channel, m)
			}
		}
	}
}

// closed reads until the server closes the socket and returns the close reason.
func (s *socket) closed() string {
	s.t.Helper()
	_ = s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := s.conn.ReadMessage()
		if err == nil {
			continue
		}
		if ce, ok := err.(*websocket.CloseError); ok {
			return ce.Text
		}
		s.t.Fatalf("socket ended without a close frame: %v", err)
	}
}

// modsBoard makes a board only its moderators (and admins) may read.
func modsBoard(t *testing.T, admin *client) {
	t.Helper()
	if r := admin.do("POST", "/api/v1/admin/boards", map[string]any{"slug": "mods", "name": "版主室",
		"read_access": forum.AccessModerators, "post_access": forum.AccessModerators}); r.Status != 201 {
		t.Fatalf("create board: %d %s", r.Status, r.Body)
	}
}

// TestLiveFeedOnlyReadableBoards: the feed tells each reader of new threads in the
// boards they may read, and nothing of the others (their titles and authors).
func TestLiveFeedOnlyReadableBoards(t *testing.T) {
	e := newEnv(t)
	admin, bob := e.admin(), e.user("bob")
	modsBoard(t, admin)
	wsBob, wsAdmin := bob.open(), admin.open()
	wsBob.join("feed")
	wsAdmin.join("feed")
	admin.thread("mods", "机密的版主议题", "不给大家看")
	admin.thread("leyou", "公开的出游", "大家来")
	if m := wsBob.next(); m["type"] != "thread.created" || m["thread"].(map[string]any)["title"] != "公开的出游" {
		t.Fatalf("bob's feed: %v (a thread of a board he may not read, or nothing)", m)
	}
	wsBob.quiet("bob's feed")
	for _, want := range []string{"机密的版主议题", "公开的出游"} {
		if m := wsAdmin.next(); m["thread"].(map[string]any)["title"] != want {
			t.Fatalf("admin's feed: %v, want %s", m, want)
		}
	}
}

// TestLiveThreadMovedAway: a thread moved into a board the reader may not read stops
// reaching them at once; the subscription ends with a reason; readers who may follow
// it there still do.
func TestLiveThreadMovedAway(t *testing.T) {
	e := newEnv(t)
	admin, bob := e.admin(), e.user("bob")
	modsBoard(t, admin)
	tid, _ := bob.thread("xinyu", "要被移走的主题", "正文")
	ch := fmt.Sprintf("thread:%d", tid)
	wsBob, wsAdmin := bob.open(), admin.open()
	wsBob.join(ch)
	wsAdmin.join(ch)
	if r := admin.do("PATCH", fmt.Sprintf("/api/v1/threads/%d", tid), map[string]any{"board": "mods"}); r.Status != 200 {
		t.Fatalf("move: %d %s", r.Status, r.Body)
	}
	admin.reply(tid, "移走以后的回复", 0)
	// A moderators-only board is private: to bob the thread is now missing, as the API says.
	if code := wsBob.ended(ch); code != "not_found" {
		t.Fatalf("bob's subscription ended with %q", code)
	}
	wsBob.quiet("after the move")
	if r := bob.do("GET", fmt.Sprintf("/api/v1/threads/%d", tid), nil); r.Status != 404 {
		t.Fatalf("the API still shows bob the thread: %d", r.Status)
	}
	got := wsAdmin.until("post.created")
	if last := got[len(got)-1]; last["post"].(map[string]any)["body"] != "移走以后的回复" {
		t.Fatalf("the admin lost the thread: %v", got)
	}
	// Subscribing again is refused as the API refuses.
	wsBob.send(map[string]any{"type": "subscribe", "channel": ch})
	if m := wsBob.next(); m["type"] != "error" || m["code"] != "not_found" {
		t.Fatalf("resubscribe: %v", m)
	}
}

// TestLiveBoardTightened: an admin restricts a board's reading; its readers' thread and
// board subscriptions end, and replies no longer reach them.
func TestLiveBoardTightened(t *testing.T) {
	e := newEnv(t)
	admin, bob := e.admin(), e.user("bob")
	tid, _ := admin.thread("leyou", "出游计划", "正文")
	ch := fmt.Sprintf("thread:%d", tid)
	ws := bob.open()
	ws.join(ch)
	ws.join("board:leyou")
	// The opening post may still be on its way, legitimately: a public reply behind it,
	// arrived on both channels, says everything before it has.
	public := admin.reply(tid, "公开的回复", 0)["seq"]
	for seen := map[any]bool{}; len(seen) < 2; {
		if m := ws.next(); m["type"] == "post.created" && m["post"].(map[string]any)["seq"] == public {
			seen[m["channel"]] = true
		}
	}
	if r := admin.do("PATCH", "/api/v1/admin/boards/leyou", map[string]any{"read_access": forum.AccessModerators}); r.Status != 200 {
		t.Fatalf("tighten: %d %s", r.Status, r.Body)
	}
	admin.reply(tid, "只给版主看的回复", 0)
	codes := map[string]string{}
	for len(codes) < 2 {
		m := ws.next()
		if m["type"] == "post.created" {
			t.Fatalf("a reply reached a reader of a board closed to him: %v", m)
		}
		if m["type"] == "error" {
			codes[m["channel"].(string)] = m["code"].(string)
		}
	}
	if codes[ch] != "not_found" || codes["board:leyou"] != "not_found" { // moderators-only: private
		t.Fatalf("codes %v", codes)
	}
	ws.quiet("after tightening")
}

// TestLiveRoleRevoked: a moderator of a moderators-only board listens to a thread there;
// when the role is revoked (through the org service, as an admin does) the
// subscription ends and the next reply does not reach them.
func TestLiveRoleRevoked(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	modsBoard(t, admin)
	carol := e.user("carol")
	e.grant("carol", "moderator", "mods", "")
	tid, _ := admin.thread("mods", "版主议题", "正文")
	ch := fmt.Sprintf("thread:%d", tid)
	ws := carol.open()
	ws.join(ch)
	admin.reply(tid, "还是版主时的回复", 0)
	if m := ws.next(); m["type"] != "post.created" {
		t.Fatalf("a moderator's live reply: %v", m)
	}
	if err := e.org.RevokeFromConsole(t.Context(), org.RoleChange{Username: "carol", Role: "moderator", Board: "mods"}); err != nil {
		t.Fatal(err)
	}
	admin.reply(tid, "撤销以后的回复", 0)
	if code := ws.ended(ch); code != "not_found" { // moderators-only: private
		t.Fatalf("ended with %q", code)
	}
	ws.quiet("after the revoke")
}

// TestLiveRoleRevokedFromConsole: `jiayuan admin revoke` writes to the database behind
// the server's back; once the server notices, the moderator's subscription to a
// moderators-only thread ends at once, with no reply needed to find out.
func TestLiveRoleRevokedFromConsole(t *testing.T) {
	e := newEnv(t)
	go e.followStore(t.Context(), 10*time.Millisecond)
	admin := e.admin()
	modsBoard(t, admin)
	carol := e.user("carol")
	e.user("dave")
	e.grant("dave", "moderator", "mods", "")
	cid, did := e.userID("carol"), e.userID("dave")
	role := func(uid int64) policy.Assignment {
		roles, err := e.store.ListRoles(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range roles {
			if a.UserID == uid {
				return a
			}
		}
		t.Fatalf("user %d holds no role", uid)
		return policy.Assignment{}
	}
	noticed := func(uid int64) int { // what the server noticed in the store by itself
		e.mu.Lock()
		defer e.mu.Unlock()
		n := 0
		for _, ev := range e.events {
			if ev.Type == events.PolicyChanged && ev.Local {
				if ev.UserID != cid && ev.UserID != did {
					t.Errorf("a policy change noticed for user %d, whose roles did not change", ev.UserID)
				}
				if ev.UserID == uid {
					n++
				}
			}
		}
		return n
	}
	// Once the policy follows dave's role going, behind its back, FollowStore is
	// following the store.
	// The role comes and goes at each look, so whenever FollowStore took its first
	// look, it soon sees a change.
	dave, has := role(did), true
	waitFor(t, func() bool {
		if !has && !e.policy.Holds(dave.UserID, dave.Role, dave.Domain) {
			return true
		}
		var err error
		if has = !has; has {
			err = e.store.AddRole(t.Context(), dave)
		} else {
			err = e.store.RemoveRole(t.Context(), dave)
		}
		if err != nil {
			t.Fatal(err)
		}
		return false
	})
	e.grant("carol", "moderator", "mods", "")
	tid, _ := admin.thread("mods", "版主议题", "正文")
	ch := fmt.Sprintf("thread:%d", tid)
	ws := carol.open()
	ws.join(ch)
	if err := e.store.RemoveRole(t.Context(), role(cid)); err != nil {
		t.Fatal(err)
	}
	if code := ws.ended(ch); code != "not_found" { // moderators-only: private
		t.Fatalf("ended with %q", code)
	}
	if n := noticed(cid); n < 1 || n > 2 { // the grant was noticed too
		t.Fatalf("%d policy changes noticed for carol's grant and revoke", n)
	}
	ws.quiet("after the revoke")
}

// TestLiveBanAndLogoutClose: a ban closes every socket of the user, whether opened with a
// session or a token; signing out closes the sockets of that session only.
func TestLiveBanAndLogoutClose(t *testing.T) {
	e := newEnv(t)
	admin, bob, carol := e.admin(), e.user("bob"), e.user("carol")
	carol2 := e.session("carol")
	tok := bob.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "bot"}).json(t)["token"].(string)
	wsBob, wsBot := bob.open(), (&client{e: e, bearer: tok}).open()
	wsCarol, wsCarol2 := carol.open(), carol2.open()
	for i, ws := range []*socket{wsBob, wsBot, wsCarol, wsCarol2} {
		ws.join(fmt.Sprintf("user:%d", e.userID([]string{"bob", "bob", "carol", "carol"}[i])))
	}
	if r := admin.do("POST", "/api/v1/admin/users/bob/ban", map[string]any{"banned": true}); r.Status != 200 {
		t.Fatalf("ban: %d %s", r.Status, r.Body)
	}
	for _, ws := range []*socket{wsBob, wsBot} {
		if reason := ws.closed(); reason != "banned" {
			t.Fatalf("a banned user's socket closed with %q", reason)
		}
	}
	if r := carol.do("POST", "/api/v1/auth/logout", nil); r.Status != 204 {
		t.Fatalf("logout: %d", r.Status)
	}
	if reason := wsCarol.closed(); reason != "signed out" {
		t.Fatalf("a signed-out socket closed with %q", reason)
	}
	wsCarol2.quiet("carol's other session")
	// The API answers the same.
	if r := carol.do("GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("/me after logout: %d", r.Status)
	}
}

// TestLiveApprovedHeldPost: a held reply approved after later ones reaches open pages
// live, and a page that was away when it was approved gets it in its catch-up, by the
// `since` stamp of its last subscription.
func TestLiveApprovedHeldPost(t *testing.T) {
	e := newEnv(t)
	admin, bob, carol := e.admin(), e.user("bob"), e.user("carol")
	if r := admin.do("PUT", "/api/v1/admin/words", map[string]any{"rules": []map[string]string{{"pattern": "黑幕", "action": "hold"}}}); r.Status != 200 {
		t.Fatalf("set words: %d %s", r.Status, r.Body)
	}
	tid, _ := bob.thread("xinyu", "审核测试", "正文")
	ch := fmt.Sprintf("thread:%d", tid)
	live, away := bob.open(), carol.open()
	live.join(ch)
	subscribed := away.join(ch)
	since := subscribed[len(subscribed)-1]["since"]
	if since == nil {
		t.Fatalf("subscribed carries no since stamp: %v", subscribed)
	}
	away.conn.Close()

	held := carol.reply(tid, "有黑幕的回复", 0) // seq 2, held
	carol.reply(tid, "普通的回复", 0)          // seq 3
	// The page has 3 (and not 2) when 2 is approved.
	for m := live.next(); m["type"] != "post.created" || m["seq"].(float64) != 3; m = live.next() {
		if m["type"] == "post.created" {
			t.Fatalf("before the approval: %v", m)
		}
	}
	if r := admin.do("POST", fmt.Sprintf("/api/v1/posts/%d/review", int64(held["id"].(float64))), map[string]bool{"approve": true}); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	if m := live.until("post.created"); m[len(m)-1]["seq"].(float64) != 2 || m[len(m)-1]["post"].(map[string]any)["body"] != "有黑幕的回复" {
		t.Fatalf("live after the approval: %v", m)
	}

	// Back after the approval, having seen up to seq 1 and then 3 (a page that was open
	// for 3 but not for the approval): after=3 with the stamp brings 2.
	back := carol.open()
	msgs := back.join(ch, map[string]any{"after": 3, "since": since})
	var got []string
	for _, m := range msgs {
		if m["type"] == "post.created" {
			got = append(got, fmt.Sprintf("%v:%v", m["seq"], m["post"].(map[string]any)["body"]))
		}
	}
	if strings.Join(got, "|") != "2:有黑幕的回复" {
		t.Fatalf("catch-up after an approval: %v", msgs)
	}
	// Without the stamp, after=3 brings nothing older.
	plain := bob.open()
	if msgs := plain.join(ch, map[string]any{"after": 3}); len(msgs) != 1 {
		t.Fatalf("catch-up without since: %v", msgs)
	}
}

// TestLiveSocketCaps: past the caps per person and per guest address, the handshake is
// refused with 429 and a clear error; a closed socket frees its place. Signed-in
// sockets count per person only: they neither fill nor meet the address's cap.
func TestLiveSocketCaps(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.WSPerUser, c.WSPerAddress = 2, 3 })
	bob, carol := e.user("bob"), e.user("carol")
	// A socket counts once the server runs it, just after its handshake.
	open := func(c *client, n int) *socket {
		ws := c.open()
		waitFor(t, func() bool { return e.hub.Clients() == n })
		return ws
	}
	first := open(bob, 1)
	open(bob, 2)
	if _, res, err := bob.dial("http://" + e.addr); err == nil || res == nil || res.StatusCode != 429 {
		t.Fatalf("a third socket for bob: %v %v", err, res)
	}
	guest := open(e.guest(), 3) // three guests from this address
	open(e.guest(), 4)
	open(e.guest(), 5)
	_, res, err := e.guest().dial("http://" + e.addr)
	if err == nil || res == nil || res.StatusCode != 429 {
		t.Fatalf("a fourth guest socket from one address: %v %v", err, res)
	}
	open(carol, 6) // signed in: the address's cap is not hers
	first.conn.Close()
	waitFor(t, func() bool { return e.hub.Clients() == 5 })
	open(bob, 6)
	guest.conn.Close()
	waitFor(t, func() bool { return e.hub.Clients() == 5 })
	open(e.guest(), 6)
}

// TestLiveSocketCapBehindProxy: behind a trusted proxy the guest cap is per client, as
// the proxy saw it: an address the client wrote itself at the left of X-Forwarded-For
// buys no more sockets, and another client behind the same proxy has its own.
func TestLiveSocketCapBehindProxy(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.WSPerAddress = 1; c.TrustedProxies = []string{"127.0.0.0/8"} })
	dial := func(xff string) (*http.Response, error) {
		h := http.Header{"Origin": {"http://" + e.addr}, "X-Forwarded-For": {xff}}
		conn, res, err := websocket.DefaultDialer.Dial("ws://"+e.addr+"/ws", h)
		if err == nil {
			t.Cleanup(func() { conn.Close() })
		}
		return res, err
	}
	if _, err := dial("203.0.113.5"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return e.hub.Clients() == 1 })
	if res, err := dial("198.51.100.77, 203.0.113.5"); err == nil || res == nil || res.StatusCode != 429 {
		t.Fatalf("the same client with a forged X-Forwarded-For entry: %v %v, want 429", err, res)
	}
	if _, err := dial("203.0.113.6"); err != nil {
		t.Fatalf("another client behind the proxy: %v", err)
	}
}
