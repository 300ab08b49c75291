package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"jiayuan/app/accounts"
	"jiayuan/app/node"
	"jiayuan/app/testkit"
)

// axeSource is axe-core from frontend/node_modules (`make test` installs it from
// frontend/package-lock.json). In CI its absence fails the test, as Chromium's does.
func axeSource(t *testing.T) string {
	src, err := os.ReadFile(filepath.Join("..", "..", "frontend", "node_modules", "axe-core", "axe.min.js"))
	if err == nil {
		return string(src)
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("axe-core is not installed (%v); `make test` installs it with npm", err)
	}
	t.Skipf("axe-core is not installed (run `make test`, which installs it): %v", err)
	return ""
}

// watchPolicy records, in every page the tab opens from now on, what the
// Content-Security-Policy refused, so a test can tell that nothing was.
func watchPolicy(ctx context.Context, t *testing.T) {
	t.Helper()
	const js = `window.__refused = [];
document.addEventListener('securitypolicyviolation', (e) => window.__refused.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sample));`
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: js})
		return err
	})); err != nil {
		t.Fatal(err)
	}
}

func refused(ctx context.Context, t *testing.T) []string {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__refused || []`))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// signIn signs in through the sign-in form.
func signIn(ctx context.Context, t *testing.T, base, name, password string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), name),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`.boards`)),
	); err != nil {
		t.Fatalf("sign in %s: %v", name, err)
	}
}

// startWithAdmin runs a node whose admin signs in with "admin-password".
func startWithAdmin(t *testing.T) (string, *node.Node, *accounts.User) {
	t.Helper()
	base, n := startNodeWith(t, "--data", t.TempDir())
	if _, _, err := n.Accounts.EnsureAdmin(t.Context(), "admin-password"); err != nil {
		t.Fatal(err)
	}
	admin, err := n.Accounts.UserByName(t.Context(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	return base, n, admin
}

// a11ySite is a node with an admin (the fullest header) and a thread with replies that
// search finds.
func a11ySite(t *testing.T) (base string, n *node.Node, thread string) {
	t.Helper()
	base, n, admin := startWithAdmin(t)
	ctx := t.Context()
	th, _, err := n.Forum.CreateThread(ctx, admin.ID, "xinyu", "第一季度学习心得交流", "大家好，这里交流**学习**心得。详见[学习材料](/b/xinyu)。")
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"我先说：学习贵在坚持。", "同意，学习要联系实际。"} {
		if _, err := n.Forum.Reply(ctx, admin.ID, th.ID, body, 0); err != nil {
			t.Fatal(err)
		}
	}
	return base, n, fmt.Sprintf("%s/t/%d", base, th.ID)
}

type axeViolation struct {
	ID, Impact, Help string
	Nodes            []string
}

// checkAxe runs axe-core on the open page and fails the test for every violation.
func checkAxe(ctx context.Context, t *testing.T, axe, what string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axe+";true")); err != nil {
		t.Fatalf("loading axe-core: %v", err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ['violations']}).then((r) =>
		JSON.stringify(r.passes.length < 20 ? [{ID: 'too-few-checks', Help: r.passes.length + ' rules passed'}] : r.violations.map((v) => ({ID: v.id, Impact: v.impact, Help: v.help,
			Nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' '))}))))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe: %v", what, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Errorf("%s: axe %s (%s): %s\n\t%s", what, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
}

// TestBrowserAccessibility: axe-core finds nothing on the home, board, thread, search and
// sign-in pages, in Chinese and English, on a 390 px phone and a 1366 px desktop; and the
// Content-Security-Policy refuses nothing those pages load (their scripts, their style,
// the live socket).
func TestBrowserAccessibility(t *testing.T) {
	exe := chromium(t)
	axe := axeSource(t)
	base, _, thread := a11ySite(t)
	ctx := newBrowser(t, exe)
	watchPolicy(ctx, t)
	signIn(ctx, t, base, "admin", "admin-password")
	guest, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	watchPolicy(guest, t)

	search := base + "/search?q=" + url.QueryEscape("学习")
	// Search indexes in the background: wait until the hits are there, so their
	// markup is checked too.
	if !testkit.Poll(15*time.Second, func() bool {
		if err := chromedp.Do(ctx, chromedp.Navigate(search)); err != nil {
			return false
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.hits li').length`))
		return err == nil && n > 0
	}) {
		t.Fatal("search found nothing")
	}
	pages := []struct {
		name, url string
		tab       context.Context
	}{
		{"home", base + "/", ctx},
		{"board", base + "/b/xinyu", ctx},
		{"thread", thread, ctx},
		{"search", search, ctx},
		{"login", base + "/login", guest},
		{"guest-thread", thread, guest},
	}
	for _, lang := range []string{"zh-Hans", "en"} {
		for _, p := range pages {
			sep := "?"
			if strings.Contains(p.url, "?") {
				sep = "&"
			}
			if err := chromedp.Do(p.tab, chromedp.Navigate(p.url+sep+"lang="+lang), chromedp.WaitReady(chromedp.CSS(`main`))); err != nil {
				t.Fatal(err)
			}
			if p.name == "thread" {
				waitJS(p.tab, t, `document.querySelector('.live-dot.on') !== null`, "the thread's socket to go live")
			}
			for _, w := range []int64{390, 1366} {
				if err := chromedp.Do(p.tab, chromedp.EmulateViewport(w, 900)); err != nil {
					t.Fatal(err)
				}
				checkAxe(p.tab, t, axe, fmt.Sprintf("%s %s %dpx", p.name, lang, w))
			}
			if r := refused(p.tab, t); len(r) > 0 {
				t.Errorf("%s %s: the Content-Security-Policy refused %q", p.name, lang, r)
			}
		}
	}
	// The viewer's own posts show their edit links: the nonce let the inline style in.
	if err := chromedp.Do(ctx, chromedp.Navigate(thread), chromedp.WaitVisible(chromedp.CSS(`#p1 a.own`))); err != nil {
		t.Fatalf("own edit link hidden: %v", err)
	}
}

// rows is how many rows the visible items of the header bar take.
const headerRows = `(() => {
	const tops = new Set();
	for (const el of document.querySelector('.bar').children) {
		const r = el.getBoundingClientRect();
		if (r.width && r.height && getComputedStyle(el).visibility !== 'hidden') tops.add(Math.round(r.top + r.height / 2));
	}
	const sorted = [...tops].sort((a, b) => a - b);
	return sorted.filter((y, i) => i === 0 || y - sorted[i - 1] > 8).length;
})()`

// TestBrowserHeaderFits: signed in as an admin (the most links), the header takes at most
// two rows on a 390 px phone in every language and one row on a 1366 px desktop; the
// page does not scroll sideways.
func TestBrowserHeaderFits(t *testing.T) {
	exe := chromium(t)
	base, _, _ := a11ySite(t)
	ctx := newBrowser(t, exe)
	signIn(ctx, t, base, "admin", "admin-password")
	guest, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	for _, tab := range []struct {
		who string
		ctx context.Context
	}{{"admin", ctx}, {"guest", guest}} {
		for _, lang := range []string{"zh-Hans", "zh-Hant", "en"} {
			if err := chromedp.Do(tab.ctx, chromedp.Navigate(base+"/b/xinyu?lang="+lang), chromedp.WaitReady(chromedp.CSS(`main`))); err != nil {
				t.Fatal(err)
			}
			for w, most := range map[int64]int{390: 2, 1366: 1} {
				if err := chromedp.Do(tab.ctx, chromedp.EmulateViewport(w, 900)); err != nil {
					t.Fatal(err)
				}
				rows, err := chromedp.Run(tab.ctx, chromedp.Evaluate[int](headerRows))
				if err != nil {
					t.Fatal(err)
				}
				screenshot(tab.ctx, t, fmt.Sprintf("header-%s-%s-%d.png", tab.who, lang, w), w, 900)
				if rows > most {
					t.Errorf("%s, %s, %d px: the header takes %d rows, at most %d", tab.who, lang, w, rows, most)
				}
				wide, err := chromedp.Run(tab.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
				if err != nil || wide {
					t.Errorf("%s, %s, %d px: the page scrolls sideways (%v)", tab.who, lang, w, err)
				}
			}
		}
	}
}

// TestBrowserLiveIndicatorKeepsThePage: the live indicator appearing, going offline and
// coming back moves nothing on the page (no layout shift at all), on an English phone,
// where the header is tightest.
func TestBrowserLiveIndicatorKeepsThePage(t *testing.T) {
	exe := chromium(t)
	base, _, thread := a11ySite(t)
	ctx := newBrowser(t, exe)
	signIn(ctx, t, base, "admin", "admin-password")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 800)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(thread+"?lang=en"), chromedp.WaitReady(chromedp.CSS(`main`))); err != nil {
		t.Fatal(err)
	}
	// Layout shifts since the page began to load, as Lighthouse counts them (CLS).
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__shift = 0;
		new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__shift += e.value; }).observe({type: 'layout-shift', buffered: true}); true`)); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, `document.querySelector('.live-dot.on') !== null`, "the socket to go live")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.jiayuanLive.pause(), true`)); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, `window.jiayuanLive.state() === 'offline'`, "the indicator to show offline")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.jiayuanLive.resume(), true`)); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, `window.jiayuanLive.state() === 'live'`, "the socket to be live again")
	// The observer reports asynchronously: a frame later every shift is counted.
	shift, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => ok(window.__shift))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if shift > 0 {
		screenshot(ctx, t, "live-shift-phone.png", 390, 800)
		t.Errorf("the page shifted by %.3f while the live indicator came and went", shift)
	}
}

// TestBrowserLanguageSwitchKeepsThePage: switching language on a search keeps the search.
func TestBrowserLanguageSwitchKeepsThePage(t *testing.T) {
	exe := chromium(t)
	base := startInProcess(t)
	ctx := newBrowser(t, exe)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/search?q="+url.QueryEscape("学习")),
		chromedp.WaitVisible(chromedp.CSS(`#q`)),
		chromedp.Click(chromedp.CSS(`.langs a[lang=en]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=en] #q`)),
	); err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	q, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#q`)))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	if u.Path != "/search" || u.Query().Get("q") != "学习" || q != "学习" {
		t.Errorf("after switching to English: %s, the search box holds %q", loc, q)
	}
}

// TestBrowserCtrlEnterPosts: Ctrl+Enter in the composer posts the reply.
func TestBrowserCtrlEnterPosts(t *testing.T) {
	exe := chromium(t)
	base, _, thread := a11ySite(t)
	ctx := newBrowser(t, exe)
	signIn(ctx, t, base, "admin", "admin-password")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(thread),
		chromedp.WaitVisible(chromedp.CSS(`#body`)),
		chromedp.SendKeys(chromedp.CSS(`#body`), "用快捷键发送的回复"),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
	); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, `location.hash.startsWith('#p') && document.querySelector('#p4 .body')?.textContent.includes('用快捷键发送的回复')`, "the reply sent with Ctrl+Enter")
}
