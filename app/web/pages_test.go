package web_test

import (
	"fmt"
	"maps"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func (c *client) page(path string, header ...string) resp {
	c.e.t.Helper()
	kept := c.header // a language the client reads in stays
	c.header = map[string]string{"Accept": "text/html"}
	maps.Copy(c.header, kept)
	for i := 0; i+1 < len(header); i += 2 {
		c.header[header[i]] = header[i+1]
	}
	defer func() { c.header = kept }()
	return c.do("GET", path, nil)
}

func TestPagesSpeakThreeLanguages(t *testing.T) {
	e := newEnv(t)
	g := e.guest()
	cases := []struct {
		name   string
		path   string
		header []string
		want   []string
	}{
		{"default is Simplified", "/", nil, []string{`<html lang="zh-Hans">`, "家·心语", "家·养廉", "登录"}},
		{"Taiwan browser gets Traditional", "/", []string{"Accept-Language", "zh-TW,zh;q=0.9"}, []string{`<html lang="zh-Hant">`, "家·心語", "家·養廉", "登入"}},
		{"Hong Kong too", "/", []string{"Accept-Language", "zh-HK"}, []string{"家·樂遊"}},
		{"English browser", "/", []string{"Accept-Language", "en-US,en;q=0.8"}, []string{`<html lang="en">`, "Heart to Heart", "Sign in"}},
		{"switch wins over header", "/?lang=zh-Hant", []string{"Accept-Language", "en"}, []string{"家·心語"}},
		{"remembered switch", "/", []string{"Accept-Language", "en", "Cookie", "jy_lang=zh-Hant"}, []string{"家·心語"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := g.page(c.path, c.header...)
			if r.Status != 200 {
				t.Fatalf("status %d", r.Status)
			}
			for _, w := range c.want {
				if !strings.Contains(r.Body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}

// TestFormsWithoutJavaScript walks the forum with plain forms and links only, as a
// browser without JavaScript would (the Browser tests of cmd/jiayuan run Chromium).
func TestFormsWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	b := e.guest()
	r := b.form("/register", map[string]string{"username": "chen", "password": "password-chen", "display_name": "陈晨", "next": "/b/xinyu"})
	if r.Status != 303 || r.Header.Get("Location") != "/b/xinyu" || b.cookie == "" {
		t.Fatalf("register form: %d %s %q", r.Status, r.Header.Get("Location"), r.Body)
	}
	board := b.page("/b/xinyu")
	csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(board.Body)
	if csrf == nil {
		t.Fatalf("no CSRF field on the board page:\n%s", board.Body)
	}

	// Without the CSRF token a form post is refused.
	if r := b.form("/b/xinyu", map[string]string{"title": "无令牌", "body": "x"}); r.Status != 403 {
		t.Fatalf("form without csrf: %d", r.Status)
	}
	// A failed submit keeps what was written.
	r = b.form("/b/xinyu", map[string]string{"_csrf": csrf[1], "title": "", "body": "我的周记正文不能丢"})
	if r.Status != 422 || !strings.Contains(r.Body, "我的周记正文不能丢") || !strings.Contains(r.Body, `role="alert"`) {
		t.Fatalf("failed form: %d\n%s", r.Status, r.Body)
	}
	r = b.form("/b/xinyu", map[string]string{"_csrf": csrf[1], "title": "第一周周记：学习党章", "body": "本周学习了《中国共产党章程》。"})
	loc := r.Header.Get("Location")
	if r.Status != 303 || !strings.HasPrefix(loc, "/t/") {
		t.Fatalf("new thread form: %d %q", r.Status, loc)
	}
	page := b.page(loc)
	for _, w := range []string{"第一周周记：学习党章", "本周学习了《中国共产党章程》。", "陈晨", `id="p1"`, `action="` + loc + `"`} {
		if !strings.Contains(page.Body, w) {
			t.Fatalf("thread page lacks %q", w)
		}
	}
	postID := regexp.MustCompile(`data-reply="(\d+)"`).FindStringSubmatch(page.Body)[1]

	mentor := e.guest()
	mentor.form("/register", map[string]string{"username": "mentor", "password": "password-mentor", "display_name": "联系人老王"})
	mpage := mentor.page(loc + "?reply_to=" + postID)
	mcsrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(mpage.Body)[1]
	if !strings.Contains(mpage.Body, `name="reply_to" value="`+postID+`"`) {
		t.Fatalf("reply_to not carried into the form")
	}
	r = mentor.form(loc, map[string]string{"_csrf": mcsrf, "body": "认真学习，继续保持！", "reply_to": postID})
	if r.Status != 303 || !strings.Contains(r.Header.Get("Location"), "#p2") {
		t.Fatalf("reply form: %d %q", r.Status, r.Header.Get("Location"))
	}
	page = b.page(loc)
	if !strings.Contains(page.Body, "认真学习，继续保持！") || !strings.Contains(page.Body, "联系人老王") {
		t.Fatalf("reply missing from the thread page")
	}
	timeView := b.page(loc + "?view=time")
	if !strings.Contains(timeView.Body, "#1</a>") || !strings.Contains(timeView.Body, "回复 #1") {
		t.Fatalf("time view does not show what a reply answers")
	}

	// Guests read but get a sign-in link instead of a form.
	gp := e.guest().page(loc)
	if gp.Status != 200 || strings.Contains(gp.Body, `name="body"`) || !strings.Contains(gp.Body, "/login?next=") {
		t.Fatalf("guest thread page: %d", gp.Status)
	}
	// Unknown things are a friendly 404 page.
	if r := e.guest().page("/t/999999"); r.Status != 404 || !strings.Contains(r.Body, "<html") {
		t.Fatalf("unknown thread page: %d", r.Status)
	}
	if r := e.guest().page("/b/nope"); r.Status != 404 {
		t.Fatalf("unknown board page: %d", r.Status)
	}

	// Edit and delete from the page.
	edit := b.page(fmt.Sprintf("/p/%s/edit", postID))
	if edit.Status != 200 || !strings.Contains(edit.Body, "本周学习了《中国共产党章程》。") {
		t.Fatalf("edit page: %d", edit.Status)
	}
	if r := mentor.page(fmt.Sprintf("/p/%s/edit", postID)); r.Status != 403 {
		t.Fatalf("someone else's edit page: %d", r.Status)
	}
	r = b.form(fmt.Sprintf("/p/%s/edit", postID), map[string]string{"_csrf": csrf[1], "body": "改过的周记"})
	if r.Status != 303 {
		t.Fatalf("edit form: %d %s", r.Status, r.Body)
	}
	if page := b.page(loc); !strings.Contains(page.Body, "改过的周记") || !strings.Contains(page.Body, "已编辑") {
		t.Fatalf("edit not shown")
	}
	// Deleting asks first (no JavaScript needed), and only the author may.
	if r := mentor.page(fmt.Sprintf("/p/%s/delete", postID)); r.Status != 403 {
		t.Fatalf("someone else's delete page: %d", r.Status)
	}
	if r := b.page(fmt.Sprintf("/p/%s/delete", postID)); r.Status != 200 || !strings.Contains(r.Body, `action="/p/`+postID+`/delete"`) {
		t.Fatalf("delete confirmation: %d", r.Status)
	}
	if r := b.form(fmt.Sprintf("/p/%s/delete", postID), map[string]string{"_csrf": csrf[1]}); r.Status != 303 {
		t.Fatalf("delete form: %d", r.Status)
	}
	if page := e.guest().page(loc); strings.Contains(page.Body, "改过的周记") || !strings.Contains(page.Body, "此帖已删除") {
		t.Fatalf("a deleted post still shows its text (stale cache?)")
	}
	if r := b.form("/logout", map[string]string{"_csrf": csrf[1]}); r.Status != 303 {
		t.Fatalf("logout: %d", r.Status)
	}
}

func TestPagesEscapeUserText(t *testing.T) {
	e := newEnv(t)
	u := e.user("xss")
	tid, _ := u.thread("shijiao", `<img src=x onerror=alert(1)>`, "[点我](javascript:alert(1)) <iframe src=//evil></iframe>")
	r := e.guest().page(fmt.Sprintf("/t/%d", tid))
	for _, bad := range []string{"<img src=x onerror", "javascript:alert", "<iframe"} {
		if strings.Contains(r.Body, bad) {
			t.Fatalf("page contains %q", bad)
		}
	}
	if !strings.Contains(r.Body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Fatalf("title not escaped as text")
	}
}

func TestStaticAssetsAreCached(t *testing.T) {
	e := newEnv(t)
	home := e.guest().page("/").Body
	m := regexp.MustCompile(`href="(/static/app\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(home)
	if m == nil {
		t.Fatal("no hashed stylesheet link")
	}
	res, err := e.send(httptest.NewRequest("GET", m[1], nil))
	if err != nil || res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("asset: %v %d %q", err, res.StatusCode, res.Header.Get("Cache-Control"))
	}
}
