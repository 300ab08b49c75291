package web_test

import (
	"fmt"
	"strings"
	"testing"

	"jiayuan/app/forum"
)

// notificationsOf returns a user's notifications as the API answers them.
func notificationsOf(t *testing.T, c *client) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, n := range c.do("GET", "/api/v1/notifications?limit=100", nil).json(t)["notifications"].([]any) {
		out = append(out, n.(map[string]any))
	}
	return out
}

// TestThreadReplyNotifiesItsAuthor: a reply anywhere in your thread tells you, not only
// a reply to your own post; the notification names the thread and the board, and
// opening it marks it read. Your own reply in your own thread tells nobody, and a
// thread author who may no longer read the board is not told.
func TestThreadReplyNotifiesItsAuthor(t *testing.T) {
	e := newEnv(t)
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	tid, op := alice.thread("xinyu", "第六周周记", "请大家指正")
	second := int64(bob.reply(tid, "我先说两句", op)["id"].(float64))
	third := int64(carol.reply(tid, "同意楼上", second)["id"].(float64))
	alice.reply(tid, "谢谢大家", 0)
	waitFor(t, func() bool {
		return len(notified(t, alice)["thread_reply"]) == 1 && len(notified(t, bob)["reply"]) == 1
	})
	if got := notified(t, alice); len(got["reply"]) != 1 || got["thread_reply"][0] != third {
		t.Fatalf("alice's notifications: %v", got)
	}
	// Her own reply told nobody: bob has his reply only, carol nothing.
	if got := notified(t, bob); len(got) != 1 || len(notified(t, carol)) != 0 {
		t.Fatalf("bob %v, carol %v", got, notified(t, carol))
	}
	boards := alice.do("GET", "/api/v1/boards", nil).json(t)["boards"].([]any)
	var boardName string
	for _, b := range boards {
		if b.(map[string]any)["slug"] == "xinyu" {
			boardName = b.(map[string]any)["name"].(string)
		}
	}
	n := notificationsOf(t, alice)[0]
	if n["kind"] != "thread_reply" || n["thread_title"] != "第六周周记" || n["board"] != "xinyu" || n["board_name"] != boardName || boardName == "" {
		t.Fatalf("the notification does not name its thread and board: %v", n)
	}
	if m := notificationsOf(t, alice.in("en"))[0]; m["board_name"] == boardName {
		t.Errorf("the board's name is not in the reader's language: %v", m["board_name"])
	}

	// The page names them too, and opening one marks it read and lands at the post.
	page := alice.page("/notifications")
	if !strings.Contains(page.Body, "第六周周记") || !strings.Contains(page.Body, `href="/b/xinyu"`) || !strings.Contains(page.Body, "在你的主题里回复了") {
		t.Fatalf("the notifications page does not name the thread and board:\n%s", page.Body)
	}
	open := fmt.Sprintf("/notifications/%d?thread=%d&amp;seq=3", int64(n["id"].(float64)), tid)
	if !strings.Contains(page.Body, open) {
		t.Fatalf("no link %s on the page", open)
	}
	r := alice.page(strings.ReplaceAll(open, "&amp;", "&"))
	if r.Status != 303 || r.Header.Get("Location") != fmt.Sprintf("/t/%d?at=3#p3", tid) {
		t.Fatalf("opening a notification: %d %q", r.Status, r.Header.Get("Location"))
	}
	waitUnread(t, alice, 1)
	if r := alice.form("/notifications/read", map[string]string{"_csrf": alice.csrf}); r.Status != 303 {
		t.Fatalf("mark all read: %d", r.Status)
	}
	waitUnread(t, alice, 0)

	// A thread author who may no longer read the board hears nothing of a reply in it.
	outsider, closeClub := e.clubOfBranch(e.admin(), "insider")
	insider := e.session("insider")
	th, _ := outsider.thread("club", "开放时的主题", "正文")
	closeClub()
	insider.reply(th, "支部内部的讨论", 0)
	insider.thread("xinyu", "公开主题", "@outsider 看看这个")
	waitFor(t, func() bool { return len(notified(t, outsider)["mention"]) == 1 })
	if got := notified(t, outsider); len(got["thread_reply"]) != 0 {
		t.Fatalf("told of a reply in a board they may not read: %v", got)
	}
}

// TestLandBackWhereYouWere: replying, editing, hiding and reporting lead back to the
// post, in the view the form came from, on a page that links to the first post; long
// threads have readable first, next and last page addresses, and the old ones work.
func TestLandBackWhereYouWere(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	uid := e.userID("alice")
	b, err := e.store.BoardBySlug(t.Context(), "xinyu")
	if err != nil {
		t.Fatal(err)
	}
	th := &forum.Thread{BoardID: b.ID, Title: "很长的主题", AuthorID: uid, CreatedAt: b.CreatedAt}
	posts := make([]*forum.Post, 120)
	for i := range posts {
		posts[i] = &forum.Post{AuthorID: uid, Body: fmt.Sprint("回复 ", i+1), HTML: fmt.Sprint("<p>回复 ", i+1, "</p>"), CreatedAt: b.CreatedAt}
	}
	if err := e.store.ImportThread(t.Context(), th, posts); err != nil {
		t.Fatal(err)
	}
	tp := fmt.Sprintf("/t/%d", th.ID)

	// Pages: the tree's next page by post number, the time order's by seq, a last page,
	// and the old path address.
	first := bob.page(tp)
	if !strings.Contains(first.Body, fmt.Sprintf(`href="%s?at=51"`, tp)) || !strings.Contains(first.Body, fmt.Sprintf(`href="%s?at=71"`, tp)) ||
		strings.Contains(first.Body, "0000000050.") {
		t.Fatalf("the tree's next and last pages are not readable:\n%s", first.Body)
	}
	timed := bob.page(tp + "?view=time")
	if !strings.Contains(timed.Body, fmt.Sprintf(`href="%s?after=50"`, tp)) || !strings.Contains(timed.Body, fmt.Sprintf(`href="%s?after=70"`, tp)) {
		t.Fatalf("the time order has no next or last page link:\n%s", timed.Body)
	}
	for _, addr := range []string{tp + "?at=51", tp + "?from=0000000050.", tp + "?after=50"} {
		p := bob.page(addr)
		if p.Status != 200 || !strings.Contains(p.Body, `id="p51"`) || strings.Contains(p.Body, `id="p50"`) || !strings.Contains(p.Body, `class="to-first"`) {
			t.Fatalf("%s: %d, want the page from #51 with a link to the first post", addr, p.Status)
		}
	}

	// A reply from either view lands at it in that view.
	r := bob.form(tp, map[string]string{"_csrf": bob.csrf, "body": "按时间看的回复", "view": "time"})
	if r.Status != 303 || r.Header.Get("Location") != fmt.Sprintf("%s?after=120#p121", tp) {
		t.Fatalf("reply from the time view: %d %q", r.Status, r.Header.Get("Location"))
	}
	r = bob.form(tp, map[string]string{"_csrf": bob.csrf, "body": "对话视图的回复"})
	if r.Status != 303 || r.Header.Get("Location") != fmt.Sprintf("%s?at=122#p122", tp) {
		t.Fatalf("reply from the tree: %d %q", r.Status, r.Header.Get("Location"))
	}
	if p := bob.page(r.Header.Get("Location")); !strings.Contains(p.Body, `id="p122"`) || !strings.Contains(p.Body, "对话视图的回复") || !strings.Contains(p.Body, `class="to-first"`) {
		t.Fatalf("the landing page lacks the reply or the way to the first post")
	}
	// The time view carries its view into the reply form, and the post's edit links.
	if !strings.Contains(timed.Body, `name="view" value="time"`) || !strings.Contains(timed.Body, `/edit?view=time"`) {
		t.Fatalf("the time view does not carry itself into its forms")
	}
	id := int64(bob.do("GET", fmt.Sprintf("/api/v1/threads/%d?after=121", th.ID), nil).json(t)["posts"].([]any)[0].(map[string]any)["id"].(float64))
	edit := bob.page(fmt.Sprintf("/p/%d/edit?view=time", id))
	if !strings.Contains(edit.Body, `name="view" value="time"`) {
		t.Fatalf("the edit page forgets the view")
	}
	r = bob.form(fmt.Sprintf("/p/%d/edit", id), map[string]string{"_csrf": bob.csrf, "body": "改过的回复", "view": "time"})
	if r.Status != 303 || r.Header.Get("Location") != fmt.Sprintf("%s?after=121#p122", tp) {
		t.Fatalf("edit: %d %q", r.Status, r.Header.Get("Location"))
	}
	r = alice.form(fmt.Sprintf("/p/%d/report", id), map[string]string{"_csrf": alice.csrf, "reason": "跑题了"})
	if loc := r.Header.Get("Location"); r.Status != 303 || !strings.HasPrefix(loc, fmt.Sprintf("%s?at=122&reported=", tp)) || !strings.HasSuffix(loc, "#p122") {
		t.Fatalf("report: %d %q", r.Status, loc)
	}
	r = bob.form(fmt.Sprintf("/p/%d/delete", id), map[string]string{"_csrf": bob.csrf})
	if r.Status != 303 || r.Header.Get("Location") != fmt.Sprintf("%s?at=122#p122", tp) {
		t.Fatalf("delete: %d %q", r.Status, r.Header.Get("Location"))
	}
}

// hideable is a forum with bob's reply id in his thread tid, for the admin to hide.
func hideable(t *testing.T) (e *env, admin, bob *client, tid, id int64) {
	e = newEnv(t)
	admin, bob = e.admin(), e.user("bob")
	tid, _ = bob.thread("xinyu", "主题", "正文")
	return e, admin, bob, tid, int64(bob.reply(tid, "加微信领红包", 0)["id"].(float64))
}

// TestHideAsksForAReason: a moderator's button says hide, the page asks why, the
// reason is in the audit log and told to the author; a post's own author deletes
// instead, and never sees a report or hide button on it.
func TestHideAsksForAReason(t *testing.T) {
	e, admin, bob, tid, id := hideable(t)

	form := admin.page(fmt.Sprintf("/p/%d/delete", id))
	if !strings.Contains(form.Body, "<h1>隐藏 #2</h1>") || !strings.Contains(form.Body, `name="reason"`) || strings.Contains(form.Body, ">删除<") {
		t.Fatalf("the hide page:\n%s", form.Body)
	}
	if own := bob.page(fmt.Sprintf("/p/%d/delete", id)); !strings.Contains(own.Body, "<h1>删除 #2</h1>") || strings.Contains(own.Body, `name="reason"`) {
		t.Fatalf("the author's delete page:\n%s", own.Body)
	}
	if r := admin.form(fmt.Sprintf("/p/%d/delete", id), map[string]string{"_csrf": admin.csrf, "reason": " "}); r.Status != 422 || !strings.Contains(r.Body, "请说明隐藏的原因") {
		t.Fatalf("hide without a reason: %d", r.Status)
	}
	r := admin.form(fmt.Sprintf("/p/%d/delete", id), map[string]string{"_csrf": admin.csrf, "reason": "广告"})
	if r.Status != 303 || r.Header.Get("Location") != fmt.Sprintf("/t/%d?at=2#p2", tid) {
		t.Fatalf("hide: %d %q", r.Status, r.Header.Get("Location"))
	}
	audit := admin.do("GET", "/api/v1/admin/audit?action=post.hide", nil)
	if !strings.Contains(audit.Body, `"reason":"广告"`) {
		t.Fatalf("the audit log lacks the reason: %s", audit.Body)
	}
	waitFor(t, func() bool { return len(notified(t, bob)["post_hidden"]) == 1 })
	if n := notificationsOf(t, bob)[0]; n["kind"] != "post_hidden" || n["reason"] != "广告" {
		t.Fatalf("the author's notification: %v", n)
	}
	if page := bob.page("/notifications"); !strings.Contains(page.Body, "隐藏了你的帖子") || !strings.Contains(page.Body, "广告") {
		t.Fatalf("the notifications page does not give the reason:\n%s", page.Body)
	}
	// Report and hide hide themselves on the reader's own posts.
	rule := fmt.Sprintf(`.post[data-author="%d"] .report, .post[data-author="%d"] .hide { display: none }`, e.userID("bob"), e.userID("bob"))
	if page := bob.page(fmt.Sprintf("/t/%d", tid)); !strings.Contains(page.Body, rule) || !strings.Contains(page.Body, `class="signed report"`) {
		t.Fatalf("no rule hiding the report button on one's own posts")
	}
}

// TestAPIHideTellsTheReason: a moderator's DELETE with a reason tells the author, with
// it; hiding the hidden post again changes nothing, and a hide after a restore tells
// the new reason on the one notification.
func TestAPIHideTellsTheReason(t *testing.T) {
	_, admin, bob, _, id := hideable(t)
	reason := func() any {
		ns := notificationsOf(t, bob)
		if len(ns) != 1 || ns[0]["kind"] != "post_hidden" || int64(ns[0]["post_id"].(float64)) != id {
			t.Fatalf("bob's notifications: %v", ns)
		}
		return ns[0]["reason"]
	}
	hide := func(why string) {
		t.Helper()
		if r := admin.do("DELETE", fmt.Sprintf("/api/v1/posts/%d", id), map[string]string{"reason": why}); r.Status != 204 {
			t.Fatalf("hide: %d %s", r.Status, r.Body)
		}
	}
	hide("广告")
	waitFor(t, func() bool { return len(notified(t, bob)["post_hidden"]) == 1 })
	if got := reason(); got != "广告" {
		t.Fatalf("reason %v", got)
	}
	hide("别的") // stores nothing: the post was hidden already
	if got := reason(); got != "广告" {
		t.Fatalf("hiding the hidden post again made the reason %v", got)
	}
	if r := admin.do("POST", fmt.Sprintf("/api/v1/posts/%d/restore", id), nil); r.Status/100 != 2 {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	hide("再次")
	waitFor(t, func() bool { return reason() == "再次" })
}

// TestHeldPostTellsItsAuthor: a post held for review says so to its author at once, on
// the page and in the API answer, shows to them as pending, and its author hears the
// moderator's decision either way.
func TestHeldPostTellsItsAuthor(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	if r := admin.do("PUT", "/api/v1/admin/words", map[string]any{"rules": []map[string]string{{"pattern": "黑幕", "action": "hold"}}}); r.Status != 200 {
		t.Fatalf("words: %d %s", r.Status, r.Body)
	}
	alice, bob := e.user("alice"), e.user("bob")
	tid, _ := alice.thread("xinyu", "主题", "正文")
	r := bob.do("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), map[string]string{"body": "这里有黑幕"})
	m := r.json(t)
	if r.Status != 201 || m["held"] != true || m["message_key"] != "post_held" || !strings.Contains(m["message"].(string), "审核") {
		t.Fatalf("the API answer of a held post: %d %v", r.Status, m)
	}
	approved := int64(m["post"].(map[string]any)["id"].(float64))
	if m := alice.do("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), map[string]string{"body": "普通回复"}).json(t); m["held"] != false || m["message_key"] != nil {
		t.Fatalf("the answer of a post not held: %v", m)
	}

	// From the second page in time order: back there, the post pending under it.
	if page := bob.page(fmt.Sprintf("/t/%d?view=time&after=1", tid)); !strings.Contains(page.Body, `name="here_after" value="1"`) {
		t.Fatalf("the reply form does not carry its page")
	}
	f := bob.form(fmt.Sprintf("/t/%d", tid), map[string]string{"_csrf": bob.csrf, "body": "还有黑幕", "view": "time", "here_view": "time", "here_after": "1"})
	loc := f.Header.Get("Location")
	if f.Status != 303 || loc != fmt.Sprintf("/t/%d?after=1&view=time#pending", tid) {
		t.Fatalf("the form's answer of a held post: %d %q", f.Status, loc)
	}
	page := bob.page(loc)
	if !strings.Contains(page.Body, `id="pending"`) || !strings.Contains(page.Body, "还有黑幕") || !strings.Contains(page.Body, "待审核") || !strings.Contains(page.Body, "等待版主审核") {
		t.Fatalf("the author's page does not show the post pending:\n%s", page.Body)
	}
	if other := alice.page(loc); strings.Contains(other.Body, "还有黑幕") || strings.Contains(other.Body, `id="pending"`) {
		t.Fatalf("another reader sees the held post")
	}
	// Later, on any page of the thread, both still show to their author as pending.
	if later := bob.page(fmt.Sprintf("/t/%d", tid)); strings.Count(later.Body, "待审核") != 2 || !strings.Contains(later.Body, "这里有黑幕") {
		t.Fatalf("the author's held posts are not pending on the thread page:\n%s", later.Body)
	}
	declined := int64(0)
	for _, p := range admin.do("GET", "/api/v1/moderation/held", nil).json(t)["posts"].([]any) {
		if id := int64(p.(map[string]any)["id"].(float64)); id != approved {
			declined = id
		}
	}
	if r := admin.do("POST", fmt.Sprintf("/api/v1/posts/%d/review", approved), map[string]bool{"approve": true}); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	if r := admin.do("POST", fmt.Sprintf("/api/v1/posts/%d/review", declined), map[string]bool{"approve": false}); r.Status != 200 {
		t.Fatalf("decline: %d %s", r.Status, r.Body)
	}
	waitFor(t, func() bool {
		got := notified(t, bob)
		return len(got["post_approved"]) == 1 && len(got["post_declined"]) == 1
	})
	if got := notified(t, bob); got["post_approved"][0] != approved || got["post_declined"][0] != declined {
		t.Fatalf("bob's notifications: %v", got)
	}
	if later := bob.page(fmt.Sprintf("/t/%d", tid)); strings.Contains(later.Body, `id="pending"`) || !strings.Contains(later.Body, "这里有黑幕") {
		t.Fatalf("after the decisions the thread page still shows a post pending, or not the approved one")
	}
	if page := bob.page("/notifications"); !strings.Contains(page.Body, "你的帖子已通过审核") || !strings.Contains(page.Body, "你的帖子未通过版主审核") {
		t.Fatalf("the notifications page:\n%s", page.Body)
	}
}

// TestReportHideTellsTheAuthor: a post hidden by resolving a report is a hide like any
// other: its author is told, with the moderator's note as the reason, or with what the
// post was reported for when the moderator wrote none.
func TestReportHideTellsTheAuthor(t *testing.T) {
	e, admin, bob, tid, pid := hideable(t)
	carol := e.user("carol")
	report := func(post int64) int64 {
		t.Helper()
		r := carol.do("POST", fmt.Sprintf("/api/v1/posts/%d/report", post), map[string]string{"reason": "广告"})
		if r.Status != 201 {
			t.Fatalf("report: %d %s", r.Status, r.Body)
		}
		return id(r.json(t), "report")
	}
	resolve := func(rid int64, note string) {
		t.Helper()
		if r := admin.do("POST", fmt.Sprintf("/api/v1/reports/%d/resolve", rid), map[string]string{"outcome": "hidden", "note": note}); r.Status != 200 {
			t.Fatalf("resolve: %d %s", r.Status, r.Body)
		}
	}
	reasons := func() map[int64]any {
		out := map[int64]any{}
		for _, n := range notificationsOf(t, bob) {
			if n["kind"] == "post_hidden" {
				out[int64(n["post_id"].(float64))] = n["reason"]
			}
		}
		return out
	}
	resolve(report(pid), "违反版规：广告")
	other := int64(bob.reply(tid, "又一条广告", 0)["id"].(float64))
	resolve(report(other), "")
	waitFor(t, func() bool { return len(reasons()) == 2 })
	if got := reasons(); got[pid] != "违反版规：广告" || got[other] != "广告" {
		t.Fatalf("the reasons bob was told: %v", got)
	}
}
