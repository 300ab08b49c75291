package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"jiayuan/app/accounts"
	"jiayuan/app/org"
)

// TestBrowserConversation: on the second page of a long thread, a reply from either
// view lands back in that view at the reply, with the first post a click away; the
// reader's own posts show no report button; a moderator's hide says hide, asks why,
// lands back at the post, and the author reads the reason in their notifications.
func TestBrowserConversation(t *testing.T) {
	exe := chromium(t)
	base, n := startNodeWith(t, "--data", t.TempDir())
	ctx := t.Context()
	author, err := n.Accounts.Register(ctx, accounts.RegisterInput{Username: "laowang", Password: "laowang-password", DisplayName: "老王"})
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := n.Forum.CreateThread(ctx, author.ID, "xinyu", "长长的讨论", "大家谈谈这周的学习")
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 60; i++ {
		if _, err := n.Forum.Reply(ctx, author.ID, th.ID, fmt.Sprintf("第 %d 条回复", i), 0); err != nil {
			t.Fatal(err)
		}
	}
	tp := fmt.Sprintf("%s/t/%d", base, th.ID)
	employee := newBrowser(t, exe)
	signUp(employee, t, base, "yuangong", "员工小王")

	// In time order, on the second page: the reply lands there, in time order, at itself.
	if err := chromedp.Do(employee,
		chromedp.Navigate(tp+"?view=time"),
		chromedp.WaitVisible(chromedp.CSS(`a[rel=next]`)),
		chromedp.Click(chromedp.CSS(`a[rel=next]`)),
		chromedp.WaitVisible(chromedp.CSS(`#p51`)),
	); err != nil {
		t.Fatal(err)
	}
	second, err := chromedp.Run(employee, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	replyInBrowser(employee, t, second, "按时间顺序的回复")
	waitJS(employee, t, `location.hash === '#p61' && /after=60/.test(location.search) && document.querySelector('.views strong').textContent === '时间顺序'`+
		` && document.querySelector('a.to-first') && document.getElementById('p61').getBoundingClientRect().top < innerHeight`, "the reply in time order, in view")
	// In the conversation view: lands there too.
	replyInBrowser(employee, t, tp+"?at=51", "对话视图的回复")
	waitJS(employee, t, `location.hash === '#p62' && /at=62/.test(location.search) && document.querySelector('.views strong').textContent === '对话视图'`, "the reply in the conversation view")
	screenshot(employee, t, "conversation-landed-desktop.png", 1366, 900)
	screenshot(employee, t, "conversation-landed-phone.png", 390, 844)
	if err := chromedp.Do(employee, chromedp.Click(chromedp.CSS(`a.to-first`)), chromedp.WaitVisible(chromedp.CSS(`#p1`))); err != nil {
		t.Fatalf("the first post: %v", err)
	}
	// No report button on one's own posts; there is one on others'.
	if err := chromedp.Do(employee, chromedp.Navigate(tp+"?at=51"), chromedp.WaitVisible(chromedp.CSS(`#p62`))); err != nil {
		t.Fatal(err)
	}
	waitJS(employee, t, `getComputedStyle(document.querySelector('#p62 a.report')).display === 'none' && getComputedStyle(document.querySelector('#p51 a.report')).display !== 'none'`,
		"the report button on others' posts only")

	// A moderator hides the employee's reply, saying why.
	mod := newBrowser(t, exe)
	signUp(mod, t, base, "banzhu", "版主老李")
	if _, err := n.Org.GrantFromConsole(ctx, org.RoleChange{Username: "banzhu", Role: "moderator", Board: "xinyu"}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(mod,
		chromedp.Navigate(tp+"?view=time&at=55"),
		chromedp.WaitVisible(chromedp.CSS(`#p61 a.hide`)),
		chromedp.Click(chromedp.CSS(`#p61 a.hide`)),
		chromedp.WaitVisible(chromedp.CSS(`#reason`)),
	); err != nil {
		t.Fatalf("the hide page: %v", err)
	}
	page, _ := chromedp.Run(mod, chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(page, "隐藏 #61") || strings.Contains(page, "删除") {
		t.Errorf("the hide page does not say hide: %q", page)
	}
	screenshot(mod, t, "hide-reason-phone.png", 390, 844)
	screenshot(mod, t, "hide-reason-desktop.png", 1366, 900)
	if err := chromedp.Do(mod,
		chromedp.SendKeys(chromedp.CSS(`#reason`), "与主题无关"),
		chromedp.Click(chromedp.CSS(`form[action$="/delete"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#p61.deleted`)),
	); err != nil {
		t.Fatalf("hide: %v", err)
	}
	waitJS(mod, t, `location.hash === '#p61' && document.querySelector('.views strong').textContent === '时间顺序'`, "the moderator back at the post, in time order")

	// The employee is told, with the reason.
	if err := chromedp.Do(employee, chromedp.Navigate(base+"/notifications"), chromedp.WaitVisible(chromedp.CSS(`.notifications`))); err != nil {
		t.Fatal(err)
	}
	note, _ := chromedp.Run(employee, chromedp.Text(chromedp.CSS(`.notifications`)))
	if !strings.Contains(note, "隐藏了你的帖子") || !strings.Contains(note, "与主题无关") || !strings.Contains(note, "长长的讨论") {
		t.Errorf("the author's notifications: %q", note)
	}
	screenshot(employee, t, "notifications-phone.png", 390, 844)
	screenshot(employee, t, "notifications-desktop.png", 1366, 900)
}
