package web_test

import (
	"strings"
	"testing"
)

// TestAdminBoardForm: the admin's board form has a name and a description field for
// each language, holding the board's texts, and saving it changes the ones sent; the
// new-board form fills the names not given from the first.
func TestAdminBoardForm(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	page := admin.page("/admin/boards")
	if page.Status != 200 {
		t.Fatalf("admin boards page: %d", page.Status)
	}
	for _, want := range []string{
		`<label>名称 zh-Hans <input name="name" value="家·视角"`, `<label>名稱 zh-Hant <input name="name_hant" value="家·視角"`,
		`<label>Name en <input name="name_en" value="Perspectives"`, `<label>描述 zh-Hans <input name="description" value="改革热点面对面`,
		`<label>描述 zh-Hant <input name="description_hant" value="改革熱點面對面`, `<label>Description en <input name="description_en" value="Reform hot topics`,
		`<label>名称 zh-Hans <input name="name" maxlength="50" required>`, `<label>Name en <input name="name_en" maxlength="50">`,
		`<label>描述 <input name="description" maxlength="500">`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	r := admin.form("/admin/boards/shijiao", map[string]string{"_csrf": admin.csrf, "name_en": "Views", "description_hant": "新的描述"})
	if r.Status != 303 {
		t.Fatalf("save the board: %d %s", r.Status, r.Body)
	}
	r = admin.form("/admin/boards", map[string]string{"_csrf": admin.csrf, "slug": "wenyi", "name": "家·文艺", "name_en": "Arts"})
	if r.Status != 303 {
		t.Fatalf("create a board: %d %s", r.Status, r.Body)
	}
	boards := map[string]map[string]any{}
	for _, b := range admin.do("GET", "/api/v1/boards", nil).json(t)["boards"].([]any) {
		b := b.(map[string]any)
		boards[b["slug"].(string)] = b
	}
	for slug, want := range map[string]string{
		"shijiao": "家·视角 家·視角 Views|改革热点面对面，领导讲话精神的讨论 新的描述 Reform hot topics face to face, leaders' talks discussed",
		"wenyi":   "家·文艺 家·文艺 Arts|  ",
	} {
		b := boards[slug]
		if b == nil {
			t.Fatalf("no board %s", slug)
		}
		names, descs := b["names"].(map[string]any), b["descriptions"].(map[string]any)
		got := strings.Join([]string{names["zh-Hans"].(string), names["zh-Hant"].(string), names["en"].(string)}, " ") + "|" +
			strings.Join([]string{descs["zh-Hans"].(string), descs["zh-Hant"].(string), descs["en"].(string)}, " ")
		if got != want {
			t.Errorf("%s: %q, want %q", slug, got, want)
		}
	}
}
