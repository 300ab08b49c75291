package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"jiayuan/app/testkit"
)

// searchFor polls until the indexer has caught up and the query finds want hits.
func searchFor(t *testing.T, c *client, q string, want int) map[string]any {
	t.Helper()
	var m map[string]any
	if !testkit.Poll(10*time.Second, func() bool {
		r := c.do("GET", "/api/v1/search?q="+url.QueryEscape(q), nil)
		if r.Status != 200 {
			return false // 503 while the new index is first built
		}
		m = r.json(t)
		return int(m["total"].(float64)) == want
	}) {
		t.Fatalf("search %q never found %d hits; last answer %v", q, want, m)
	}
	return m
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	u := e.user("searcher")
	tid, _ := u.thread("yanglian", "廉潔格言徵集", "清清白白做人，干干净净做事。")
	u.reply(tid, "我推荐一句：**黨員**要做表率。", 0)
	other, _ := u.thread("leyou", "周末去爬山", "有没有党员一起去？ＯＡ上报名")

	// Either script finds both; the snippet marks the match in the post's own script.
	m := searchFor(t, u, "党员", 2)
	var snippets []string
	for _, h := range m["hits"].([]any) {
		snippets = append(snippets, h.(map[string]any)["snippet_html"].(string))
	}
	all := strings.Join(snippets, "|")
	if !strings.Contains(all, "<mark>黨員</mark>") || !strings.Contains(all, "<mark>党员</mark>") {
		t.Fatalf("snippets %v", snippets)
	}
	searchFor(t, u, "黨員", 2)
	searchFor(t, u, "廉洁", 1) // the title, written in Traditional
	searchFor(t, u, "oa", 1) // full-width letters fold
	if m := searchFor(t, u, "党员 board:leyou", 1); m["hits"].([]any)[0].(map[string]any)["thread_id"].(float64) != float64(other) {
		t.Fatalf("board filter: %v", m)
	}
	searchFor(t, u, "党员 -爬山", 1)
	searchFor(t, u, "党员 board:nope", 0)
	searchFor(t, u, "员党", 0)

	// Edits are reindexed; deleted posts disappear.
	var pid int64 // the reply in the integrity thread
	for _, h := range m["hits"].([]any) {
		if hm := h.(map[string]any); hm["thread_id"].(float64) == float64(tid) {
			pid = int64(hm["post_id"].(float64))
		}
	}
	u.do("PATCH", fmt.Sprintf("/api/v1/posts/%d", pid), map[string]string{"body": "改成了志愿者招募"})
	searchFor(t, u, "志愿者", 1)
	u.do("DELETE", fmt.Sprintf("/api/v1/posts/%d", pid), nil)
	searchFor(t, u, "志愿者", 0)

	for _, c := range []struct{ q, code string }{
		{"", "invalid_query"},
		{"   ", "invalid_query"},
		{strings.Repeat("党", 201), "invalid_query"},
		{`"党员`, "invalid_query"},
		{"---", "invalid_query"},
		{"-党员", "invalid_query"},
		{"党员 after:yesterday", "invalid_query"},
	} {
		r := u.do("GET", "/api/v1/search?q="+url.QueryEscape(c.q), nil)
		if r.Status != 400 || r.errCode(t) != c.code {
			t.Errorf("query %q: %d %s", c.q, r.Status, r.Body)
		}
	}

	// An unknown board is an empty result, not an error.
	if r := u.do("GET", "/api/v1/search?q="+url.QueryEscape("党员 board:nosuchboard"), nil); r.Status != 200 || len(r.json(t)["hits"].([]any)) != 0 {
		t.Errorf("unknown board: %d %s", r.Status, r.Body)
	}

	page := e.guest().page("/search?q=" + url.QueryEscape("黨員"))
	if page.Status != 200 || !strings.Contains(page.Body, "有没有<mark>党员</mark>一起去") || !strings.Contains(page.Body, "周末去爬山") {
		t.Fatalf("search page: %d\n%s", page.Status, page.Body)
	}
	if page := e.guest().page("/search?q=" + url.QueryEscape(`"未闭合`)); !strings.Contains(page.Body, "引号不成对") {
		t.Fatalf("search page error not shown")
	}
	if !strings.Contains(e.guest().page("/").Body, `role="search"`) {
		t.Fatal("no search box on the home page")
	}
}
