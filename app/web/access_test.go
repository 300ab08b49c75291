package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"jiayuan/app/events"
)

// accessChanges counts the AccessChanged events published for a user.
func (e *env) accessChanges(userID int64) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.events {
		if ev.Type == events.AccessChanged && ev.UserID == userID {
			n++
		}
	}
	return n
}

func (c *client) newToken(name string) (id int64, secret string) {
	c.e.t.Helper()
	r := c.do("POST", "/api/v1/auth/tokens", map[string]string{"name": name})
	if r.Status != 201 {
		c.e.t.Fatalf("create token %q: %d %s", name, r.Status, r.Body)
	}
	secret = r.json(c.e.t)["token"].(string)
	for _, tk := range c.do("GET", "/api/v1/auth/tokens", nil).json(c.e.t)["tokens"].([]any) {
		m := tk.(map[string]any)
		if m["name"] == name {
			id = int64(m["id"].(float64))
		}
	}
	if id == 0 {
		c.e.t.Fatalf("token %q is not listed", name)
	}
	return id, secret
}

func TestTokensListRevokeAndCap(t *testing.T) {
	e := newEnv(t)
	zhang, li := e.user("zhang"), e.user("lisi")
	id, secret := zhang.newToken("备份脚本")
	script := &client{e: e, bearer: secret}

	r := zhang.do("GET", "/api/v1/auth/tokens", nil)
	toks := r.json(t)["tokens"].([]any)
	if r.Status != 200 || len(toks) != 1 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	tk := toks[0].(map[string]any)
	if tk["name"] != "备份脚本" || tk["created_at"] == nil || strings.Contains(r.Body, secret) || strings.Contains(r.Body, "jy_") {
		t.Fatalf("a listed token is its id, name and date, never the secret: %s", r.Body)
	}
	if r := li.do("GET", "/api/v1/auth/tokens", nil); r.Body != `{"tokens":[]}` {
		t.Fatalf("another person's list: %s", r.Body)
	}
	if r := e.guest().do("GET", "/api/v1/auth/tokens", nil); r.Status != 401 {
		t.Fatalf("a guest's list: %d", r.Status)
	}

	// Someone else's token is not found, and keeps working.
	if r := li.do("DELETE", fmt.Sprintf("/api/v1/auth/tokens/%d", id), nil); r.Status != 404 {
		t.Fatalf("revoking another person's token: %d %s", r.Status, r.Body)
	}
	if r := script.do("GET", "/api/v1/me", nil); r.Status != 200 {
		t.Fatalf("the token after a stranger's attempt: %d", r.Status)
	}
	before := e.accessChanges(e.userID("zhang"))
	if r := zhang.do("DELETE", fmt.Sprintf("/api/v1/auth/tokens/%d", id), nil); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := script.do("GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("a revoked token still works: %d", r.Status)
	}
	if e.accessChanges(e.userID("zhang")) != before+1 {
		t.Fatal("revoking a token published no AccessChanged for its owner")
	}
	if r := zhang.do("DELETE", fmt.Sprintf("/api/v1/auth/tokens/%d", id), nil); r.Status != 404 {
		t.Fatalf("revoking twice: %d", r.Status)
	}
	if r := zhang.do("DELETE", "/api/v1/auth/tokens/abc", nil); r.Status != 404 {
		t.Fatalf("a malformed id: %d", r.Status)
	}

	// At most 20: the 21st is refused with a message that says what to do.
	for i := range 20 {
		zhang.newToken(fmt.Sprintf("t%02d", i))
	}
	r = zhang.in("en").do("POST", "/api/v1/auth/tokens", map[string]string{"name": "one too many"})
	if r.Status != 409 || r.errCode(t) != "token_limit" || !strings.Contains(r.Body, "revoke") {
		t.Fatalf("the 21st token: %d %s", r.Status, r.Body)
	}
	if n := len(zhang.do("GET", "/api/v1/auth/tokens", nil).json(t)["tokens"].([]any)); n != 20 {
		t.Fatalf("%d tokens after the refusal, want 20", n)
	}
	li.newToken("lisi's own") // the cap is per person
}

func TestSessionsListAndEnd(t *testing.T) {
	e := newEnv(t)
	e.user("wang")
	laptop, phone := e.login("wang", "password-wang"), e.login("wang", "password-wang")
	r := laptop.do("GET", "/api/v1/auth/sessions", nil)
	if r.Status != 200 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	ss := r.json(t)["sessions"].([]any)
	if len(ss) != 3 { // registering through e.user signed in once too
		t.Fatalf("%d sessions, want 3: %s", len(ss), r.Body)
	}
	var mine string
	var others []string
	for _, x := range ss {
		m := x.(map[string]any)
		if m["current"] == true {
			mine = m["id"].(string)
		} else {
			others = append(others, m["id"].(string))
		}
	}
	if mine == "" || len(others) != 2 || strings.Contains(r.Body, laptop.cookie) {
		t.Fatalf("the caller's own session is not marked, or a cookie is shown: %s", r.Body)
	}
	// Which of the others is the phone: the one whose list marks it current.
	var phoneID string
	for _, x := range phone.do("GET", "/api/v1/auth/sessions", nil).json(t)["sessions"].([]any) {
		if m := x.(map[string]any); m["current"] == true {
			phoneID = m["id"].(string)
		}
	}

	stranger := e.user("zhao")
	if r := stranger.do("DELETE", "/api/v1/auth/sessions/"+phoneID, nil); r.Status != 404 {
		t.Fatalf("ending another person's session: %d", r.Status)
	}
	before := e.accessChanges(e.userID("wang"))
	if r := laptop.do("DELETE", "/api/v1/auth/sessions/"+phoneID, nil); r.Status != 204 {
		t.Fatalf("end the phone's session: %d %s", r.Status, r.Body)
	}
	if r := phone.do("GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("the ended session still works: %d", r.Status)
	}
	if e.accessChanges(e.userID("wang")) != before+1 {
		t.Fatal("ending a session published no AccessChanged")
	}
	if r := laptop.do("GET", "/api/v1/me", nil); r.Status != 200 {
		t.Fatalf("the laptop was signed out too: %d", r.Status)
	}
	r = laptop.do("DELETE", "/api/v1/auth/sessions/"+mine, nil)
	if r.Status != 204 || !strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), ";"), "jy_session=;") {
		t.Fatalf("ending the current session: %d, cookies %v", r.Status, r.Header.Values("Set-Cookie"))
	}
	if r := laptop.do("GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("signed out by ending its own session: %d", r.Status)
	}
}

func TestPasswordResetEndsSessionsAndTokens(t *testing.T) {
	e := newEnv(t)
	chen := e.user("chen")
	_, secret := chen.newToken("cron")
	script := &client{e: e, bearer: secret}
	uid := e.userID("chen")
	before := e.accessChanges(uid)
	pw := e.admin().do("POST", "/api/v1/admin/users/chen/password", nil)
	if pw.Status != 200 {
		t.Fatalf("reset: %d %s", pw.Status, pw.Body)
	}
	if r := script.do("GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("a token made with the old password still works: %d", r.Status)
	}
	if r := chen.do("GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("a session made with the old password still works: %d", r.Status)
	}
	if e.accessChanges(uid) <= before {
		t.Fatal("a password reset published no AccessChanged")
	}
	fresh := e.login("chen", pw.json(t)["password"].(string))
	if r := fresh.do("GET", "/api/v1/auth/tokens", nil); r.Body != `{"tokens":[]}` {
		t.Fatalf("tokens after the reset: %s", r.Body)
	}
}

func TestExpiredSessionsAreSwept(t *testing.T) {
	e := newEnv(t)
	e.user("sun")
	uid := e.userID("sun")
	ctx := t.Context()
	if ss, _ := e.store.ListSessions(ctx, uid); len(ss) != 1 {
		t.Fatalf("%d sessions before the sweep", len(ss))
	}
	if n, err := e.acc.SweepSessions(ctx); err != nil || n != 0 {
		t.Fatalf("a sweep with nothing expired: %d, %v", n, err)
	}
	later := time.Now().Add(31 * 24 * time.Hour)
	e.acc.SetClock(func() time.Time { return later })
	before := e.accessChanges(uid)
	if n, err := e.acc.SweepSessions(ctx); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want one person's sessions swept", n, err)
	}
	if ss, _ := e.store.ListSessions(ctx, uid); len(ss) != 0 {
		t.Fatalf("%d expired sessions left after the sweep", len(ss))
	}
	if e.accessChanges(uid) != before+1 {
		t.Fatal("the sweep published no AccessChanged")
	}

	// The loop the node starts does the same on its ticker.
	e.acc.SetClock(func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) })
	e.session("sun")
	e.acc.SetClock(func() time.Time { return later })
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go e.acc.RunSweeper(rctx, 10*time.Millisecond, slog.New(slog.DiscardHandler))
	waitFor(t, func() bool { ss, _ := e.store.ListSessions(ctx, uid); return len(ss) == 0 })
}
