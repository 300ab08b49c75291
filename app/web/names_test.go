package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestUsernameLookAlikes: usernames are width- and case-folded (PRECIS), kept to Latin
// letters, digits, _, - and Han, and refused when they look like an existing one.
func TestUsernameLookAlikes(t *testing.T) {
	e := newEnv(t)
	g := e.guest()
	reg := func(username, display string) resp {
		return g.do("POST", "/api/v1/auth/register", map[string]string{"username": username, "password": "correct horse", "display_name": display})
	}
	cases := []struct {
		name, username string
		status         int
		code           string
	}{
		{"Cyrillic а posing as a", "аdmin", 422, "invalid_username"},
		{"Greek ο posing as o", "zhοu", 422, "invalid_username"},
		{"full-width folds onto admin", "ａｄｍｉｎ", 409, "username_taken"},
		{"full-width capitals too", "ＡＤＭＩＮ", 409, "username_taken"},
		{"accented Latin", "zhé", 422, "invalid_username"},
		{"digit posing as a letter", "adm1n", 201, ""},
		{"then the letter is taken", "admln", 409, "username_confusable"},
		{"rn posing as m", "rnary", 201, ""},
		{"m after rn", "mary", 409, "username_confusable"},
		{"Han", "张三", 201, ""},
		{"full-width Latin and Han", "ｌｉ四", 201, ""},
		{"full-width folded name is stored folded", "li四", 409, "username_taken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := reg(c.username, "")
			if r.Status != c.status {
				t.Fatalf("%q: %d, want %d: %s", c.username, r.Status, c.status, r.Body)
			}
			if c.code != "" && r.errCode(t) != c.code {
				t.Fatalf("%q: code %q, want %q", c.username, r.errCode(t), c.code)
			}
		})
	}
	// Sign-in folds the same way.
	if r := g.do("POST", "/api/v1/auth/login", map[string]string{"username": "ＬＩ四", "password": "correct horse"}); r.Status != 200 {
		t.Fatalf("sign in with a full-width name: %d %s", r.Status, r.Body)
	}
}

// TestDisplayNamesCannotImpersonate: invisible characters are dropped, and the names
// of roles and of staff are refused to everyone but admins.
func TestDisplayNamesCannotImpersonate(t *testing.T) {
	e := newEnv(t)
	e.user("zhou")
	e.grant("zhou", "moderator", "xinyu", "")
	g := e.guest().in("en")
	n := 0
	reg := func(display string) resp {
		n++
		return g.do("POST", "/api/v1/auth/register", map[string]string{"username": fmt.Sprintf("member%d", n), "password": "correct horse", "display_name": display})
	}
	for _, c := range []struct{ in, want string }{
		{"\u202Enimda", "nimda"},
		{"王\u200B伟\u200D\uFEFF", "王伟"},
		{"\u2066李\u2069\u200E\u200F\u061C娜", "李娜"},
		{"tab\there", "tabhere"},
		{"\u200B", "member5"}, // nothing visible left: the username stands in
	} {
		r := reg(c.in)
		if r.Status != 201 {
			t.Fatalf("%q: %d %s", c.in, r.Status, r.Body)
		}
		if got := r.json(t)["user"].(map[string]any)["display_name"]; got != c.want {
			t.Errorf("display name %q stored as %q, want %q", c.in, got, c.want)
		}
	}
	for _, name := range []string{"管理员", "管理員", "Admin", "ＡＤＭＩＮ", "ad\u200Bmin", "版主", "Moderator", "书记", "支部书记", "支部書記", "管 理 员",
		"用户zhou", "用户 ZHOU", "zhou"} { // the moderator's display name and username
		r := reg(name)
		if r.Status != 422 || r.errCode(t) != "reserved_name" || !strings.Contains(r.Body, "staff") {
			t.Errorf("display name %q: %d %s, want 422 reserved_name", name, r.Status, r.Body)
		}
	}
	if r := g.do("POST", "/api/v1/auth/register", map[string]string{"username": "moderator", "password": "correct horse"}); r.Status != 422 || r.errCode(t) != "reserved_name" {
		t.Errorf("the username moderator: %d %s", r.Status, r.Body)
	}
	// Before the grant the name was anyone's: only staff's names are reserved.
	if r := reg("用户lisi"); r.Status != 201 {
		t.Errorf("a non-staff person's display name: %d %s", r.Status, r.Body)
	}
}

// TestUsernameShownBesideDisplayName: pages show @username with a display name, and
// thread titles lose invisible characters.
func TestUsernameShownBesideDisplayName(t *testing.T) {
	e := newEnv(t)
	u := e.user("gao")
	id, _ := u.thread("xinyu", "标题\u202E反转\u200B", "正文")
	th := u.do("GET", fmt.Sprintf("/api/v1/threads/%d", id), nil).json(t)["thread"].(map[string]any)
	if th["title"] != "标题反转" {
		t.Fatalf("title stored as %q", th["title"])
	}
	if r := u.do("POST", "/api/v1/boards/xinyu/threads", map[string]string{"title": "\u200B\u202E", "body": "b"}); r.Status != 422 || r.errCode(t) != "invalid_title" {
		t.Fatalf("a title of invisible characters only: %d %s", r.Status, r.Body)
	}
	page := e.guest().page(fmt.Sprintf("/t/%d", id))
	if !strings.Contains(page.Body, `title="@gao">用户gao</span>`) || !strings.Contains(page.Body, `@gao</span>`) {
		t.Fatalf("the thread page does not show @gao beside 用户gao:\n%s", page.Body)
	}
	if board := e.guest().page("/b/xinyu"); !strings.Contains(board.Body, `title="@gao"`) {
		t.Fatal("the board page does not show @gao on hover")
	}
}

// TestRegisterFormRefusesReservedNames: the sign-up form without JavaScript says why.
func TestRegisterFormRefusesReservedNames(t *testing.T) {
	e := newEnv(t)
	r := e.guest().in("en").form("/register", map[string]string{"username": "fake", "password": "correct horse", "display_name": "管\u200B理员"})
	if r.Status != 422 || !strings.Contains(r.Body, "staff role") {
		t.Fatalf("sign-up form with 管理员: %d\n%s", r.Status, r.Body)
	}
	if _, err := e.acc.UserByName(t.Context(), "fake"); err == nil {
		t.Fatal("the refused user was created")
	}
}
