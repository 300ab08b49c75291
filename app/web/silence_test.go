package web_test

import (
	"strings"
	"testing"
)

// TestModeratorCannotSilenceHigherRoles: a board's moderator silences ordinary members
// and fellow moderators of that board, but not an admin or anyone holding a role the
// moderator lacks there; admins silence anyone.
func TestModeratorCannotSilenceHigherRoles(t *testing.T) {
	e := newEnv(t)
	mod := e.direct("banzhu")
	e.grant("banzhu", "moderator", "xinyu", "")
	e.direct("fellow")
	e.grant("fellow", "moderator", "xinyu", "")
	e.direct("elsewhere")
	e.grant("elsewhere", "moderator", "leyou", "")
	e.direct("laoshi")
	e.grant("laoshi", "mentor", "", "")
	e.direct("xiaoli")
	e.grant("xiaoli", "activist", "", "")
	e.direct("putong")

	silence := func(c *client, who string) resp {
		t.Helper()
		return c.do("POST", "/api/v1/boards/xinyu/silences", map[string]any{"username": who, "hours": 2, "reason": "测试"})
	}
	for _, who := range []string{"admin", "laoshi"} {
		r := silence(mod.in("en"), who)
		if r.Status != 403 || r.errCode(t) != "silence_outranked" || !strings.Contains(r.Body, "cannot silence") {
			t.Fatalf("moderator silences %s: %d %s", who, r.Status, r.Body)
		}
	}
	// Nothing was recorded: the admin still posts in the board.
	th, _ := e.admin().thread("xinyu", "管理员仍可发言", "正文")
	if th == 0 {
		t.Fatal("no thread")
	}
	for _, who := range []string{"putong", "xiaoli", "fellow", "elsewhere"} {
		if r := silence(mod, who); r.Status != 201 {
			t.Fatalf("moderator silences %s: %d %s", who, r.Status, r.Body)
		}
	}
	// A site-wide silence is the admins'; they may silence a moderator anywhere.
	if r := e.admin().do("POST", "/api/v1/boards/xinyu/silences", map[string]any{"username": "banzhu", "hours": 1}); r.Status != 201 {
		t.Fatalf("admin silences a moderator: %d %s", r.Status, r.Body)
	}
}

// TestModeratorCannotSilenceBranchRoles: a secretary or mentor whose role is in a party
// branch holds it wherever they post: a board's moderator cannot silence them, and the
// secretary's names are reserved like staff's.
func TestModeratorCannotSilenceBranchRoles(t *testing.T) {
	e := newEnv(t)
	mod := e.direct("banzhu")
	e.grant("banzhu", "moderator", "xinyu", "")
	e.branch("二支部")
	e.direct("shuji")
	e.grant("shuji", "secretary", "", "二支部")
	e.direct("daoshi")
	e.grant("daoshi", "mentor", "", "二支部")
	for _, who := range []string{"shuji", "daoshi"} {
		r := mod.do("POST", "/api/v1/boards/xinyu/silences", map[string]any{"username": who, "hours": 2, "reason": "测试"})
		if r.Status != 403 || r.errCode(t) != "silence_outranked" {
			t.Fatalf("moderator silences the branch's %s: %d %s", who, r.Status, r.Body)
		}
	}
	r := e.guest().do("POST", "/api/v1/auth/register", map[string]string{"username": "imposter", "password": "correct horse", "display_name": "shuji"})
	if r.Status != 422 || r.errCode(t) != "reserved_name" {
		t.Fatalf("the secretary's username as a display name: %d %s", r.Status, r.Body)
	}
}
