package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"jiayuan/app/accounts"
	"jiayuan/app/org"
)

// signInAdmin signs the seeded admin in through the sign-in form.
func signInAdmin(ctx context.Context, t *testing.T, base string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "admin-password"),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin"]`)),
	); err != nil {
		t.Fatalf("admin signs in: %v", err)
	}
}

// TestBrowserAdminPages: the admin grants a role by picking it and a board from lists,
// bans a user only after the confirmation page, and every admin and moderator page fits
// a 390 px phone and a 1366 px desktop in each language, with nothing wider than the
// screen (tables turn into cards or scroll in their own box).
func TestBrowserAdminPages(t *testing.T) {
	exe := chromium(t)
	base, n := startNodeWith(t, "--data", t.TempDir())
	ctx := t.Context()
	if _, _, err := n.Accounts.EnsureAdmin(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Org.CreateBranchFromConsole(ctx, "机关一支部", "机关党员"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Accounts.Register(ctx, accounts.RegisterInput{Username: "xiaowang", DisplayName: "小王", Password: "xiaowang-password"}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Org.GrantFromConsole(ctx, org.RoleChange{Username: "xiaowang", Role: "member", Branch: "机关一支部"}); err != nil {
		t.Fatal(err)
	}
	admin := newBrowser(t, exe)
	signInAdmin(admin, t, base)
	if err := chromedp.Do(admin,
		chromedp.Navigate(base+"/admin/users?q=xiaowang"),
		chromedp.WaitVisible(chromedp.CSS(`#u-xiaowang`)),
		// The picker: the role, then the board, each from a list.
		chromedp.SetValue(chromedp.CSS(`#u-xiaowang select[name=role]`), "moderator"),
		chromedp.SetValue(chromedp.CSS(`#u-xiaowang select[name=scope]`), "board:xinyu"),
		chromedp.Click(chromedp.CSS(`#u-xiaowang button[value=grant]`)),
	); err != nil {
		t.Fatalf("grant with the picker: %v", err)
	}
	waitJS(admin, t, `/版主 · 家·心语/.test(document.querySelector('#u-xiaowang').innerText)`, "the granted role, in words")
	roles, _ := chromedp.Run(admin, chromedp.Text(chromedp.CSS(`#u-xiaowang`)))
	if !strings.Contains(roles, "党员 · 支部：机关一支部") || strings.Contains(roles, "@") {
		t.Errorf("the roles read %q", roles)
	}
	u, err := n.Accounts.UserByName(ctx, "xiaowang")
	if err != nil {
		t.Fatal(err)
	}
	if !n.Policy.Holds(u.ID, "moderator", "board:xinyu") {
		t.Fatal("the picked role was not granted")
	}

	// Ban asks first, on a page of its own; only its button bans.
	if err := chromedp.Do(admin,
		chromedp.Click(chromedp.CSS(`#u-xiaowang button[value=ban]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.auth button[type=submit]`)),
	); err != nil {
		t.Fatalf("ban: %v", err)
	}
	asked, _ := chromedp.Run(admin, chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(asked, "封禁 xiaowang？") {
		t.Errorf("the confirmation page reads %q", asked)
	}
	if u, _ := n.Accounts.UserByName(ctx, "xiaowang"); u.Banned {
		t.Fatal("banned before the admin confirmed")
	}
	for _, w := range []int64{390, 1366} {
		screenshot(admin, t, fmt.Sprintf("admin-confirm-ban-%d.png", w), w, 844)
	}
	if err := chromedp.Do(admin,
		chromedp.Click(chromedp.CSS(`section.auth button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.tabs`)),
	); err != nil {
		t.Fatalf("confirm the ban: %v", err)
	}
	if u, _ := n.Accounts.UserByName(ctx, "xiaowang"); !u.Banned {
		t.Fatal("not banned after the admin confirmed")
	}

	// Every page, on a phone and a desktop, in each language.
	pages := []string{"/admin/users", "/admin/boards", "/admin/branches", "/admin/words", "/admin/audit", "/mod"}
	for _, lang := range []string{"zh-Hans", "zh-Hant", "en"} {
		for _, w := range []int64{390, 1366} {
			for _, p := range pages {
				if err := chromedp.Do(admin,
					chromedp.EmulateViewport(w, 844),
					chromedp.Navigate(base+p+"?lang="+lang),
					chromedp.WaitVisible(chromedp.CSS(`main h1`)),
				); err != nil {
					t.Fatalf("%s %s: %v", lang, p, err)
				}
				wide, err := chromedp.Run(admin, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
				if err != nil || wide {
					t.Errorf("%s at %d px, %s: wider than the screen (%v)", p, w, lang, err)
				}
				screenshot(admin, t, fmt.Sprintf("%s-%s-%d.png", strings.ReplaceAll(strings.Trim(p, "/"), "/", "-"), lang, w), w, 844)
			}
		}
	}
	if err := chromedp.Do(admin, chromedp.Navigate(base+"/admin/audit?lang=en"), chromedp.WaitVisible(chromedp.CSS(`.audit-log`))); err != nil {
		t.Fatal(err)
	}
	log, _ := chromedp.Run(admin, chromedp.Text(chromedp.CSS(`.audit-log`)))
	for _, want := range []string{"banned 小王 (xiaowang)", "granted Moderator · Heart to Heart to 小王 (xiaowang)", "The command line granted Party member · Branch 机关一支部 to 小王 (xiaowang)"} {
		if !strings.Contains(log, want) {
			t.Errorf("the audit log lacks %q:\n%s", want, log)
		}
	}
}
