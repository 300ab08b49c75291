package web_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"

	"jiayuan/app/config"
	"strings"
	"testing"
)

func TestRegisterAndLogin(t *testing.T) {
	e := newEnv(t)
	g := e.guest()
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"ok", map[string]string{"username": "Wang_Wei", "password": "correct horse", "display_name": "王伟"}, 201, ""},
		{"taken, any case", map[string]string{"username": "wang_wei", "password": "correct horse"}, 409, "username_taken"},
		{"too short", map[string]string{"username": "x", "password": "correct horse"}, 422, "invalid_username"},
		{"bad characters", map[string]string{"username": "a b<c>", "password": "correct horse"}, 422, "invalid_username"},
		{"short password", map[string]string{"username": "lihua", "password": "short"}, 422, "invalid_password"},
		{"operator injection", `{"username": {"$gt": ""}, "password": "correct horse"}`, 422, "invalid_username"},
		{"wrong type", `{"username": "lihua", "password": 12345678}`, 422, "invalid_password"},
		{"invalid json", `{"username": "lihua",`, 400, "invalid_json"},
		{"not an object", `["lihua"]`, 400, "invalid_json"},
		{"empty body", ``, 400, "empty_body"},
		{"invalid utf-8", "{\"username\": \"li\xffhua\", \"password\": \"correct horse\"}", 400, "invalid_utf8"},
		{"trailing data", `{"username": "lihua", "password": "correct horse"} {}`, 400, "invalid_json"},
		{"display name with markup", map[string]string{"username": "lihua", "password": "correct horse", "display_name": "<script>"}, 422, "invalid_display_name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := g.do("POST", "/api/v1/auth/register", c.body)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if c.code != "" && r.errCode(t) != c.code {
				t.Fatalf("code %q, want %q", r.errCode(t), c.code)
			}
		})
	}
	// Only the one good registration (plus the seeded admin) exists.
	if n, _ := e.store.CountUsers(t.Context()); n != 2 {
		t.Fatalf("%d users after the table, want 2", n)
	}

	r := g.do("POST", "/api/v1/auth/login", map[string]string{"username": "WANG_WEI", "password": "correct horse"})
	if r.Status != 200 || sessionFrom(r.Header) == "" || r.json(t)["csrf_token"] == "" {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	if sc := strings.Join(r.Header.Values("Set-Cookie"), ";"); !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") {
		t.Fatalf("session cookie lacks HttpOnly/SameSite=Lax: %s", sc)
	}
	if r := g.do("POST", "/api/v1/auth/login", map[string]string{"username": "wang_wei", "password": "wrong horse"}); r.Status != 401 {
		t.Fatalf("wrong password: %d", r.Status)
	}
	if r := g.do("POST", "/api/v1/auth/login", map[string]string{"username": "nobody", "password": "wrong horse"}); r.Status != 401 {
		t.Fatalf("unknown user: %d", r.Status)
	}
}

func TestMeLogoutAndTokens(t *testing.T) {
	e := newEnv(t)
	u := e.user("zhang")
	if r := u.do("GET", "/api/v1/me", nil); r.Status != 200 || !strings.Contains(r.Body, `"employee"`) {
		t.Fatalf("me: %d %s", r.Status, r.Body)
	}
	if r := e.login("admin", "admin-password").do("GET", "/api/v1/me", nil); !strings.Contains(r.Body, `"admin"`) {
		t.Fatalf("admin's roles: %s", r.Body)
	}
	if r := e.guest().do("GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("guest me: %d", r.Status)
	}

	r := u.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "脚本"})
	if r.Status != 201 {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	script := &client{e: e, bearer: r.json(t)["token"].(string)}
	// A bearer token needs no CSRF token: it carries no ambient authority.
	id, _ := script.thread("xinyu", "脚本发帖", "由访问令牌发表")
	if id == 0 {
		t.Fatal("no thread id")
	}
	bad := &client{e: e, bearer: "jy_not-a-token"}
	if r := bad.do("GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("bad token: %d", r.Status)
	}

	if r := u.do("POST", "/api/v1/auth/logout", nil); r.Status != 204 {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if r := u.do("GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("me after logout: %d", r.Status)
	}
}

func TestBoards(t *testing.T) {
	e := newEnv(t)
	r := e.guest().do("GET", "/api/v1/boards", nil)
	if r.Status != 200 {
		t.Fatalf("boards: %d", r.Status)
	}
	boards := r.json(t)["boards"].([]any)
	var slugs []string
	for _, b := range boards {
		slugs = append(slugs, b.(map[string]any)["slug"].(string))
	}
	if got := strings.Join(slugs, ","); got != "xinyu,yanglian,shijiao,nianhua,leyou,jiangtan,shuying,shanxing" {
		t.Fatalf("boards %s", got)
	}
	if b := boards[0].(map[string]any); b["name"] != "家·心语" || b["last_activity_at"] != nil {
		t.Fatalf("first board %v", b)
	}
}

func TestCreateThreadBadInput(t *testing.T) {
	e := newEnv(t)
	u := e.user("li")
	noCSRF := &client{e: e, cookie: u.cookie}
	long := strings.Repeat("党", 201)
	cases := []struct {
		name   string
		c      *client
		path   string
		body   any
		status int
		code   string
	}{
		{"guest", e.guest(), "/api/v1/boards/xinyu/threads", map[string]string{"title": "t", "body": "b"}, 401, "unauthorized"},
		{"cookie without csrf", noCSRF, "/api/v1/boards/xinyu/threads", map[string]string{"title": "t", "body": "b"}, 403, "csrf"},
		{"wrong csrf", &client{e: e, cookie: u.cookie, csrf: "nope"}, "/api/v1/boards/xinyu/threads", map[string]string{"title": "t", "body": "b"}, 403, "csrf"},
		{"unknown board", u, "/api/v1/boards/nope/threads", map[string]string{"title": "t", "body": "b"}, 404, "not_found"},
		{"empty title", u, "/api/v1/boards/xinyu/threads", map[string]string{"title": "  ", "body": "b"}, 422, "invalid_title"},
		{"long title", u, "/api/v1/boards/xinyu/threads", map[string]string{"title": long, "body": "b"}, 422, "invalid_title"},
		{"newline in title", u, "/api/v1/boards/xinyu/threads", map[string]string{"title": "a\nb", "body": "b"}, 422, "invalid_title"},
		{"empty body", u, "/api/v1/boards/xinyu/threads", map[string]string{"title": "t", "body": ""}, 422, "invalid_body"},
		{"body over 64 KiB", u, "/api/v1/boards/xinyu/threads", map[string]string{"title": "t", "body": strings.Repeat("a", 64*1024+1)}, 422, "invalid_body"},
		{"title operator", u, "/api/v1/boards/xinyu/threads", `{"title": {"$gt": ""}, "body": "b"}`, 422, "invalid_title"},
		{"body operator", u, "/api/v1/boards/xinyu/threads", `{"title": "t", "body": {"$ne": null}}`, 422, "invalid_body"},
		{"invalid json", u, "/api/v1/boards/xinyu/threads", `{"title": "t"`, 400, "invalid_json"},
		{"invalid utf-8", u, "/api/v1/boards/xinyu/threads", []byte("{\"title\": \"\xc3\x28\", \"body\": \"b\"}"), 400, "invalid_utf8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.c.do("POST", c.path, c.body)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %.300s", r.Status, c.status, r.Body)
			}
			if got := r.errCode(t); got != c.code {
				t.Fatalf("code %q, want %q", got, c.code)
			}
		})
	}
	// Nothing was created by any of them.
	r := e.guest().do("GET", "/api/v1/boards", nil)
	if !strings.Contains(r.Body, `"thread_count":0`) || strings.Contains(r.Body, `"thread_count":1`) {
		t.Fatalf("a refused request created a thread: %s", r.Body)
	}
	if len(e.eventTypes()) != 0 {
		t.Fatalf("refused requests published events: %v", e.eventTypes())
	}
}

// TestOversizedBody: a body over 1 MiB is refused from its Content-Length, before it
// is read, with 413 and the JSON error shape.
func TestOversizedBody(t *testing.T) {
	e := newEnv(t)
	u := e.user("big")
	conn, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/boards/xinyu/threads HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nCookie: jy_session=%s\r\nX-CSRF-Token: %s\r\nContent-Length: %d\r\n\r\n{\"title\":\"t\",\"body\":\"",
		e.addr, u.cookie, u.csrf, 1<<20+100)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{Status: res.StatusCode, Body: string(raw)}
	if r.Status != 413 || r.errCode(t) != "too_large" {
		t.Fatalf("oversized body: %d %s", r.Status, r.Body)
	}
}

// TestOversizedBodyFromGoClient: a client that sends the whole oversized body before it
// reads the answer (Go's net/http does) still gets the readable 413, not a connection
// reset: the server reads the rest of the body, up to a bound, before it closes.
func TestOversizedBodyFromGoClient(t *testing.T) {
	e := newEnv(t)
	u := e.user("big")
	body := []byte(`{"title":"t","body":"` + strings.Repeat("长", 1<<20) + `"}`) // 3 MiB
	for i := range 30 {
		req := httptest.NewRequest("POST", "/api/v1/boards/xinyu/threads", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", "jy_session="+u.cookie)
		req.Header.Set("X-CSRF-Token", u.csrf)
		res, err := e.send(req)
		if err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if r := (resp{Status: res.StatusCode, Body: string(raw)}); r.Status != 413 || r.errCode(t) != "too_large" {
			t.Fatalf("attempt %d: %d %s", i, r.Status, r.Body)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Content-Security-Policy") == "" {
			t.Fatalf("attempt %d: a 413 without the security headers: %v", i, res.Header)
		}
	}
}

func TestThreadReplyEditDelete(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	tid, first := alice.thread("xinyu", "第一周工作周记", "本周学习了**党章**。<script>alert('x')</script>")

	r := e.guest().do("GET", fmt.Sprintf("/api/v1/threads/%d", tid), nil)
	if r.Status != 200 {
		t.Fatalf("get thread: %d %s", r.Status, r.Body)
	}
	m := r.json(t)
	posts := m["posts"].([]any)
	p1 := posts[0].(map[string]any)
	if p1["seq"].(float64) != 1 || !strings.Contains(p1["html"].(string), "<strong>党章</strong>") || strings.Contains(p1["html"].(string), "<script") {
		t.Fatalf("first post %v", p1)
	}
	if p1["body"] != "本周学习了**党章**。<script>alert('x')</script>" {
		t.Fatalf("source not kept verbatim: %q", p1["body"])
	}
	if a := p1["author"].(map[string]any); a["username"] != "alice" || a["display_name"] != "用户alice" {
		t.Fatalf("author %v", a)
	}

	r2 := bob.reply(tid, "写得好！", 0)
	r3 := alice.reply(tid, "谢谢", int64(r2["id"].(float64)))
	if r3["reply_to_seq"].(float64) != 2 || r3["depth"].(float64) != 1 || r3["seq"].(float64) != 3 {
		t.Fatalf("threaded reply %v", r3)
	}
	// Answering the opening post is answering the thread: top level.
	if r4 := bob.reply(tid, "同意", first); r4["depth"].(float64) != 0 || r4["reply_to_seq"].(float64) != 1 {
		t.Fatalf("reply to the opening post %v", r4)
	}

	other, _ := bob.thread("yanglian", "廉洁格言", "清清白白做人")
	bad := []struct {
		name   string
		c      *client
		method string
		path   string
		body   any
		status int
	}{
		{"reply to a post of another thread", bob, "POST", fmt.Sprintf("/api/v1/threads/%d/posts", other), map[string]any{"body": "x", "reply_to": first}, 422},
		{"reply to unknown post", bob, "POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), map[string]any{"body": "x", "reply_to": 999999}, 422},
		{"reply_to as string", bob, "POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), `{"body": "x", "reply_to": "2"}`, 422},
		{"unknown thread", bob, "POST", "/api/v1/threads/999999/posts", map[string]any{"body": "x"}, 404},
		{"non-numeric thread", bob, "GET", "/api/v1/threads/abc", nil, 404},
		{"guest reply", e.guest(), "POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), map[string]any{"body": "x"}, 401},
		{"edit someone else's post", bob, "PATCH", fmt.Sprintf("/api/v1/posts/%d", first), map[string]any{"body": "改了"}, 403},
		{"delete someone else's post", bob, "DELETE", fmt.Sprintf("/api/v1/posts/%d", first), nil, 403},
		{"edit unknown post", bob, "PATCH", "/api/v1/posts/999999", map[string]any{"body": "x"}, 404},
		{"edit to empty", alice, "PATCH", fmt.Sprintf("/api/v1/posts/%d", first), map[string]any{"body": " "}, 422},
		{"bad limit", e.guest(), "GET", fmt.Sprintf("/api/v1/threads/%d?limit=0", tid), nil, 422},
		{"bad after", e.guest(), "GET", fmt.Sprintf("/api/v1/threads/%d?after=-1", tid), nil, 422},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if r := c.c.do(c.method, c.path, c.body); r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			} else {
				r.errCode(t)
			}
		})
	}

	r = alice.do("PATCH", fmt.Sprintf("/api/v1/posts/%d", first), map[string]any{"body": "本周学习了党章（已修改）"})
	if r.Status != 200 || r.json(t)["post"].(map[string]any)["edited_at"] == nil {
		t.Fatalf("edit: %d %s", r.Status, r.Body)
	}
	if r := bob.do("DELETE", fmt.Sprintf("/api/v1/posts/%d", int64(r2["id"].(float64))), nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	m = e.guest().do("GET", fmt.Sprintf("/api/v1/threads/%d", tid), nil).json(t)
	posts = m["posts"].([]any)
	if len(posts) != 4 {
		t.Fatalf("%d posts, want 4 (a deleted post keeps its place)", len(posts))
	}
	if p := posts[0].(map[string]any); p["body"] != "本周学习了党章（已修改）" {
		t.Fatalf("edit not kept: %v", p["body"])
	}
	if p := posts[1].(map[string]any); p["deleted"] != true || p["body"] != "" || p["html"] != "" {
		t.Fatalf("deleted post shows its text: %v", p)
	}
	if th := m["thread"].(map[string]any); th["reply_count"].(float64) != 3 || th["board"] != "xinyu" {
		t.Fatalf("thread %v", th)
	}
	want := "thread.created,post.created,post.created,post.created,post.created,thread.created,post.created,post.updated,post.deleted"
	var forumEvents []string
	for _, typ := range e.eventTypes() {
		if typ != "notification" { // written asynchronously by the notifier
			forumEvents = append(forumEvents, typ)
		}
	}
	if got := strings.Join(forumEvents, ","); got != want {
		t.Fatalf("events\n got %s\nwant %s", got, want)
	}
}

func TestPaging(t *testing.T) {
	e := newEnv(t)
	u := e.user("wu")
	tid, _ := u.thread("leyou", "春游", "去哪里？")
	for i := 2; i <= 12; i++ {
		u.reply(tid, fmt.Sprintf("第%d楼", i), 0)
	}
	var seqs []string
	after := "0"
	for pages := 0; after != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		m := e.guest().do("GET", fmt.Sprintf("/api/v1/threads/%d?limit=5&after=%s", tid, after), nil).json(t)
		for _, p := range m["posts"].([]any) {
			seqs = append(seqs, fmt.Sprint(p.(map[string]any)["seq"]))
		}
		after = ""
		if n, ok := m["next_after"].(float64); ok {
			after = fmt.Sprint(int64(n))
		}
	}
	if got := strings.Join(seqs, ","); got != "1,2,3,4,5,6,7,8,9,10,11,12" {
		t.Fatalf("seqs %s", got)
	}

	for i := 0; i < 7; i++ {
		u.thread("leyou", fmt.Sprintf("主题%d", i), "内容")
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		r := e.guest().do("GET", "/api/v1/boards/leyou/threads?limit=3&cursor="+cursor, nil)
		if r.Status != 200 || pages > 5 {
			t.Fatalf("board page %d: %d %s", pages, r.Status, r.Body)
		}
		m := r.json(t)
		for _, th := range m["threads"].([]any) {
			title := th.(map[string]any)["title"].(string)
			if seen[title] {
				t.Fatalf("thread %s on two pages", title)
			}
			seen[title] = true
		}
		next, ok := m["next_cursor"].(string)
		if !ok {
			break
		}
		cursor = next
	}
	if len(seen) != 8 {
		t.Fatalf("paged through %d threads, want 8", len(seen))
	}
	if r := e.guest().do("GET", "/api/v1/boards/leyou/threads?cursor=garbage", nil); r.Status != 422 {
		t.Fatalf("bad cursor: %d", r.Status)
	}
	if r := e.guest().do("GET", "/api/v1/boards/nope/threads", nil); r.Status != 404 {
		t.Fatalf("unknown board: %d", r.Status)
	}
}

func TestRateLimits(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.LoginPerMinute = 3; c.PostPerMinute = 2 })
	for i := 0; i < 3; i++ {
		e.guest().do("POST", "/api/v1/auth/login", map[string]string{"username": "x", "password": "wrong password"})
	}
	if r := e.guest().do("POST", "/api/v1/auth/login", map[string]string{"username": "x", "password": "wrong password"}); r.Status != 429 || r.errCode(t) != "rate_limited" {
		t.Fatalf("fourth login in a minute: %d %s", r.Status, r.Body)
	}
	// Posting is limited per user, not per address.
	u := e.direct("qian")
	for i := 0; i < 2; i++ {
		u.thread("leyou", "主题", "内容")
	}
	if r := u.do("POST", "/api/v1/boards/leyou/threads", map[string]string{"title": "t", "body": "b"}); r.Status != 429 {
		t.Fatalf("third post in a minute: %d %s", r.Status, r.Body)
	}
	e.direct("sun").thread("leyou", "别人的主题", "不受影响")
}

func TestEdgesOfTheAPI(t *testing.T) {
	e := newEnv(t)
	if r := e.guest().do("GET", "/api/v1/nope", nil); r.Status != 404 || r.errCode(t) != "not_found" {
		t.Fatalf("unknown endpoint: %d %s", r.Status, r.Body)
	}
	u := e.user("zhao")
	u.header = map[string]string{"Origin": "https://evil.example"}
	if r := u.do("POST", "/api/v1/boards/xinyu/threads", map[string]string{"title": "t", "body": "b"}); r.Status != 403 {
		t.Fatalf("cross-origin write: %d %s", r.Status, r.Body)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/api/openapi.json"} {
		if r := e.guest().do("GET", p, nil); r.Status != 200 {
			t.Fatalf("%s: %d", p, r.Status)
		}
	}
	// Mixed methods over keep-alive connections: label values must not alias reused
	// request buffers (they did, and /metrics answered 500 under load).
	u.header = nil
	tid, pid := u.thread("leyou", "指标", "正文")
	for i := 0; i < 30; i++ {
		u.do("GET", fmt.Sprintf("/api/v1/threads/%d", tid), nil)
		u.do("PATCH", fmt.Sprintf("/api/v1/posts/%d", pid), map[string]string{"body": fmt.Sprint("改", i)})
		u.do("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), map[string]string{"body": "回复"})
		e.guest().do("DELETE", "/api/v1/posts/999999", nil)
	}
	if r := e.guest().do("GET", "/metrics", nil); r.Status != 200 || !strings.Contains(r.Body, `jiayuan_http_request_duration_seconds_count{method="PATCH",route="/api/v1/posts/:id",status="200"} 30`) {
		t.Fatalf("metrics: %d %.500s", r.Status, r.Body)
	}
	r := e.guest().do("POST", "/api/v1/preview", map[string]string{"body": "x"})
	if r.Status != 401 {
		t.Fatalf("guest preview: %d", r.Status)
	}
}
