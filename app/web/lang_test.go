package web_test

import (
	"maps"
	"strings"
	"testing"
)

// in is c reading in lang, as a browser that sends Accept-Language does.
func (c *client) in(lang string) *client {
	cp := *c
	cp.header = maps.Clone(c.header)
	if cp.header == nil {
		cp.header = map[string]string{}
	}
	cp.header["Accept-Language"] = lang
	return &cp
}

// TestErrorsInTheReadersLanguage: one domain error reads in each language, in an API
// body (code and field unchanged) and on a page form, chosen by Accept-Language.
func TestErrorsInTheReadersLanguage(t *testing.T) {
	e := newEnv(t)
	u := e.user("wen")
	long := strings.Repeat("长", 201)
	for lang, want := range map[string]string{
		"zh-Hans": "标题最多 200 个字符，现为 201",
		"zh-Hant": "標題最多 200 個字元，現為 201",
		"en":      "title must be at most 200 characters, it has 201",
	} {
		r := u.in(lang).do("POST", "/api/v1/boards/xinyu/threads", map[string]string{"title": long, "body": "正文"})
		m, _ := r.json(t)["error"].(map[string]any)
		if r.Status != 422 || m["code"] != "invalid_title" || m["field"] != "title" || m["message"] != want {
			t.Errorf("API in %s: %d %s, want %q", lang, r.Status, r.Body, want)
		}
		page := u.in(lang).form("/b/xinyu", map[string]string{"_csrf": u.csrf, "title": long, "body": "正文"})
		if page.Status != 422 || !strings.Contains(page.Body, want) {
			t.Errorf("form in %s: %d, want %q in\n%s", lang, page.Status, want, page.Body)
		}
	}
	// Without Accept-Language the default is Simplified Chinese.
	if r := e.guest().do("POST", "/api/v1/auth/login", map[string]string{"username": "wen", "password": "wrong-password"}); !strings.Contains(r.Body, "用户名或密码错误") {
		t.Errorf("default language: %s", r.Body)
	}
}

// TestSocketErrorsInTheReadersLanguage: an error frame speaks the language the socket
// was opened in; its code stays the same.
func TestSocketErrorsInTheReadersLanguage(t *testing.T) {
	e := newEnv(t)
	for lang, want := range map[string]string{"zh-Hans": "找不到主题", "zh-Hant": "找不到主題", "en": "thread not found"} {
		ws, _, err := e.guest().in(lang).dial("http://" + e.addr)
		if err != nil {
			t.Fatal(err)
		}
		ws.send(map[string]any{"type": "subscribe", "channel": "thread:999999"})
		if m := ws.next(); m["type"] != "error" || m["code"] != "not_found" || m["message"] != want {
			t.Errorf("in %s: %v, want %q", lang, m, want)
		}
	}
}
