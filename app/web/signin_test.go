package web_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSignInFormsNeedTheirToken: the sign-in and sign-up forms carry a pre-session
// token that a forged cross-site post cannot know, so nobody can be signed in to
// someone else's account behind their back (login CSRF).
func TestSignInFormsNeedTheirToken(t *testing.T) {
	e := newEnv(t)
	e.direct("lin")

	forger := e.guest()
	if r := forger.form("/login", map[string]string{"_csrf": "", "username": "lin", "password": "password-lin"}); r.Status != 403 || sessionFrom(r.Header) != "" || !strings.Contains(r.Body, "表单已过期") {
		t.Fatalf("sign-in form without a token: %d, session %q\n%.300s", r.Status, sessionFrom(r.Header), r.Body)
	}
	// A token copied from the forger's own visit does not match the victim's cookie.
	other := e.guest()
	other.withFormToken("/login", nil)
	stolen := e.guest().withFormToken("/login", nil)["_csrf"]
	if r := other.form("/login", map[string]string{"_csrf": stolen, "username": "lin", "password": "password-lin"}); r.Status != 403 || sessionFrom(r.Header) != "" {
		t.Fatalf("sign-in form with another browser's token: %d", r.Status)
	}
	if r := e.guest().form("/register", map[string]string{"_csrf": "x", "username": "planted", "password": "password-planted"}); r.Status != 403 {
		t.Fatalf("sign-up form without its token: %d", r.Status)
	}
	if _, err := e.acc.UserByName(t.Context(), "planted"); err == nil {
		t.Fatal("a forged sign-up form created an account")
	}

	// A browser that loaded the form signs in, and is sent only to a page of this site.
	b := e.guest()
	page := b.page("/login")
	ck := ""
	for _, sc := range page.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "jy_presession=") {
			ck = strings.ToLower(sc)
		}
	}
	if !strings.Contains(ck, "httponly") || !strings.Contains(ck, "samesite=lax") {
		t.Fatalf("pre-session cookie %q: want HttpOnly and SameSite=Lax", ck)
	}
	r := b.form("/login", map[string]string{"username": "lin", "password": "password-lin", "next": "/\t/evil.example"})
	if r.Status != 303 || r.Header.Get("Location") != "/" || b.cookie == "" {
		t.Fatalf("sign-in form: %d %q", r.Status, r.Header.Get("Location"))
	}
	if me := b.page("/"); !strings.Contains(me.Body, `action="/logout"`) {
		t.Fatal("not signed in after the form")
	}
	// A wrong password shows the form again, with a token that still works.
	c := e.guest()
	if r := c.form("/login", map[string]string{"username": "lin", "password": "wrong-password"}); r.Status != 401 || !strings.Contains(r.Body, `name="_csrf" value="`+c.pre+`"`) {
		t.Fatalf("wrong password: %d\n%.300s", r.Status, r.Body)
	}
	if r := e.guest().form("/register", map[string]string{"username": "zhou", "password": "password-zhou", "next": "/%2F%2Fevil.example"}); r.Status != 303 || r.Header.Get("Location") != "/" {
		t.Fatalf("sign-up form: %d %q", r.Status, r.Header.Get("Location"))
	}
}

// TestOriginNullWithCookiesIsRefused: a sandboxed frame or a cross-site redirect says
// "Origin: null"; with our cookies on board it is treated as cross-site.
func TestOriginNullWithCookiesIsRefused(t *testing.T) {
	e := newEnv(t)
	u := e.direct("wu")
	u.header = map[string]string{"Origin": "null"}
	if r := u.do("POST", "/api/v1/boards/leyou/threads", map[string]string{"title": "t", "body": "b"}); r.Status != 403 {
		t.Fatalf("cookie write with Origin: null: %d %s", r.Status, r.Body)
	}
	g := e.guest()
	vals := g.withFormToken("/login", nil)
	req := httptest.NewRequest("POST", "/login", strings.NewReader("_csrf="+urlEncode(vals["_csrf"])+"&username=wu&password=password-wu"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "null")
	req.Header.Set("Cookie", "jy_presession="+g.pre)
	res, err := e.send(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 || sessionFrom(res.Header) != "" {
		t.Fatalf("sign-in form with Origin: null: %d", res.StatusCode)
	}
	// Scripts keep working: no Origin, no cookies.
	if r := e.guest().do("POST", "/api/v1/auth/login", map[string]string{"username": "wu", "password": "password-wu"}); r.Status != 200 {
		t.Fatalf("script sign-in: %d %s", r.Status, r.Body)
	}
}

// TestAPISignInNeedsJSON: the API's sign-in and sign-up take no CSRF token, so they
// accept only what a cross-site form cannot send.
func TestAPISignInNeedsJSON(t *testing.T) {
	e := newEnv(t)
	e.direct("he")
	for _, path := range []string{"/api/v1/auth/login", "/api/v1/auth/register"} {
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
			req := httptest.NewRequest("POST", path, strings.NewReader(`{"username":"he","password":"password-he"}`))
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			res, err := e.send(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 400 || sessionFrom(res.Header) != "" {
				t.Errorf("%s as %q: %d", path, ct, res.StatusCode)
			}
		}
	}
	g := e.guest()
	g.header = map[string]string{"Content-Type": "application/json; charset=utf-8"}
	if r := g.do("POST", "/api/v1/auth/login", map[string]string{"username": "he", "password": "password-he"}); r.Status != 200 {
		t.Fatalf("JSON sign-in: %d %s", r.Status, r.Body)
	}
	if r := e.guest().do("POST", "/api/v1/auth/login", "username=he&password=password-he"); r.Status != 400 || r.errCode(t) != "invalid_json" {
		t.Fatalf("form body declared as JSON: %d %s", r.Status, r.Body)
	}
}
