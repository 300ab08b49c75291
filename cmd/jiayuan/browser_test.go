package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"jiayuan/app/config"
	"jiayuan/app/node"
	"jiayuan/app/testkit"
)

// chromium finds Debian's Chromium. In CI a missing browser fails the test: browser
// tests must never be skipped there.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is not installed; `make test` installs Debian's chromium package")
	}
	t.Skip("Chromium is not installed (run `make test`, which installs it)")
	return ""
}

// startInProcess runs a whole node on a random local port.
func startInProcess(t *testing.T) string {
	return startNode(t, "--data", t.TempDir())
}

// startNode runs a node with the given serve flags on a random local port.
func startNode(t *testing.T, args ...string) string {
	t.Helper()
	base, _ := startNodeWith(t, args...)
	return base
}

// startNodeWith is startNode that also hands back the node, for tests that set up data
// through its services.
func startNodeWith(t *testing.T, args ...string) (string, *node.Node) {
	t.Helper()
	cfg, err := config.Load(append([]string{"--login-rate", "0", "--post-rate", "0"}, args...))
	if err != nil {
		t.Fatal(err)
	}
	cfg.OpenRegistration = true
	n, err := node.New(t.Context(), cfg, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.Close()
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- n.Serve(ctx, ln) }()
	t.Cleanup(func() { stop(); <-served })
	return "http://" + ln.Addr().String(), n
}

func newBrowser(t *testing.T, exe string) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

// screenshotDir is where screenshots go: JIAYUAN_SCREENSHOTS, or a temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("JIAYUAN_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func screenshot(ctx context.Context, t *testing.T, name string, width, height int64) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatalf("viewport: %v", err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(screenshotDir(t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// TestBrowserSignUpPostReply: a person signs up, starts a thread in Chinese, answers a
// post with the reply link, and sees both on the page, on a desktop and on a phone.
func TestBrowserSignUpPostReply(t *testing.T) {
	exe := chromium(t)
	base := startInProcess(t)
	ctx := newBrowser(t, exe)

	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/register"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "xiaoming"),
		chromedp.SendKeys(chromedp.CSS(`#display_name`), "小明"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "xiaoming-password"),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`.boards`)),
		chromedp.Navigate(base+"/b/xinyu"),
		chromedp.WaitVisible(chromedp.CSS(`#title`)),
		chromedp.SendKeys(chromedp.CSS(`#title`), "入党积极分子第一周周记"),
		chromedp.SendKeys(chromedp.CSS(`#body`), "本周认真学习了**党章**，体会到党员的先锋模范作用。"),
		chromedp.Click(chromedp.CSS(`#compose button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#p1`)),
	)
	if err != nil {
		t.Fatalf("sign up and post: %v", err)
	}
	threadURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		// The reply link fills in reply_to without a page load (JavaScript on).
		chromedp.Click(chromedp.CSS(`#p1 a[data-reply]`)),
		chromedp.WaitVisible(chromedp.CSS(`.reply-to`)),
		chromedp.SendKeys(chromedp.CSS(`#body`), "写得很好，继续加油！"),
		chromedp.Click(chromedp.CSS(`#compose button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#p2`)),
	)
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	page, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(`main`)))
	if err != nil {
		t.Fatal(err)
	}
	// After a reply the page opens at the new post, in the view the reply was written
	// in: the conversation view, where an answer to the opening post needs no "replying
	// to" label (#14: it used to switch to time order).
	for _, want := range []string{"入党积极分子第一周周记", "写得很好，继续加油！", "小明"} {
		if !strings.Contains(page, want) {
			t.Errorf("page after the reply lacks %q", want)
		}
	}
	if landed, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(landed, "?at=2#p2") {
		t.Errorf("the reply landed at %s, want the conversation view at #2", landed)
	}
	if !strings.Contains(threadURL, "/t/") {
		t.Errorf("posting did not land on the thread: %s", threadURL)
	}

	// The same thread in the conversation view, on a desktop and on a 360 px phone.
	if err := chromedp.Do(ctx, chromedp.Navigate(strings.SplitN(threadURL, "?", 2)[0]), chromedp.WaitVisible(chromedp.CSS(`#p2`))); err != nil {
		t.Fatal(err)
	}
	page, err = chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(`html`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<strong>党章</strong>", "写得很好，继续加油！", `lang="zh-Hans"`} {
		if !strings.Contains(page, want) {
			t.Errorf("conversation view lacks %q", want)
		}
	}
	screenshot(ctx, t, "thread-desktop.png", 1280, 900)
	screenshot(ctx, t, "thread-phone.png", 360, 740)
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if overflow {
		t.Errorf("the thread page scrolls sideways at 360 px")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`.boards`))); err != nil {
		t.Fatal(err)
	}
	screenshot(ctx, t, "home-phone.png", 360, 740)

	// The search box on every page finds the thread in the other script, marked.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`.searchbox input`), "黨員的先鋒\n"),
		chromedp.WaitVisible(chromedp.CSS(`.hits mark`)),
	); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(`main`)))
		t.Fatalf("search: %v\n%s", err, html)
	}
	marked, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.hits mark`)))
	if err != nil || marked != "党员的先锋" {
		t.Fatalf("marked %q, %v", marked, err)
	}
	screenshot(ctx, t, "search-phone.png", 360, 740)
	screenshot(ctx, t, "home-desktop.png", 1280, 900)
	fmt.Fprintln(os.Stderr, "browser test screenshots in", screenshotDir(t))
}

// signUp registers a user through the sign-up form.
func signUp(ctx context.Context, t *testing.T, base, name, display string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/register"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), name),
		chromedp.SendKeys(chromedp.CSS(`#display_name`), display),
		chromedp.SendKeys(chromedp.CSS(`#password`), name+"-password"),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`.boards`)),
	); err != nil {
		t.Fatalf("sign up %s: %v", name, err)
	}
}

func replyInBrowser(ctx context.Context, t *testing.T, threadURL, text string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(threadURL),
		chromedp.WaitVisible(chromedp.CSS(`#body`)),
		chromedp.SendKeys(chromedp.CSS(`#body`), text),
		chromedp.Click(chromedp.CSS(`#compose button[type=submit]`)),
	); err != nil {
		t.Fatalf("reply %q: %v", text, err)
	}
	// Done when the page the form led to shows the reply.
	if !testkit.Poll(15*time.Second, func() bool {
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.hash.startsWith('#p') && document.querySelector('.posts').innerText.includes(`+"`"+text+"`"+`)`))
		return err == nil && shown
	}) {
		t.Fatalf("reply %q did not show", text)
	}
}

// TestBrowserLiveReplies: two people on one thread. One replies; the other sees it
// without reloading. The second drops off, the first replies twice, the second comes
// back and sees both.
func TestBrowserLiveReplies(t *testing.T) {
	exe := chromium(t)
	base := startInProcess(t)
	reader := newBrowser(t, exe)
	signUp(reader, t, base, "reader", "读者")
	writer, cancel := chromedp.NewContext(reader, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	signUp(writer, t, base, "writer", "作者")

	if err := chromedp.Do(writer,
		chromedp.Navigate(base+"/b/shijiao"),
		chromedp.WaitVisible(chromedp.CSS(`#title`)),
		chromedp.SendKeys(chromedp.CSS(`#title`), "改革热点面对面：大家怎么看？"),
		chromedp.SendKeys(chromedp.CSS(`#body`), "欢迎讨论。"),
		chromedp.Click(chromedp.CSS(`#compose button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#p1`)),
	); err != nil {
		t.Fatal(err)
	}
	threadURL, err := chromedp.Run(writer, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	live := `document.querySelector('.live-dot.on') !== null`
	waitTrue := func(ctx context.Context, expr, what string) {
		t.Helper()
		waitJS(ctx, t, expr, what)
	}
	if err := chromedp.Do(reader, chromedp.Navigate(threadURL), chromedp.WaitVisible(chromedp.CSS(`#p1`))); err != nil {
		t.Fatal(err)
	}
	waitTrue(reader, live, "the reader's socket to go live")
	marker := `document.body.dataset.loadMarker = "same page"`
	if _, err := chromedp.Run(reader, chromedp.Evaluate[string](marker)); err != nil {
		t.Fatal(err)
	}

	replyInBrowser(writer, t, threadURL, "我先说两句：改革要落到实处。")
	waitTrue(reader, `document.querySelector('#p2 .body')?.textContent.includes('改革要落到实处')`, "the reply to appear live")

	// The reader drops off; two replies land; the reader comes back and gets both.
	if _, err := chromedp.Run(reader, chromedp.Evaluate[bool](`window.jiayuanLive.pause(), true`)); err != nil {
		t.Fatal(err)
	}
	waitTrue(reader, `document.querySelector('.live-dot').dataset.state === 'offline'`, "the indicator to show offline")
	replyInBrowser(writer, t, threadURL, "第二条：要听取一线员工的意见。")
	replyInBrowser(writer, t, threadURL, "第三条：定期公示整改方案。")
	if _, err := chromedp.Run(reader, chromedp.Evaluate[bool](`window.jiayuanLive.resume(), true`)); err != nil {
		t.Fatal(err)
	}
	waitTrue(reader, `!!document.querySelector('#p3') && !!document.querySelector('#p4')`, "the missed replies after reconnecting")
	waitTrue(reader, live, "the socket to be live again")
	order, err := chromedp.Run(reader, chromedp.Evaluate[string](`[...document.querySelectorAll('.posts article')].map(a => a.dataset.seq).join(',')`))
	if err != nil || order != "1,2,3,4" {
		t.Fatalf("posts on the reader's page: %q %v", order, err)
	}
	same, err := chromedp.Run(reader, chromedp.Evaluate[string](`document.body.dataset.loadMarker || ''`))
	if err != nil || same != "same page" {
		t.Fatalf("the reader's page was reloaded (%q, %v): replies must arrive without a reload", same, err)
	}
	screenshot(reader, t, "live-thread-phone.png", 360, 740)
}
