package web_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestTokensPageWithoutJavaScript: the settings page lists, creates and revokes tokens
// and ends sessions with plain forms that carry the CSRF token.
func TestTokensPageWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	if r := e.guest().page("/settings/tokens"); r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("a guest: %d %s", r.Status, r.Header.Get("Location"))
	}
	e.user("huang")
	other := e.login("huang", "password-huang")
	u := e.login("huang", "password-huang")
	home := u.page("/")
	if !strings.Contains(home.Body, `href="/settings/tokens"`) {
		t.Fatal("the header links no settings page")
	}
	p := u.page("/settings/tokens")
	if p.Status != 200 || !strings.Contains(p.Body, "本设备") || strings.Count(p.Body, `/end"`) != 3 {
		t.Fatalf("page: %d, want three sessions, this one marked:\n%s", p.Status, p.Body)
	}
	if r := u.form("/settings/tokens", map[string]string{"name": "无令牌"}); r.Status != 403 {
		t.Fatalf("a form without the CSRF token: %d", r.Status)
	}
	r := u.form("/settings/tokens", map[string]string{"name": "导出脚本", "_csrf": u.csrf})
	secret := regexp.MustCompile(`jy_[A-Za-z0-9_-]{20,}`).FindString(r.Body)
	if r.Status != 201 || secret == "" || !strings.Contains(r.Body, "导出脚本") || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %q %s", r.Status, r.Header.Get("Cache-Control"), r.Body)
	}
	if me := (&client{e: e, bearer: secret}).do("GET", "/api/v1/me", nil); me.Status != 200 {
		t.Fatalf("the token shown does not work: %d", me.Status)
	}
	p = u.page("/settings/tokens")
	if strings.Contains(p.Body, secret) || !strings.Contains(p.Body, "导出脚本") {
		t.Fatal("the secret is shown again, or the token is not listed")
	}
	revoke := regexp.MustCompile(`action="(/settings/tokens/\d+/revoke)"`).FindStringSubmatch(p.Body)
	if revoke == nil {
		t.Fatal("no revoke button")
	}
	if r := u.form(revoke[1], map[string]string{"_csrf": u.csrf}); r.Status != 303 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if me := (&client{e: e, bearer: secret}).do("GET", "/api/v1/me", nil); me.Status != 401 {
		t.Fatalf("the revoked token: %d", me.Status)
	}
	if p := u.page("/settings/tokens"); strings.Contains(p.Body, "导出脚本") {
		t.Fatal("a revoked token is still listed")
	}

	// End the other browser's session from this one.
	mine := regexp.MustCompile(`id="session-(\w+)" class="current"`).FindStringSubmatch(u.page("/settings/tokens").Body)
	ends := regexp.MustCompile(`action="/settings/sessions/(\w+)/end"`).FindAllStringSubmatch(u.page("/settings/tokens").Body, -1)
	if mine == nil || len(ends) != 3 {
		t.Fatal("sessions are not listed with end buttons")
	}
	for _, m := range ends {
		if m[1] != mine[1] {
			if r := u.form("/settings/sessions/"+m[1]+"/end", map[string]string{"_csrf": u.csrf}); r.Status != 303 {
				t.Fatalf("end: %d %s", r.Status, r.Body)
			}
		}
	}
	if r := other.do("GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("the other browser is still signed in: %d", r.Status)
	}
	if r := u.do("GET", "/api/v1/me", nil); r.Status != 200 {
		t.Fatalf("this browser was signed out: %d", r.Status)
	}
	if p := u.page("/settings/tokens?lang=en"); !strings.Contains(p.Body, "this device") || !strings.Contains(p.Body, "Personal access tokens") {
		t.Fatal("the page does not speak English")
	}
}
