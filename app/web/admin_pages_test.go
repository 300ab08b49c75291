package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestAdminRolePicker: a role is granted by choosing the role and then a board or a
// branch from lists, each named in the reader's language; nothing asks for a typed
// "board:xinyu". The roles held read as words (版主 · 家·心语), and so do the boards'
// access levels.
func TestAdminRolePicker(t *testing.T) {
	e := newEnv(t)
	e.branch("一支部")
	e.direct("banzhu")
	admin := e.admin()
	r := admin.form("/admin/users/banzhu", map[string]string{"_csrf": admin.csrf, "op": "grant", "role": "moderator", "scope": "board:xinyu"})
	if r.Status != 303 {
		t.Fatalf("grant through the picker: %d %s", r.Status, r.Body)
	}
	for lang, want := range map[string][]string{
		"zh-Hans": {`<option value="moderator">版主</option>`, `<option value="activist">活动分子</option>`, `<option value="">全站</option>`,
			`<option value="board:xinyu">家·心语</option>`, `<option value="branch:一支部">一支部</option>`, `<span class="tag">版主 · 家·心语</span>`},
		"zh-Hant": {`<option value="activist">活動分子</option>`, `<option value="board:xinyu">家·心語</option>`, `<span class="tag">版主 · 家·心語</span>`},
		"en":      {`<option value="activist">Activist</option>`, `<option value="board:xinyu">Heart to Heart</option>`, `<span class="tag">Moderator · Heart to Heart</span>`, `<span class="tag">Employee</span>`},
	} {
		page := admin.page("/admin/users?q=banzhu&lang=" + lang)
		for _, w := range want {
			if !strings.Contains(page.Body, w) {
				t.Errorf("%s: the users page lacks %s", lang, w)
			}
		}
		if strings.Contains(page.Body, "board:xinyu /") || strings.Contains(page.Body, "moderator@") || strings.Contains(page.Body, `name="scope" placeholder`) {
			t.Errorf("%s: the users page still asks for a typed scope or shows a raw role", lang)
		}
	}
	if !e.policy.Holds(e.userID("banzhu"), "moderator", "board:xinyu") {
		t.Fatal("the picker's grant did not take")
	}
	boards := admin.page("/admin/boards?lang=zh-Hans")
	for _, w := range []string{`<option value="public" selected>公开</option>`, `<option value="staff" selected>员工</option>`, `<option value="branch:一支部">支部：一支部</option>`, `阅读: 公开`} {
		if !strings.Contains(boards.Body, w) {
			t.Errorf("the boards page lacks %s", w)
		}
	}
	if strings.Contains(boards.Body, `list="access-levels"`) {
		t.Error("the boards page still asks for a typed access level")
	}
}

// TestAdminBanAsksFirst: ban and password reset show a confirmation page (a form that
// works without JavaScript) and do nothing until it is sent back; unban does not ask.
func TestAdminBanAsksFirst(t *testing.T) {
	e := newEnv(t)
	e.direct("zhangsan")
	admin := e.admin()
	for _, op := range []string{"ban", "password"} {
		r := admin.form("/admin/users/zhangsan", map[string]string{"_csrf": admin.csrf, "op": op})
		if r.Status != 200 || !strings.Contains(r.Body, `<input type="hidden" name="confirmed" value="1">`) ||
			!strings.Contains(r.Body, `<input type="hidden" name="op" value="`+op+`">`) || !strings.Contains(r.Body, "zhangsan") {
			t.Fatalf("%s without confirming: %d, no confirmation form\n%s", op, r.Status, r.Body)
		}
		if strings.Contains(r.Body, "新密码（只显示一次）") {
			t.Fatal("the password was reset before the admin confirmed")
		}
	}
	if u, _ := e.acc.UserByName(t.Context(), "zhangsan"); u.Banned {
		t.Fatal("banned before the admin confirmed")
	}
	r := admin.form("/admin/users/zhangsan", map[string]string{"_csrf": admin.csrf, "op": "ban", "confirmed": "1"})
	if r.Status != 303 {
		t.Fatalf("ban, confirmed: %d %s", r.Status, r.Body)
	}
	if u, _ := e.acc.UserByName(t.Context(), "zhangsan"); !u.Banned {
		t.Fatal("not banned after the admin confirmed")
	}
	if r := admin.form("/admin/users/zhangsan", map[string]string{"_csrf": admin.csrf, "op": "password", "confirmed": "1"}); r.Status != 200 || !strings.Contains(r.Body, "zhangsan:") {
		t.Fatalf("password reset, confirmed: %d %s", r.Status, r.Body)
	}
	if r := admin.form("/admin/users/zhangsan", map[string]string{"_csrf": admin.csrf, "op": "unban"}); r.Status != 303 {
		t.Fatalf("unban: %d %s", r.Status, r.Body)
	}
	if r := admin.form("/admin/users/nobody", map[string]string{"_csrf": admin.csrf, "op": "ban"}); r.Status != 404 {
		t.Fatalf("ban an unknown user: %d", r.Status)
	}
}

// TestAuditReadsAsSentences: the audit page says who did what to which thread, post or
// user in the reader's language, links the target, and keeps the raw entry in a
// <details>; the API names the actor and the target beside the ids.
func TestAuditReadsAsSentences(t *testing.T) {
	e := newEnv(t)
	e.direct("banzhu")
	author := e.direct("author")
	admin := e.admin()
	admin.form("/admin/users/banzhu", map[string]string{"_csrf": admin.csrf, "op": "grant", "role": "moderator", "scope": "board:xinyu"})
	th, _ := author.thread("xinyu", "学习心得", "正文")
	p := author.reply(th, "第二楼", 0)
	pid := int64(p["id"].(float64))
	if r := admin.do("PATCH", fmt.Sprintf("/api/v1/threads/%d", th), map[string]any{"pinned": true}); r.Status != 200 {
		t.Fatalf("pin: %d %s", r.Status, r.Body)
	}
	if r := admin.do("DELETE", fmt.Sprintf("/api/v1/posts/%d", pid), nil); r.Status != 204 && r.Status != 200 {
		t.Fatalf("hide: %d %s", r.Status, r.Body)
	}
	for lang, want := range map[string][]string{
		"zh-Hans": {`管理员 (admin) 授予 <a href="/admin/users?q=banzhu">banzhu (banzhu)</a> 版主 · 家·心语 角色`,
			fmt.Sprintf(`管理员 (admin) 置顶了主题 <a href="/t/%d">学习心得</a>`, th),
			fmt.Sprintf(`管理员 (admin) 隐藏了 <a href="/t/%d?after=1#p2">“学习心得”的 #2 楼</a>`, th),
			`<details><summary>原始记录</summary>`, `<code>role.grant</code>`, `<option value="post.hide">隐藏帖子</option>`},
		"en": {`granted Moderator · Heart to Heart to <a href="/admin/users?q=banzhu">banzhu (banzhu)</a>`,
			fmt.Sprintf(`pinned the thread <a href="/t/%d">学习心得</a>`, th), `post #2 in “学习心得”`, `<summary>Raw entry</summary>`},
	} {
		page := admin.page("/admin/audit?lang=" + lang)
		for _, w := range want {
			if !strings.Contains(page.Body, w) {
				t.Errorf("%s: the audit page lacks %s", lang, w)
			}
		}
	}
	entries := admin.do("GET", "/api/v1/admin/audit", nil).json(t)["entries"].([]any)
	got := map[string]map[string]any{}
	for _, x := range entries {
		m := x.(map[string]any)
		got[m["action"].(string)] = m
	}
	grant, pin, hide := got["role.grant"], got["thread.update"], got["post.hide"]
	if grant == nil || pin == nil || hide == nil {
		t.Fatalf("the API's entries: %v", entries)
	}
	if grant["actor_username"] != "admin" || grant["actor_display_name"] == nil || grant["target_username"] != "banzhu" || grant["target_display_name"] != "banzhu" || grant["actor_id"] == nil {
		t.Errorf("the grant names neither actor nor target: %v", grant)
	}
	if pin["thread_title"] != "学习心得" || pin["thread_id"] != float64(th) || pin["url"] != fmt.Sprintf("/t/%d", th) {
		t.Errorf("the pin does not name its thread: %v", pin)
	}
	if hide["thread_title"] != "学习心得" || hide["post_seq"] != float64(2) || hide["target"] != fmt.Sprintf("post:%d", pid) {
		t.Errorf("the hide does not name its post's thread: %v", hide)
	}
}

// TestQueueNamesBoardsAndThreads: the moderators' queue shows a report's and a held
// post's board by name and thread by title, not slugs and ids.
func TestQueueNamesBoardsAndThreads(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	if r := admin.do("PUT", "/api/v1/admin/words", map[string]any{"rules": []map[string]string{{"pattern": "黑幕", "action": "hold"}}}); r.Status != 200 {
		t.Fatalf("set words: %d %s", r.Status, r.Body)
	}
	author, reporter := e.direct("author"), e.direct("reporter")
	th, pid := author.thread("xinyu", "周末读书会", "一起来")
	author.reply(th, "这里有黑幕", 0)
	if r := reporter.do("POST", fmt.Sprintf("/api/v1/posts/%d/report", pid), map[string]string{"reason": "广告"}); r.Status != 201 {
		t.Fatalf("report: %d %s", r.Status, r.Body)
	}
	reports := admin.do("GET", "/api/v1/reports", nil).json(t)["reports"].([]any)
	if len(reports) != 1 || reports[0].(map[string]any)["thread_title"] != "周末读书会" {
		t.Errorf("the API's queue does not name the thread: %v", reports)
	}
	for lang, board := range map[string]string{"zh-Hans": "家·心语", "zh-Hant": "家·心語", "en": "Heart to Heart"} {
		page := admin.page("/mod?lang=" + lang)
		report := page.Body[strings.Index(page.Body, `<article class="report card" id="r`):]
		held := page.Body[strings.Index(page.Body, `<article class="report card" id="h`):]
		for _, part := range []string{report, held} {
			part = part[:strings.Index(part, "</header>")]
			if !strings.Contains(part, `<span class="tag">`+board+`</span>`) || !strings.Contains(part, fmt.Sprintf(`<a href="/t/%d">周末读书会</a>`, th)) {
				t.Errorf("%s: the queue does not name the board and thread: %s", lang, part)
			}
			if strings.Contains(part, ">xinyu<") || strings.Contains(part, fmt.Sprintf("#%d</a>", th)) {
				t.Errorf("%s: the queue shows a slug or an id: %s", lang, part)
			}
		}
	}
}

// TestSearchHitsNameTheirBoard: a hit on the search page shows its board's name in the
// reader's language, not its slug.
func TestSearchHitsNameTheirBoard(t *testing.T) {
	e := newEnv(t)
	u := e.user("searcher")
	u.thread("leyou", "周末去爬山", "有没有人一起去")
	searchFor(t, u, "爬山", 1)
	for lang, board := range map[string]string{"zh-Hans": "家·乐游", "zh-Hant": "家·樂遊", "en": "Leisure &amp; Travel"} {
		page := u.page("/search?q=%E7%88%AC%E5%B1%B1&lang=" + lang)
		if !strings.Contains(page.Body, `<span class="meta">`+board+` · `) {
			t.Errorf("%s: the hit does not name its board:\n%s", lang, page.Body)
		}
	}
}
