package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"jiayuan/app/accounts"
	"jiayuan/app/org"
	"jiayuan/app/testkit"
)

// waitJS polls a JavaScript expression until it is true.
func waitJS(ctx context.Context, t *testing.T, expr, what string) {
	t.Helper()
	if testkit.Poll(15*time.Second, func() bool {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		return err == nil && ok
	}) {
		return
	}
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(`main`)))
	t.Fatalf("timed out waiting for %s\n%s", what, html)
}

// TestBrowserModeration: an employee reports a post; the board's moderator finds it in
// the queue and hides it; the employee is told. The moderator then pins and locks the
// thread and hides another post from its page, all with the buttons on the pages.
func TestBrowserModeration(t *testing.T) {
	exe := chromium(t)
	base, n := startNodeWith(t, "--data", t.TempDir())
	ctx := t.Context()
	if _, _, err := n.Accounts.EnsureAdmin(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	employee := newBrowser(t, exe)
	signUp(employee, t, base, "yuangong", "员工小王")
	mod, cancel := chromedp.NewContext(employee, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	signUp(mod, t, base, "banzhu", "版主老李")
	if _, err := n.Org.GrantFromConsole(ctx, org.RoleChange{Username: "banzhu", Role: "moderator", Board: "xinyu"}); err != nil {
		t.Fatal(err)
	}

	// The employee opens a thread; someone else posts two adverts in it.
	if err := chromedp.Do(employee,
		chromedp.Navigate(base+"/b/xinyu"),
		chromedp.WaitVisible(chromedp.CSS(`#title`)),
		chromedp.SendKeys(chromedp.CSS(`#title`), "第三周周记：学习心得"),
		chromedp.SendKeys(chromedp.CSS(`#body`), "这周学习了党史，收获很大。"),
		chromedp.Click(chromedp.CSS(`#compose button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#p1`)),
	); err != nil {
		t.Fatal(err)
	}
	threadURL, err := chromedp.Run(employee, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	threadURL = strings.SplitN(threadURL, "?", 2)[0]
	spammer, err := n.Accounts.Register(ctx, accounts.RegisterInput{Username: "spammer", Password: "spammer-password", DisplayName: "推销员"})
	if err != nil {
		t.Fatal(err)
	}
	var threadID int64
	if _, err := fmtSscan(threadURL[strings.LastIndex(threadURL, "/")+1:], &threadID); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"加微信领红包，限时优惠！", "低价代购，私聊。"} {
		if _, err := n.Forum.Reply(ctx, spammer.ID, threadID, text, 0); err != nil {
			t.Fatal(err)
		}
	}

	// 1. The employee reports #2 with the link under it.
	if err := chromedp.Do(employee,
		chromedp.Navigate(threadURL),
		chromedp.WaitVisible(chromedp.CSS(`#p2 a.signed`)),
		chromedp.Click(chromedp.CSS(`#p2 a.signed`)),
		chromedp.WaitVisible(chromedp.CSS(`#reason`)),
		chromedp.SendKeys(chromedp.CSS(`#reason`), "发广告，与周记无关"),
		chromedp.Submit(chromedp.CSS(`#reason`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
	); err != nil {
		t.Fatalf("report: %v", err)
	}

	// 2. The moderator finds it in the queue and hides the post.
	if err := chromedp.Do(mod,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/mod"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/mod"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.report form.resolve`)),
	); err != nil {
		t.Fatalf("queue: %v", err)
	}
	queue, _ := chromedp.Run(mod, chromedp.Text(chromedp.CSS(`main`)))
	for _, want := range []string{"发广告，与周记无关", "加微信领红包", "员工小王"} {
		if !strings.Contains(queue, want) {
			t.Errorf("the queue lacks %q", want)
		}
	}
	screenshot(mod, t, "mod-queue-desktop.png", 1280, 900)
	screenshot(mod, t, "mod-queue-phone.png", 360, 740)
	if err := chromedp.Do(mod,
		chromedp.SendKeys(chromedp.CSS(`.report input[name=note]`), "已删除广告"),
		chromedp.Click(chromedp.CSS(`.report form.resolve button`)),
	); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	waitJS(mod, t, `document.readyState === 'complete' && !document.querySelector('.report form.resolve')`, "the report to leave the queue")

	// 3. On the thread: pin, lock, and hide the other advert, with the page's buttons,
	// while the employee has the thread open and is about to reply.
	if err := chromedp.Do(employee, chromedp.Navigate(threadURL), chromedp.WaitVisible(chromedp.CSS(`#compose textarea`))); err != nil {
		t.Fatal(err)
	}
	waitJS(employee, t, `window.jiayuanLive && window.jiayuanLive.state() === 'live'`, "the employee's page to go live")
	if err := chromedp.Do(mod,
		chromedp.Navigate(threadURL),
		chromedp.WaitVisible(chromedp.CSS(`details.modtools`)),
		chromedp.Click(chromedp.CSS(`details.modtools summary`)),
		chromedp.Click(chromedp.CSS(`button[value=pin]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[value=unpin]`)),
		chromedp.Click(chromedp.CSS(`details.modtools summary`)),
		chromedp.Click(chromedp.CSS(`button[value=lock]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[value=unlock]`)),
		chromedp.WaitVisible(chromedp.CSS(`#p3 a.mod[href$="/delete"]`)),
		chromedp.Click(chromedp.CSS(`#p3 a.mod[href$="/delete"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/delete"] button`)),
		chromedp.SendKeys(chromedp.CSS(`#reason`), "广告"), // hiding asks why (#14)
		chromedp.Click(chromedp.CSS(`form[action$="/delete"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#p3.deleted`)),
	); err != nil {
		html, _ := chromedp.Run(mod, chromedp.OuterHTML(chromedp.CSS(`main`)))
		t.Fatalf("pin, lock, hide: %v\n%s", err, html)
	}
	if err := chromedp.Do(mod, chromedp.Navigate(threadURL), chromedp.WaitVisible(chromedp.CSS(`details.modtools`))); err != nil {
		t.Fatal(err)
	}
	heading, _ := chromedp.Run(mod, chromedp.Text(chromedp.CSS(`h1`)))
	if !strings.Contains(heading, "置顶") || !strings.Contains(heading, "锁定") {
		t.Errorf("the heading does not say pinned and locked: %q", heading)
	}
	screenshot(mod, t, "thread-moderator-desktop.png", 1280, 900)
	// The employee's open page followed: the heading says so and the reply form is gone.
	waitJS(employee, t, `!document.querySelector('#compose form') && document.querySelector('#compose .notice') && /置顶/.test(document.querySelector('h1').textContent) && /锁定/.test(document.querySelector('h1').textContent) && !document.querySelector('a[data-reply]')`, "the lock to reach the open page")

	// 4. The employee is told the outcome, sees both adverts gone and cannot reply.
	if err := chromedp.Do(employee, chromedp.Navigate(base+"/notifications"), chromedp.WaitVisible(chromedp.CSS(`.notifications`))); err != nil {
		t.Fatal(err)
	}
	note, _ := chromedp.Run(employee, chromedp.Text(chromedp.CSS(`.notifications`)))
	if !strings.Contains(note, "处理了你的举报") {
		t.Errorf("the reporter's notifications: %q", note)
	}
	if err := chromedp.Do(employee, chromedp.Navigate(threadURL), chromedp.WaitVisible(chromedp.CSS(`#p3`))); err != nil {
		t.Fatal(err)
	}
	waitJS(employee, t, `document.querySelector('#p2').classList.contains('deleted') && document.querySelector('#p3').classList.contains('deleted')`, "both adverts hidden")
	page, _ := chromedp.Run(employee, chromedp.OuterHTML(chromedp.CSS(`main`)))
	if strings.Contains(page, "加微信") || strings.Contains(page, "modtools") || strings.Contains(page, `<textarea id="body"`) {
		t.Errorf("the employee's page shows a hidden advert, the moderator tools, or a reply form on a locked thread")
	}
	screenshot(employee, t, "thread-locked-phone.png", 360, 740)

	// 5. The admin pages, for a look.
	admin, cancel2 := chromedp.NewContext(employee, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel2)
	signInAdmin(admin, t, base)
	if err := chromedp.Do(admin,
		chromedp.Navigate(base+"/admin/users"),
		chromedp.WaitVisible(chromedp.CSS(`#u-banzhu`)),
	); err != nil {
		t.Fatalf("admin: %v", err)
	}
	roles, _ := chromedp.Run(admin, chromedp.Text(chromedp.CSS(`#u-banzhu`)))
	if !strings.Contains(roles, "版主 · 家·心语") {
		t.Errorf("the users page does not show the moderator's role: %q", roles)
	}
	screenshot(admin, t, "admin-users-desktop.png", 1280, 900)
	for _, section := range []string{"boards", "audit"} {
		if err := chromedp.Do(admin, chromedp.Navigate(base+"/admin/"+section), chromedp.WaitVisible(chromedp.CSS(`nav.tabs`))); err != nil {
			t.Fatal(err)
		}
		screenshot(admin, t, "admin-"+section+"-desktop.png", 1280, 900)
	}
	audit, _ := chromedp.Run(admin, chromedp.Text(chromedp.CSS(`.audit-log`)))
	for _, want := range []string{"版主老李 (banzhu) 处理了 举报 #", "：已隐藏帖子", "版主老李 (banzhu) 置顶了主题 第三周周记：学习心得", "版主老李 (banzhu) 隐藏了", "命令行 授予 版主老李 (banzhu) 版主 · 家·心语 角色"} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit page lacks %s", want)
		}
	}
	screenshot(admin, t, "admin-audit-phone.png", 360, 740)
}

func fmtSscan(s string, v *int64) (int, error) { return fmt.Sscan(s, v) }
