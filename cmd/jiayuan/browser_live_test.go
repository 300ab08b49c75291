package main

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"jiayuan/app/accounts"
	"jiayuan/app/forum"
	"jiayuan/app/l10n"
	"jiayuan/app/org"
)

// TestBrowserLiveThreadMovedAway: a reader has a thread open; a moderator moves it into
// a board only moderators may read. Without the reader doing anything, the page takes
// the posts away and says the thread is no longer available to them.
func TestBrowserLiveThreadMovedAway(t *testing.T) {
	exe := chromium(t)
	base, n, admin := startWithAdmin(t)
	ctx := t.Context()
	level := forum.AccessModerators
	if _, err := n.Forum.CreateBoard(ctx, admin.ID, forum.BoardInput{Slug: "mods", Name: l10n.Text{"zh-Hans": "版主议事"}, ReadAccess: &level, PostAccess: &level}); err != nil {
		t.Fatal(err)
	}
	reader := newBrowser(t, exe)
	signUp(reader, t, base, "reader", "读者")
	mod, err := n.Accounts.Register(ctx, accounts.RegisterInput{Username: "banzhu", Password: "banzhu-password", DisplayName: "老王"})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"xinyu", "mods"} {
		if _, err := n.Org.GrantFromConsole(ctx, org.RoleChange{Username: "banzhu", Role: "moderator", Board: b}); err != nil {
			t.Fatal(err)
		}
	}
	th, _, err := n.Forum.CreateThread(ctx, mod.ID, "xinyu", "待移动的主题", "这段正文只该在原版块看到。")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Forum.Reply(ctx, mod.ID, th.ID, "第二帖：同样只在原版块。", 0); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(reader, chromedp.Navigate(fmt.Sprintf("%s/t/%d", base, th.ID)), chromedp.WaitVisible(chromedp.CSS(`#p2`))); err != nil {
		t.Fatal(err)
	}
	waitJS(reader, t, `document.querySelector('.live-dot.on') !== null`, "the reader's socket to go live")
	if _, err := chromedp.Run(reader, chromedp.Evaluate[string](`document.body.dataset.loadMarker = "same page"`)); err != nil {
		t.Fatal(err)
	}

	to := "mods"
	if _, err := n.Forum.UpdateThread(ctx, mod.ID, th.ID, forum.ThreadChange{Board: &to}); err != nil {
		t.Fatal(err)
	}
	waitJS(reader, t, `!document.querySelector('.posts article') &&
		!document.querySelector('main').innerText.includes('只该在原版块') &&
		!document.querySelector('main').innerText.includes('同样只在原版块') &&
		(document.querySelector('.thread-gone')?.innerText || '').includes('不再对你开放')`,
		"the page to drop the moved thread's posts and say it is gone")
	same, err := chromedp.Run(reader, chromedp.Evaluate[string](`document.body.dataset.loadMarker || ''`))
	if err != nil || same != "same page" {
		t.Fatalf("the page was reloaded (%q, %v): it must react by itself", same, err)
	}
	screenshot(reader, t, "live-thread-moved-away.png", 1280, 900)
}
