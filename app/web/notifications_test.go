package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"jiayuan/app/testkit"
)

// waitUnread polls the API until the notifier has written what it should.
func waitUnread(t *testing.T, c *client, want float64) map[string]any {
	t.Helper()
	var m map[string]any
	testkit.Eventually(t, 5*time.Second, fmt.Sprintf("unread to reach %v", want), func() bool {
		m = c.do("GET", "/api/v1/notifications", nil).json(t)
		return m["unread"].(float64) == want
	})
	return m
}

func TestNotifications(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	e.user("carol")
	tid, first := alice.thread("xinyu", "第五周周记", "请 @bob 帮我看看")
	// A mention notifies bob; answering alice's post notifies alice; mentioning
	// yourself or someone who does not exist notifies nobody.
	waitUnread(t, bob, 1)
	ws, _, err := alice.dial("http://" + e.addr)
	if err != nil {
		t.Fatal(err)
	}
	me := alice.do("GET", "/api/v1/me", nil).json(t)["user"].(map[string]any)["id"].(float64)
	ws.send(map[string]any{"type": "subscribe", "channel": fmt.Sprintf("user:%d", int64(me))})
	ws.until("subscribed")
	bob.reply(tid, "写得好，@carol 也来看看，@nobody123 @bob", first)
	if m := ws.next(); m["type"] != "notification" || m["data"].(map[string]any)["post_seq"].(float64) != 2 {
		t.Fatalf("pushed notification: %v", m)
	}
	m := waitUnread(t, alice, 1)
	n := m["notifications"].([]any)[0].(map[string]any)
	if n["kind"] != "reply" || n["actor"].(map[string]any)["username"] != "bob" || n["url"] != fmt.Sprintf("/t/%d?after=1#p2", tid) || n["read"] != false {
		t.Fatalf("alice's notification: %v", n)
	}
	carol := e.login("carol", "password-carol")
	waitUnread(t, carol, 1)
	if m := bob.do("GET", "/api/v1/notifications", nil).json(t); m["unread"].(float64) != 1 {
		t.Fatalf("bob was notified of his own mention: %v", m)
	}

	// The header shows the count; the page lists it and marks all read.
	page := alice.page("/")
	if !strings.Contains(page.Body, `<span class="badge">1</span>`) {
		t.Fatalf("no unread badge in the header")
	}
	list := alice.page("/notifications")
	if !strings.Contains(list.Body, "用户bob 回复了你的帖子 #2") {
		t.Fatalf("notifications page:\n%s", list.Body)
	}
	if r := alice.do("POST", "/api/v1/notifications/read", map[string]any{"ids": []int64{int64(n["id"].(float64))}}); r.Status != 204 {
		t.Fatalf("mark read: %d %s", r.Status, r.Body)
	}
	waitUnread(t, alice, 0)
	if r := e.guest().do("GET", "/api/v1/notifications", nil); r.Status != 401 {
		t.Fatalf("guest notifications: %d", r.Status)
	}
	if r := e.guest().page("/notifications"); r.Status != 303 {
		t.Fatalf("guest notifications page: %d", r.Status)
	}
	if r := bob.do("POST", "/api/v1/notifications/read", `{"ids": "all"}`); r.Status != 422 {
		t.Fatalf("bad ids: %d", r.Status)
	}
}

// notified returns the post ids a user's notifications point at, by kind.
func notified(t *testing.T, c *client) map[string][]int64 {
	t.Helper()
	out := map[string][]int64{}
	for _, n := range c.do("GET", "/api/v1/notifications?limit=100", nil).json(t)["notifications"].([]any) {
		m := n.(map[string]any)
		out[m["kind"].(string)] = append(out[m["kind"].(string)], int64(m["post_id"].(float64)))
	}
	return out
}

// clubOfBranch makes the board club, open to all, and members of the branch 一支部, and
// returns an outsider and a function that makes the board the branch's own.
func (e *env) clubOfBranch(admin *client, members ...string) (outsider *client, closeIt func()) {
	t := e.t
	e.branch("一支部")
	if r := admin.do("POST", "/api/v1/admin/boards", map[string]any{"slug": "club", "name": "俱乐部"}); r.Status != 201 {
		t.Fatalf("board: %d %s", r.Status, r.Body)
	}
	outsider = e.direct("outsider")
	for _, m := range members {
		e.direct(m)
		e.grant(m, "member", "", "一支部")
	}
	return outsider, func() {
		if r := admin.do("PATCH", "/api/v1/admin/boards/club", map[string]string{"read_access": "branch:一支部", "post_access": "branch:一支部"}); r.Status != 200 {
			t.Fatalf("close the board: %d %s", r.Status, r.Body)
		}
	}
}

// TestNotificationsOnlyForReaders: a mention or a reply in a board someone may not
// read tells them nothing, in their list or over their socket; a post held for review
// tells nobody until a moderator approves it, and then tells them once.
func TestNotificationsOnlyForReaders(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	outsider, closeClub := e.clubOfBranch(admin, "insider", "peer")
	insider, peer := e.session("insider"), e.session("peer")
	// The outsider posts while the board is open; then it becomes the branch's own.
	th, op := outsider.thread("club", "开放时的主题", "正文")
	closeClub()
	ws, _, err := outsider.dial("http://" + e.addr)
	if err != nil {
		t.Fatal(err)
	}
	ws.send(map[string]any{"type": "subscribe", "channel": fmt.Sprintf("user:%d", e.userID("outsider"))})
	ws.until("subscribed")

	secret := int64(insider.reply(th, "@outsider @peer 支部内部的讨论", op)["id"].(float64))
	waitFor(t, func() bool { return len(notified(t, peer)["mention"]) == 1 })
	// A later post the outsider may read: the first thing their socket hears.
	xth, _ := insider.thread("xinyu", "公开主题", "@outsider 看看这个")
	if m := ws.next(); m["type"] != "notification" || int64(m["data"].(map[string]any)["thread_id"].(float64)) != xth {
		t.Fatalf("the outsider's socket first heard %v, want the notification of thread %d", m, xth)
	}
	got := notified(t, outsider)
	if len(got["reply"]) != 0 || len(got["mention"]) != 1 {
		t.Fatalf("the outsider was told of a post they may not read: %v (secret post %d)", got, secret)
	}

	// Held: nobody hears of it until it is approved, then once.
	if r := admin.do("PUT", "/api/v1/admin/words", map[string]any{"rules": []map[string]string{{"pattern": "黑幕", "action": "hold"}}}); r.Status != 200 {
		t.Fatalf("words: %d %s", r.Status, r.Body)
	}
	pth, pop := peer.thread("xinyu", "待审主题", "正文")
	heldPost := int64(insider.reply(pth, "@outsider 这里有黑幕", pop)["id"].(float64))
	after := int64(insider.reply(pth, "@outsider 之后的帖子", 0)["id"].(float64))
	waitFor(t, func() bool { return len(notified(t, outsider)["mention"]) == 2 })
	if got := notified(t, outsider); len(got["mention"]) != 2 || got["mention"][0] != after || len(notified(t, peer)["reply"]) != 0 {
		t.Fatalf("a held post told someone: outsider %v, peer %v", got, notified(t, peer))
	}
	if r := admin.do("POST", fmt.Sprintf("/api/v1/posts/%d/review", heldPost), map[string]bool{"approve": true}); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	waitFor(t, func() bool { return len(notified(t, outsider)["mention"]) == 3 && len(notified(t, peer)["reply"]) == 1 })
	if got := notified(t, outsider)["mention"]; got[0] != heldPost {
		t.Fatalf("after approval: %v", got)
	}
}
