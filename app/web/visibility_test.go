package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// sameAsMissing checks that r answers as a request for a post that does not exist does.
func sameAsMissing(t *testing.T, what string, r, missing resp) {
	t.Helper()
	if r.Status != missing.Status || r.Status != 404 {
		t.Errorf("%s: %d, want %d as for a missing post: %s", what, r.Status, missing.Status, r.Body)
	}
}

// TestPostsYouMayNotReadAreMissing: a post hidden by a moderator, a post held for
// review and a post of a private board cannot be reported, excerpted, previewed or
// shown by id to someone who may not read it: every such address answers as for a
// post that does not exist, and never shows the text.
func TestPostsYouMayNotReadAreMissing(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	if r := admin.do("PUT", "/api/v1/admin/words", map[string]any{"rules": []map[string]string{{"pattern": "黑幕", "action": "hold"}}}); r.Status != 200 {
		t.Fatalf("words: %d %s", r.Status, r.Body)
	}
	e.branch("一支部")
	if r := admin.do("POST", "/api/v1/admin/boards", map[string]any{"slug": "branch1", "name": "一支部园地",
		"read_access": "branch:一支部", "post_access": "branch:一支部"}); r.Status != 201 {
		t.Fatalf("branch board: %d %s", r.Status, r.Body)
	}
	bob, carol := e.direct("bob"), e.direct("carol")
	e.direct("mod")
	e.grant("mod", "moderator", "xinyu", "")
	mod := e.session("mod")
	e.direct("member")
	e.grant("member", "member", "", "一支部")
	member := e.session("member")

	th, _ := bob.thread("xinyu", "主题", "正文")
	hidden := int64(bob.reply(th, "被隐藏的秘密 HIDDENTEXT", 0)["id"].(float64))
	if r := mod.do("DELETE", fmt.Sprintf("/api/v1/posts/%d", hidden), nil); r.Status != 204 {
		t.Fatalf("hide: %d", r.Status)
	}
	held := int64(bob.reply(th, "待审核的黑幕 HELDTEXT", 0)["id"].(float64))
	bth, _ := member.thread("branch1", "支部的事", "支部正文 BRANCHTEXT")
	branchPost := int64(member.reply(bth, "支部回复 BRANCHTEXT", 0)["id"].(float64))

	const missingID = 999999
	addresses := func(id int64) map[string]func(c *client) resp {
		return map[string]func(c *client) resp{
			"report page": func(c *client) resp { return c.page(fmt.Sprintf("/p/%d/report", id)) },
			"report API": func(c *client) resp {
				return c.do("POST", fmt.Sprintf("/api/v1/posts/%d/report", id), map[string]string{"reason": "看看"})
			},
			"history page": func(c *client) resp { return c.page(fmt.Sprintf("/p/%d/history", id)) },
			"history API":  func(c *client) resp { return c.do("GET", fmt.Sprintf("/api/v1/posts/%d/history", id), nil) },
			"edit page":    func(c *client) resp { return c.page(fmt.Sprintf("/p/%d/edit", id)) },
			"delete page":  func(c *client) resp { return c.page(fmt.Sprintf("/p/%d/delete", id)) },
			"restore page": func(c *client) resp { return c.page(fmt.Sprintf("/p/%d/restore", id)) },
		}
	}
	cases := []struct {
		name   string
		id     int64
		text   string
		reader *client
	}{
		{"hidden, to another employee", hidden, "HIDDENTEXT", carol},
		{"hidden, to its author", hidden, "HIDDENTEXT", bob},
		{"held, to another employee", held, "HELDTEXT", carol},
		{"private board, to an outsider", branchPost, "BRANCHTEXT", carol},
		{"private board, to another board's moderator", branchPost, "BRANCHTEXT", mod},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			missing := addresses(missingID)
			for what, do := range addresses(tc.id) {
				r := do(tc.reader)
				sameAsMissing(t, what, r, missing[what](tc.reader))
				if strings.Contains(r.Body, tc.text) {
					t.Errorf("%s shows the text", what)
				}
			}
		})
	}
	// The reply form's preview of the post answered shows nothing of it either.
	for _, id := range []int64{hidden, held} {
		if r := carol.page(fmt.Sprintf("/t/%d?reply_to=%d", th, id)); r.Status != 200 || strings.Contains(r.Body, "HIDDENTEXT") || strings.Contains(r.Body, "HELDTEXT") {
			t.Errorf("reply form for post %d: %d, or it shows the text", id, r.Status)
		}
		if r := carol.do("POST", fmt.Sprintf("/api/v1/threads/%d/posts", th), map[string]any{"body": "回复", "reply_to": id}); r.Status != 422 {
			t.Errorf("answering post %d one may not see: %d, want 422 as for a post of another thread", id, r.Status)
		}
	}

	// Those who may read them still can: the author their held post, the board's
	// moderator both.
	if r := bob.page(fmt.Sprintf("/p/%d/edit", held)); r.Status != 200 || !strings.Contains(r.Body, "HELDTEXT") {
		t.Errorf("the author's own held post: %d", r.Status)
	}
	for _, id := range []int64{hidden, held} {
		if r := mod.page(fmt.Sprintf("/p/%d/report", id)); r.Status != 200 {
			t.Errorf("the moderator, post %d: %d", id, r.Status)
		}
	}
	if r := member.page(fmt.Sprintf("/p/%d/report", branchPost)); r.Status != 200 || !strings.Contains(r.Body, "BRANCHTEXT") {
		t.Errorf("a member, their branch's post: %d", r.Status)
	}

	// A report stays in its board's queue, but once its post has moved where the
	// moderator may not read, the queue shows no excerpt of it.
	th2, _ := bob.thread("xinyu", "将被移走", "正文")
	moved := int64(bob.reply(th2, "将被移走的帖子 MOVEDTEXT", 0)["id"].(float64))
	if r := carol.do("POST", fmt.Sprintf("/api/v1/posts/%d/report", moved), map[string]string{"reason": "广告"}); r.Status != 201 {
		t.Fatalf("report: %d %s", r.Status, r.Body)
	}
	if r := mod.do("GET", "/api/v1/reports", nil); !strings.Contains(r.Body, "MOVEDTEXT") {
		t.Fatalf("the moderator's queue lacks the excerpt: %s", r.Body)
	}
	if r := admin.do("PATCH", fmt.Sprintf("/api/v1/threads/%d", th2), map[string]string{"board": "branch1"}); r.Status != 200 {
		t.Fatalf("move: %d %s", r.Status, r.Body)
	}
	if r := mod.do("GET", "/api/v1/reports", nil); r.Status != 200 || strings.Contains(r.Body, "MOVEDTEXT") {
		t.Errorf("the queue shows the excerpt of a post moved out of the moderator's reach: %d %s", r.Status, r.Body)
	}
	if r := mod.page("/mod"); r.Status != 200 || strings.Contains(r.Body, "MOVEDTEXT") {
		t.Errorf("the queue page shows the excerpt of a post moved out of the moderator's reach: %d", r.Status)
	}
}

// TestPrivateBoardsAreMissing: a branch's board and a moderators' board exist only for
// their readers: to anyone else the board, its threads and its posts answer 404, as
// missing ones do, on pages, in the API and on the socket. A staff or a party board is
// no secret: a guest is asked to sign in (401), a signed-in reader without the role is
// refused (403).
func TestPrivateBoardsAreMissing(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	e.branch("一支部")
	boards := map[string]string{"branch1": "branch:一支部", "mods": "moderators", "staffonly": "staff", "partyonly": "party"}
	threads := map[string]int64{}
	for slug, level := range boards {
		if r := admin.do("POST", "/api/v1/admin/boards", map[string]any{"slug": slug, "name": slug, "read_access": level, "post_access": "moderators"}); r.Status != 201 {
			t.Fatalf("board %s: %d %s", slug, r.Status, r.Body)
		}
		threads[slug], _ = admin.thread(slug, "主题", "正文")
	}
	guest, emp := e.guest(), e.direct("emp")
	ws, _, err := emp.dial("http://" + e.addr)
	if err != nil {
		t.Fatal(err)
	}
	gws, _, err := guest.dial("http://" + e.addr)
	if err != nil {
		t.Fatal(err)
	}
	const missing = 999999
	check := func(who string, c *client, sock *socket, slug string, want int) {
		t.Helper()
		tid := threads[slug]
		for _, r := range []struct {
			what string
			r    resp
		}{
			{"board API", c.do("GET", "/api/v1/boards/"+slug+"/threads", nil)},
			{"board page", c.page("/b/" + slug)},
			{"thread API", c.do("GET", fmt.Sprintf("/api/v1/threads/%d", tid), nil)},
			{"thread page", c.page(fmt.Sprintf("/t/%d", tid))},
			{"post into it", c.do("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), map[string]string{"body": "回复"})},
		} {
			if r.r.Status != want {
				t.Errorf("%s, %s of %s: %d, want %d", who, r.what, slug, r.r.Status, want)
			}
		}
		if want == 404 {
			if r := c.do("GET", fmt.Sprintf("/api/v1/threads/%d", tid), nil); r.errCode(t) != c.do("GET", fmt.Sprintf("/api/v1/threads/%d", missing), nil).errCode(t) {
				t.Errorf("%s, thread of %s: code %q differs from a missing thread's", who, slug, r.errCode(t))
			}
			// Served from the cache (an admin has just read it), the answer is still a
			// missing thread's, word for word, not a missing board's.
			admin.do("GET", fmt.Sprintf("/api/v1/threads/%d", tid), nil)
			if r, m := c.do("GET", fmt.Sprintf("/api/v1/threads/%d", tid), nil), c.do("GET", fmt.Sprintf("/api/v1/threads/%d", missing), nil); r.Body != m.Body {
				t.Errorf("%s, cached thread of %s: %s, a missing thread: %s", who, slug, r.Body, m.Body)
			}
		}
		codes := map[int]string{401: "unauthorized", 403: "forbidden", 404: "not_found"}
		for _, ch := range []string{fmt.Sprintf("thread:%d", tid), "board:" + slug} {
			sock.send(map[string]any{"type": "subscribe", "channel": ch})
			if m := sock.next(); m["type"] != "error" || m["code"] != codes[want] {
				t.Errorf("%s, subscribe %s: %v, want error %s", who, ch, m, codes[want])
			}
		}
	}
	check("guest", guest, gws, "branch1", 404)
	check("guest", guest, gws, "mods", 404)
	check("guest", guest, gws, "staffonly", 401)
	check("guest", guest, gws, "partyonly", 401)
	check("employee", emp, ws, "branch1", 404)
	check("employee", emp, ws, "mods", 404)
	check("employee", emp, ws, "partyonly", 403)
	// Nor is a private board listed.
	if r := emp.do("GET", "/api/v1/boards", nil); strings.Contains(r.Body, `"branch1"`) || strings.Contains(r.Body, `"mods"`) {
		t.Errorf("board list shows private boards: %s", r.Body)
	}
}
