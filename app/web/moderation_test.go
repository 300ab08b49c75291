package web_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func id(m map[string]any, key string) int64 { return int64(m[key].(map[string]any)["id"].(float64)) }

func TestLockedThreadRefusesReplies(t *testing.T) {
	e := newEnv(t)
	e.direct("mod")
	e.grant("mod", "moderator", "xinyu", "")
	mod, bob := e.session("mod"), e.direct("bob")
	th, _ := bob.thread("xinyu", "会锁的主题", "正文")
	if r := mod.do("PATCH", fmt.Sprintf("/api/v1/threads/%d", th), map[string]bool{"locked": true}); r.Status != 200 || !strings.Contains(r.Body, `"locked":true`) {
		t.Fatalf("lock: %d %s", r.Status, r.Body)
	}
	r := bob.do("POST", fmt.Sprintf("/api/v1/threads/%d/posts", th), map[string]string{"body": "还能回复吗"})
	if r.Status != 423 || r.errCode(t) == "" || !strings.Contains(r.Body, "locked") {
		t.Fatalf("reply to a locked thread: %d %s", r.Status, r.Body)
	}
	// Bad input to the moderation API: changes nothing.
	for _, bad := range []string{`{"pinned": {"$gt": ""}}`, `{"pinned": "yes"}`, `{`, `{}`, `{"board": "nowhere"}`, `{"title": ""}`} {
		r := mod.do("PATCH", fmt.Sprintf("/api/v1/threads/%d", th), bad)
		if r.Status != 400 && r.Status != 422 {
			t.Errorf("PATCH %s: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := mod.do("PATCH", "/api/v1/threads/999999", map[string]bool{"pinned": true}); r.Status != 404 {
		t.Fatalf("unknown thread: %d", r.Status)
	}
	got := bob.do("GET", fmt.Sprintf("/api/v1/threads/%d", th), nil).json(t)["thread"].(map[string]any)
	if got["pinned"] != false || got["title"] != "会锁的主题" || got["board"] != "xinyu" {
		t.Fatalf("bad input changed the thread: %v", got)
	}
}

func TestReportFlow(t *testing.T) {
	e := newEnv(t)
	e.direct("mod")
	e.direct("mod2")
	e.grant("mod", "moderator", "xinyu", "")
	e.grant("mod2", "moderator", "xinyu", "")
	mod, mod2 := e.session("mod"), e.session("mod2")
	author, reporter := e.direct("author"), e.direct("reporter")
	th, _ := author.thread("xinyu", "主题", "正文")
	p := author.reply(th, "违规的回复", 0)
	pid := int64(p["id"].(float64))

	bad := []struct{ body, code string }{{`{"reason": ""}`, ""}, {`{"reason": 5}`, ""}, {`{"reason": "` + strings.Repeat("长", 501) + `"}`, ""}}
	for _, b := range bad {
		if r := reporter.do("POST", fmt.Sprintf("/api/v1/posts/%d/report", pid), b.body); r.Status != 422 {
			t.Errorf("report %s: %d %s", b.body[:min(len(b.body), 30)], r.Status, r.Body)
		}
	}
	if r := e.guest().do("POST", fmt.Sprintf("/api/v1/posts/%d/report", pid), map[string]string{"reason": "x"}); r.Status != 401 {
		t.Fatalf("a guest reports: %d", r.Status)
	}
	r := reporter.do("POST", fmt.Sprintf("/api/v1/posts/%d/report", pid), map[string]string{"reason": "<script>alert(1)</script>广告"})
	if r.Status != 201 {
		t.Fatalf("report: %d %s", r.Status, r.Body)
	}
	rid := id(r.json(t), "report")
	// One report per person per post.
	if r := reporter.do("POST", fmt.Sprintf("/api/v1/posts/%d/report", pid), map[string]string{"reason": "再报一次"}); r.Status != 409 || r.errCode(t) != "already_reported" {
		t.Fatalf("a second report of the same post: %d %s", r.Status, r.Body)
	}

	// The queue is the moderators'; an employee gets 403.
	if r := reporter.do("GET", "/api/v1/reports", nil); r.Status != 403 {
		t.Fatalf("employee reads the queue: %d", r.Status)
	}
	q := mod.do("GET", "/api/v1/reports", nil).json(t)["reports"].([]any)
	if len(q) != 1 || q[0].(map[string]any)["status"] != "open" {
		t.Fatalf("queue: %v", q)
	}
	page := mod.do("GET", "/mod", nil)
	if page.Status != 200 || strings.Contains(page.Body, "<script>alert(1)") || !strings.Contains(page.Body, "&lt;script&gt;") {
		t.Fatalf("the queue page must escape the reason: %d", page.Status)
	}

	// Two moderators at once: exactly one resolves it, the other gets 409.
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i, m := range []*client{mod, mod2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcome := []string{"hidden", "dismissed"}[i]
			statuses[i] = m.do("POST", fmt.Sprintf("/api/v1/reports/%d/resolve", rid), map[string]string{"outcome": outcome, "note": "已处理"}).Status
		}()
	}
	wg.Wait()
	if !(statuses[0] == 200 && statuses[1] == 409 || statuses[0] == 409 && statuses[1] == 200) {
		t.Fatalf("two resolutions: %v", statuses)
	}
	rep := mod.do("GET", "/api/v1/reports?status="+map[bool]string{true: "hidden", false: "dismissed"}[statuses[0] == 200], nil).json(t)["reports"].([]any)
	if len(rep) != 1 {
		t.Fatalf("the resolved report is not in its status list")
	}
	post := author.do("GET", fmt.Sprintf("/api/v1/threads/%d", th), nil).json(t)["posts"].([]any)[1].(map[string]any)
	if hidden := post["deleted"] == true; hidden != (statuses[0] == 200) {
		t.Fatalf("the post's hidden state %v does not follow the winning outcome", hidden)
	}
	// The reporter hears the outcome.
	waitFor(t, func() bool {
		ns := reporter.do("GET", "/api/v1/notifications", nil).json(t)["notifications"].([]any)
		return len(ns) == 1 && strings.HasPrefix(ns[0].(map[string]any)["kind"].(string), "report_")
	})
	// A hidden post is, to anyone but a moderator, as if it did not exist.
	if statuses[0] == 200 {
		if r := reporter.do("POST", fmt.Sprintf("/api/v1/posts/%d/report", pid), map[string]string{"reason": "again"}); r.Status != 404 {
			t.Fatalf("report on a deleted post: %d %s", r.Status, r.Body)
		}
	}
	if r := mod.do("POST", "/api/v1/reports/99999/resolve", map[string]string{"outcome": "hidden"}); r.Status != 404 {
		t.Fatalf("unknown report: %d", r.Status)
	}
}

func TestRoleGrantErrors(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	e.direct("bob")
	e.branch("一支部")
	cases := []struct {
		body   map[string]string
		status int
		field  string
	}{
		{map[string]string{"username": "bob", "role": "overlord"}, 422, "role"},
		{map[string]string{"username": "nobody", "role": "mentor"}, 422, "username"},
		{map[string]string{"username": "bob", "role": "moderator", "board": "nowhere"}, 422, "board"},
		{map[string]string{"username": "bob", "role": "member", "branch": "九支部"}, 422, "branch"},
		{map[string]string{"username": "bob", "role": "moderator"}, 422, "board"},
		{map[string]string{"username": "bob", "role": "member"}, 422, "branch"},
		{map[string]string{"username": "bob", "role": "admin", "board": "xinyu"}, 422, "*"},
		{map[string]string{"username": "bob", "role": "moderator", "board": "xinyu", "branch": "一支部"}, 422, "board"},
	}
	for _, c := range cases {
		r := admin.do("POST", "/api/v1/admin/roles", c.body)
		if r.Status != c.status {
			t.Errorf("grant %v: %d %s", c.body, r.Status, r.Body)
		}
	}
	if got := e.policy.RolesOf(e.userID("bob")); len(got) != 1 {
		t.Fatalf("failed grants left roles: %v", got)
	}
	// The last admin stays.
	r := admin.do("DELETE", "/api/v1/admin/roles", map[string]string{"username": "admin", "role": "admin"})
	if r.Status != 409 || r.errCode(t) != "last_admin" {
		t.Fatalf("revoke the last admin: %d %s", r.Status, r.Body)
	}
	if r := admin.do("POST", "/api/v1/admin/roles", map[string]string{"username": "bob", "role": "admin"}); r.Status != 201 {
		t.Fatalf("grant admin: %d %s", r.Status, r.Body)
	}
	if r := admin.do("DELETE", "/api/v1/admin/roles", map[string]string{"username": "admin", "role": "admin"}); r.Status != 204 {
		t.Fatalf("revoke one of two admins: %d %s", r.Status, r.Body)
	}
	if r := admin.do("GET", "/api/v1/admin/audit", nil); r.Status != 403 {
		t.Fatalf("a revoked admin still reads the audit log: %d", r.Status)
	}
	bob := e.session("bob")
	entries := bob.do("GET", "/api/v1/admin/audit?action=role.revoke", nil).json(t)["entries"].([]any)
	if len(entries) != 1 || entries[0].(map[string]any)["target"] != fmt.Sprintf("user:%d", e.userID("admin")) {
		t.Fatalf("audit of the revoke: %v", entries)
	}
	if r := bob.do("GET", "/api/v1/admin/audit?limit=0", nil); r.Status != 422 {
		t.Fatalf("bad limit: %d", r.Status)
	}
}

func TestSensitiveWords(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	e.direct("mod")
	e.grant("mod", "moderator", "xinyu", "")
	mod, bob, carol := e.session("mod"), e.direct("bob"), e.direct("carol")

	r := admin.do("PUT", "/api/v1/admin/words", map[string]any{"rules": []map[string]string{{"pattern": "好词", "action": "block"}, {"pattern": "反[腐", "action": "block"}}})
	if r.Status != 422 || !strings.Contains(r.Body, "第 2 条") {
		t.Fatalf("an invalid pattern: %d %s", r.Status, r.Body)
	}
	if r := bob.do("PUT", "/api/v1/admin/words", map[string]any{"rules": []any{}}); r.Status != 403 {
		t.Fatalf("an employee sets the list: %d", r.Status)
	}
	r = admin.do("PUT", "/api/v1/admin/words", map[string]any{"rules": []map[string]string{
		{"pattern": "暴乱", "action": "block"}, {"pattern": "反腐", "action": "replace"}, {"pattern": "黑幕", "action": "hold"}}})
	if r.Status != 200 {
		t.Fatalf("set words: %d %s", r.Status, r.Body)
	}
	th, _ := bob.thread("xinyu", "主题", "正文")
	if r := bob.do("POST", fmt.Sprintf("/api/v1/threads/%d/posts", th), map[string]string{"body": "发生了暴-亂"}); r.Status != 422 || !strings.Contains(r.Body, "暴-亂") {
		t.Fatalf("a blocked word, disguised: %d %s", r.Status, r.Body)
	}
	p := bob.reply(th, "我们要反 *腐", 0)
	if p["body"] != "我们要＊ *＊" {
		t.Fatalf("a replaced word: %q", p["body"])
	}
	held := bob.reply(th, "这里有黑 幕", 0)
	if held["held"] != true {
		t.Fatalf("a held word: %v", held)
	}
	hid := int64(held["id"].(float64))
	posts := carol.do("GET", fmt.Sprintf("/api/v1/threads/%d", th), nil).json(t)["posts"].([]any)
	if len(posts) != 2 {
		t.Fatalf("others see a held post: %d posts", len(posts))
	}
	if page := carol.do("GET", fmt.Sprintf("/t/%d", th), nil); strings.Contains(page.Body, "黑 幕") {
		t.Fatal("the page shows a held post")
	}
	queue := mod.do("GET", "/api/v1/moderation/held", nil).json(t)["posts"].([]any)
	if len(queue) != 1 || int64(queue[0].(map[string]any)["id"].(float64)) != hid {
		t.Fatalf("held queue: %v", queue)
	}
	if r := carol.do("POST", fmt.Sprintf("/api/v1/posts/%d/review", hid), map[string]bool{"approve": true}); r.Status != 403 {
		t.Fatalf("an employee approves: %d", r.Status)
	}
	if r := mod.do("POST", fmt.Sprintf("/api/v1/posts/%d/review", hid), map[string]bool{"approve": true}); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	if posts := carol.do("GET", fmt.Sprintf("/api/v1/threads/%d", th), nil).json(t)["posts"].([]any); len(posts) != 3 {
		t.Fatalf("an approved post is not shown: %d", len(posts))
	}
	if r := mod.do("POST", fmt.Sprintf("/api/v1/posts/%d/review", hid), map[string]bool{"approve": true}); r.Status != 409 {
		t.Fatalf("approve twice: %d", r.Status)
	}
	// Names are checked too.
	r = e.guest().do("POST", "/api/v1/auth/register", map[string]string{"username": "dave", "password": "password-dave", "display_name": "反腐先锋"})
	if r.Status != 422 {
		t.Fatalf("a display name with a listed word: %d %s", r.Status, r.Body)
	}
	got := admin.do("GET", "/api/v1/admin/words", nil).json(t)["rules"].([]any)
	if len(got) != 3 {
		t.Fatalf("GET words: %v", got)
	}
}

func TestHistoryMergeSplitSilenceBan(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	e.direct("mod")
	e.grant("mod", "moderator", "xinyu", "")
	mod, bob, carol := e.session("mod"), e.direct("bob"), e.direct("carol")

	// Edit history: the author and moderators read it, others may not.
	th, op := bob.thread("xinyu", "主题", "第一版")
	if r := bob.do("PATCH", fmt.Sprintf("/api/v1/posts/%d", op), map[string]string{"body": "第二版"}); r.Status != 200 {
		t.Fatal(r.Body)
	}
	h := mod.do("GET", fmt.Sprintf("/api/v1/posts/%d/history", op), nil)
	if h.Status != 200 || !strings.Contains(h.Body, "第一版") || !strings.Contains(h.Body, "第二版") {
		t.Fatalf("history: %d %s", h.Status, h.Body)
	}
	if r := carol.do("GET", fmt.Sprintf("/api/v1/posts/%d/history", op), nil); r.Status != 403 {
		t.Fatalf("history for another employee: %d", r.Status)
	}

	// Merge: the other thread's posts follow, its address redirects.
	other, _ := carol.thread("xinyu", "另一个", "另一个的正文")
	carol.reply(other, "另一个的回复", 0)
	r := mod.do("POST", fmt.Sprintf("/api/v1/threads/%d/merge", other), map[string]int64{"into": th})
	if r.Status != 200 {
		t.Fatalf("merge: %d %s", r.Status, r.Body)
	}
	posts := bob.do("GET", fmt.Sprintf("/api/v1/threads/%d", th), nil).json(t)["posts"].([]any)
	if len(posts) != 3 || posts[2].(map[string]any)["body"] != "另一个的回复" {
		t.Fatalf("after merge: %d posts", len(posts))
	}
	if r := bob.do("GET", fmt.Sprintf("/t/%d", other), nil); r.Status != 301 || r.Header.Get("Location") != fmt.Sprintf("/t/%d", th) {
		t.Fatalf("the merged thread's page: %d %s", r.Status, r.Header.Get("Location"))
	}
	// Split the two merged posts back off.
	ids := []int64{int64(posts[1].(map[string]any)["id"].(float64)), int64(posts[2].(map[string]any)["id"].(float64))}
	r = mod.do("POST", fmt.Sprintf("/api/v1/threads/%d/split", th), map[string]any{"post_ids": ids, "title": "分出来"})
	if r.Status != 201 {
		t.Fatalf("split: %d %s", r.Status, r.Body)
	}
	nt := id(r.json(t), "thread")
	if ps := bob.do("GET", fmt.Sprintf("/api/v1/threads/%d", nt), nil).json(t)["posts"].([]any); len(ps) != 2 || ps[0].(map[string]any)["seq"].(float64) != 1 {
		t.Fatalf("the split thread: %v", ps)
	}
	if r := mod.do("POST", fmt.Sprintf("/api/v1/threads/%d/split", th), map[string]any{"post_ids": []int64{op}, "title": "x"}); r.Status != 422 {
		t.Fatalf("splitting the opening post: %d", r.Status)
	}

	// Silence in one board: refused there, free elsewhere.
	if r := mod.do("POST", "/api/v1/boards/xinyu/silences", map[string]any{"username": "carol", "hours": 2, "reason": "刷屏"}); r.Status != 201 {
		t.Fatalf("silence: %d %s", r.Status, r.Body)
	}
	if r := carol.in("en").do("POST", fmt.Sprintf("/api/v1/threads/%d/posts", th), map[string]string{"body": "我还能说话吗"}); r.Status != 403 || !strings.Contains(r.Body, "silenced") {
		t.Fatalf("a silenced user replies: %d %s", r.Status, r.Body)
	}
	carol.thread("leyou", "别的版块", "可以")
	if r := mod.do("POST", "/api/v1/boards/leyou/silences", map[string]any{"username": "carol", "hours": 2}); r.Status != 403 {
		t.Fatalf("a moderator silences outside their board: %d", r.Status)
	}

	// Ban: sessions end at once; admins cannot be banned.
	if r := admin.do("POST", "/api/v1/admin/users/carol/ban", map[string]bool{"banned": true}); r.Status != 200 {
		t.Fatalf("ban: %d %s", r.Status, r.Body)
	}
	if r := carol.do("GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("a banned user's session: %d %s", r.Status, r.Body)
	}
	if r := e.guest().do("POST", "/api/v1/auth/login", map[string]string{"username": "carol", "password": "password-carol"}); r.Status != 403 {
		t.Fatalf("a banned user signs in: %d", r.Status)
	}
	if r := admin.do("POST", "/api/v1/admin/users/admin/ban", map[string]bool{"banned": true}); r.Status != 409 {
		t.Fatalf("ban an admin: %d", r.Status)
	}
	pw := admin.do("POST", "/api/v1/admin/users/bob/password", nil)
	if pw.Status != 200 {
		t.Fatalf("reset: %d", pw.Status)
	}
	if r := bob.do("GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("a reset password keeps old sessions: %d", r.Status)
	}
	e.login("bob", pw.json(t)["password"].(string))

	actions := map[string]bool{}
	for _, en := range admin.do("GET", "/api/v1/admin/audit?limit=200", nil).json(t)["entries"].([]any) {
		actions[en.(map[string]any)["action"].(string)] = true
	}
	for _, want := range []string{"thread.merge", "thread.split", "user.silence", "user.ban", "user.reset_password", "role.grant"} {
		if !actions[want] {
			t.Errorf("the audit log has no %s: %v", want, actions)
		}
	}
}

func TestBoardAccess(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	e.branch("一支部")
	e.direct("mem")
	e.grant("mem", "member", "", "一支部")
	mem, bob := e.session("mem"), e.direct("bob")
	bob.thread("shijiao", "主题", "正文")

	if r := admin.do("PATCH", "/api/v1/admin/boards/shijiao", map[string]any{"read_access": "party", "name_en": "Views"}); r.Status != 200 {
		t.Fatalf("restrict: %d %s", r.Status, r.Body)
	}
	if r := bob.do("GET", "/api/v1/boards/shijiao/threads", nil); r.Status != 403 {
		t.Fatalf("an employee reads a party board: %d", r.Status)
	}
	if r := e.guest().do("GET", "/b/shijiao", nil); r.Status != 401 {
		t.Fatalf("a guest reads a party board: %d", r.Status)
	}
	if r := mem.do("GET", "/api/v1/boards/shijiao/threads", nil); r.Status != 200 {
		t.Fatalf("a party member reads it: %d", r.Status)
	}
	boards := bob.do("GET", "/api/v1/boards", nil).json(t)["boards"].([]any)
	for _, b := range boards {
		if b.(map[string]any)["slug"] == "shijiao" {
			t.Fatal("a board the user cannot read is listed")
		}
	}
	if r := admin.do("PATCH", "/api/v1/admin/boards/leyou", map[string]any{"archived": true}); r.Status != 200 {
		t.Fatal(r.Body)
	}
	if r := bob.do("POST", "/api/v1/boards/leyou/threads", map[string]string{"title": "t", "body": "b"}); r.Status != 403 {
		t.Fatalf("post in an archived board: %d", r.Status)
	}
	for _, bad := range []map[string]any{{"read_access": "everyone"}, {"post_access": "public"}, {"name": ""}, {"position": -1}, {"slug": "other"}} {
		if r := admin.do("PATCH", "/api/v1/admin/boards/leyou", bad); r.Status != 422 {
			t.Errorf("board patch %v: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := admin.do("POST", "/api/v1/admin/boards", map[string]any{"slug": "xinyu", "name": "重复"}); r.Status != 409 {
		t.Fatalf("a taken slug: %d", r.Status)
	}
	if r := admin.do("POST", "/api/v1/admin/boards", map[string]any{"slug": "new-board", "name": "新版块"}); r.Status != 201 {
		t.Fatalf("create board: %d %s", r.Status, r.Body)
	}
	if r := bob.do("GET", "/b/new-board", nil); r.Status != 200 || !strings.Contains(r.Body, "新版块") {
		t.Fatalf("the new board's page: %d", r.Status)
	}
}
