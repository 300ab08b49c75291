package web_test

import "testing"

// TestBoardThreadCount: a board's counters in its thread list agree with the board list
// after threads are posted, with no admin changing the board in between.
func TestBoardThreadCount(t *testing.T) {
	e := newEnv(t)
	u := e.user("counter")
	u.thread("leyou", "第一个", "正文")
	th, _ := u.thread("leyou", "第二个", "正文")
	u.reply(th, "回复", 0)
	var listed map[string]any
	for _, b := range e.guest().do("GET", "/api/v1/boards", nil).json(t)["boards"].([]any) {
		if b := b.(map[string]any); b["slug"] == "leyou" {
			listed = b
		}
	}
	if listed["thread_count"] != 2.0 || listed["post_count"] != 3.0 {
		t.Fatalf("/api/v1/boards: thread_count %v, post_count %v; want 2 and 3", listed["thread_count"], listed["post_count"])
	}
	r := e.guest().do("GET", "/api/v1/boards/leyou/threads", nil)
	b := r.json(t)["board"].(map[string]any)
	if b["thread_count"] != 2.0 || b["post_count"] != 3.0 || b["last_activity_at"] != listed["last_activity_at"] {
		t.Fatalf("/api/v1/boards/leyou/threads says board %v; /api/v1/boards says %v", b, listed)
	}
}
