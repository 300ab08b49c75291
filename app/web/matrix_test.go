package web_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestAuthorizationMatrix checks every role, in its own domain and in another, against
// every action, through the real HTTP API: each cell gets fresh data, does the action
// once, and expects exactly the status its cell names: which success, and which of 401,
// 403 and 404 for a refusal.
func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	e.branch("一支部")
	e.branch("二支部")
	// A board only the first branch reads and writes: "branch-only content".
	if r := admin.do("POST", "/api/v1/admin/boards", map[string]any{"slug": "branch1", "name": "一支部园地",
		"read_access": "branch:一支部", "post_access": "branch:一支部"}); r.Status != 201 {
		t.Fatalf("create branch board: %d %s", r.Status, r.Body)
	}
	author := e.direct("author")
	e.grant("author", "member", "", "一支部") // so they can write in every board used here

	type actor struct {
		name   string
		c      *client
		board  string // where the actor acts: their own domain, or another
		moveTo string
	}
	mk := func(name, role, board, branch string) *client {
		c := e.direct(name)
		if role != "" {
			e.grant(name, role, board, branch)
		}
		return c
	}
	modOwn := mk("modown", "moderator", "yanglian", "")
	e.grant("modown", "moderator", "shanxing", "")
	modOther := mk("modother", "moderator", "yanglian", "")
	e.grant("modother", "moderator", "shanxing", "")
	actors := []actor{
		{"guest", e.guest(), "xinyu", "leyou"},
		{"employee", mk("emp", "", "", ""), "xinyu", "leyou"},
		{"activist", mk("act", "activist", "", ""), "xinyu", "leyou"},
		{"mentor", mk("men", "mentor", "", ""), "xinyu", "leyou"},
		{"member (own branch)", mk("mem1", "member", "", "一支部"), "branch1", "xinyu"},
		{"member (other branch)", mk("mem2", "member", "", "二支部"), "branch1", "xinyu"},
		{"secretary (own branch)", mk("sec1", "secretary", "", "一支部"), "branch1", "xinyu"},
		{"secretary (other branch)", mk("sec2", "secretary", "", "二支部"), "branch1", "xinyu"},
		{"moderator (own board)", modOwn, "yanglian", "shanxing"},
		{"moderator (other board)", modOther, "xinyu", "shanxing"},
		{"admin", admin, "xinyu", "leyou"},
	}

	type fixture struct {
		thread, post, other, reply2 int64 // a thread by author, its first post, a second thread, a reply
	}
	setup := func(board string) fixture {
		var f fixture
		f.thread, f.post = author.thread(board, "主题", "作者的正文")
		f.other, _ = author.thread(board, "另一个主题", "另一个正文")
		f.reply2 = int64(author.reply(f.thread, "一条回复", 0)["id"].(float64))
		return f
	}
	reporter := e.direct("reporter")
	e.grant("reporter", "member", "", "一支部")

	// Each action returns the response of doing it once as c on fresh data in board.
	type action struct {
		name string
		do   func(a actor, f fixture) resp
	}
	actions := []action{
		{"read", func(a actor, f fixture) resp { return a.c.do("GET", fmt.Sprintf("/api/v1/threads/%d", f.thread), nil) }},
		{"post", func(a actor, f fixture) resp {
			return a.c.do("POST", "/api/v1/boards/"+a.board+"/threads", map[string]string{"title": "新主题", "body": "正文"})
		}},
		{"reply", func(a actor, f fixture) resp {
			return a.c.do("POST", fmt.Sprintf("/api/v1/threads/%d/posts", f.thread), map[string]string{"body": "回复"})
		}},
		{"edit own", func(a actor, f fixture) resp {
			own := f.post
			if a.c.cookie != "" || a.c.bearer != "" {
				r := a.c.do("POST", fmt.Sprintf("/api/v1/threads/%d/posts", f.thread), map[string]string{"body": "我的回复"})
				if r.Status != 201 {
					return r // cannot even reply: then editing their own post is moot, and refused
				}
				own = int64(r.json(t)["post"].(map[string]any)["id"].(float64))
			}
			return a.c.do("PATCH", fmt.Sprintf("/api/v1/posts/%d", own), map[string]string{"body": "改过了"})
		}},
		{"edit other", func(a actor, f fixture) resp {
			return a.c.do("PATCH", fmt.Sprintf("/api/v1/posts/%d", f.reply2), map[string]string{"body": "版主改的"})
		}},
		{"hide", func(a actor, f fixture) resp { return a.c.do("DELETE", fmt.Sprintf("/api/v1/posts/%d", f.reply2), nil) }},
		{"restore", func(a actor, f fixture) resp {
			if r := author.do("DELETE", fmt.Sprintf("/api/v1/posts/%d", f.reply2), nil); r.Status != 204 {
				t.Fatalf("author delete: %d", r.Status)
			}
			return a.c.do("POST", fmt.Sprintf("/api/v1/posts/%d/restore", f.reply2), nil)
		}},
		{"pin", func(a actor, f fixture) resp {
			return a.c.do("PATCH", fmt.Sprintf("/api/v1/threads/%d", f.thread), map[string]bool{"pinned": true})
		}},
		{"lock", func(a actor, f fixture) resp {
			return a.c.do("PATCH", fmt.Sprintf("/api/v1/threads/%d", f.thread), map[string]bool{"locked": true})
		}},
		{"move", func(a actor, f fixture) resp {
			return a.c.do("PATCH", fmt.Sprintf("/api/v1/threads/%d", f.thread), map[string]string{"board": a.moveTo})
		}},
		{"merge", func(a actor, f fixture) resp {
			return a.c.do("POST", fmt.Sprintf("/api/v1/threads/%d/merge", f.other), map[string]int64{"into": f.thread})
		}},
		{"split", func(a actor, f fixture) resp {
			return a.c.do("POST", fmt.Sprintf("/api/v1/threads/%d/split", f.thread), map[string]any{"post_ids": []int64{f.reply2}, "title": "分出的主题"})
		}},
		{"report", func(a actor, f fixture) resp {
			return a.c.do("POST", fmt.Sprintf("/api/v1/posts/%d/report", f.reply2), map[string]string{"reason": "广告"})
		}},
		{"resolve", func(a actor, f fixture) resp {
			r := reporter.do("POST", fmt.Sprintf("/api/v1/posts/%d/report", f.reply2), map[string]string{"reason": "广告"})
			if r.Status != 201 {
				t.Fatalf("report: %d %s", r.Status, r.Body)
			}
			id := int64(r.json(t)["report"].(map[string]any)["id"].(float64))
			return a.c.do("POST", fmt.Sprintf("/api/v1/reports/%d/resolve", id), map[string]string{"outcome": "dismissed", "note": "无问题"})
		}},
		{"grant roles", func(a actor, f fixture) resp {
			return a.c.do("POST", "/api/v1/admin/roles", map[string]string{"username": "reporter", "role": "mentor"})
		}},
		{"manage boards", func(a actor, f fixture) resp {
			return a.c.do("PATCH", "/api/v1/admin/boards/"+a.board, map[string]string{"description": "新的描述"})
		}},
		{"read audit", func(a actor, f fixture) resp { return a.c.do("GET", "/api/v1/admin/audit", nil) }},
		{"read branch-only content", func(a actor, f fixture) resp { return a.c.do("GET", "/api/v1/boards/branch1/threads", nil) }},
	}

	// The expected matrix: the exact status of each cell, one per action in the order
	// above. Successes are 200, 201 or 204. Refusals follow one rule: a guest is asked to
	// sign in (401) and a signed-in user without the permission is refused (403), except
	// where the thing itself is not for them to know of, which answers as a missing
	// one does (404): a post hidden by a moderator (restore, for all but moderators) and
	// everything in a private board (branch1, a branch's own) for those outside it.
	//                                 r   p   r   e   e   h   r   p   l   m   m   s   r   r   g   m   a   b
	//                                 e   o   e   o   o   i   e   i   o   o   e   p   e   e   r   a   u   r
	expect := map[string]string{
		"guest":                    "200 401 401 401 401 401 404 401 401 401 401 401 401 401 401 401 401 404",
		"employee":                 "200 201 201 200 403 403 404 403 403 403 403 403 201 403 403 403 403 404",
		"activist":                 "200 201 201 200 403 403 404 403 403 403 403 403 201 403 403 403 403 404",
		"mentor":                   "200 201 201 200 403 403 404 403 403 403 403 403 201 403 403 403 403 404",
		"member (own branch)":      "200 201 201 200 403 403 404 403 403 403 403 403 201 403 403 403 403 200",
		"member (other branch)":    "404 404 404 404 404 404 404 404 404 404 404 404 404 403 403 403 403 404",
		"secretary (own branch)":   "200 201 201 200 403 403 404 403 403 403 403 403 201 403 403 403 403 200",
		"secretary (other branch)": "404 404 404 404 404 404 404 404 404 404 404 404 404 403 403 403 403 404",
		"moderator (own board)":    "200 201 201 200 200 204 200 200 200 200 200 201 201 200 403 403 403 404",
		"moderator (other board)":  "200 201 201 200 403 403 404 403 403 403 403 403 201 403 403 403 403 404",
		"admin":                    "200 201 201 200 200 204 200 200 200 200 200 201 201 200 201 200 200 200",
	}
	for _, a := range actors {
		want := strings.Fields(expect[a.name])
		if len(want) != len(actions) {
			t.Fatalf("%s: %d expectations for %d actions", a.name, len(want), len(actions))
		}
		for i, act := range actions {
			t.Run(a.name+"/"+act.name, func(t *testing.T) {
				f := setup(a.board)
				r := act.do(a, f)
				if strconv.Itoa(r.Status) != want[i] {
					t.Errorf("%s %s: %d, want exactly %s: %s", a.name, act.name, r.Status, want[i], r.Body)
				}
			})
		}
	}
}
