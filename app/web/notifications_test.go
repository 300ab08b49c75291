package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// waitUnread polls the API until the notifier has written what it should.
func waitUnread(t *testing.T, c *client, want float64) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		m := c.do("GET", "/api/v1/notifications", nil).json(t)
		if m["unread"].(float64) == want {
			return m
		}
	}
	t.Fatalf("unread never reached %v", want)
	return nil
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
