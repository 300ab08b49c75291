package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/forum"
	"jiayuan/app/l10n"
	"jiayuan/app/sqlstore"
)

// TestRepairCommand runs `jiayuan repair` on a data directory whose counters were
// broken by direct writes: a dry run reports and writes nothing, a run fixes them and
// says so, and a second run finds nothing to change.
func TestRepairCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "jiayuan.db")
	st, err := sqlstore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := &accounts.User{Username: "writer", DisplayName: "w", PasswordHash: "h", CreatedAt: now}
	b := &forum.Board{Slug: "fix", Name: l10n.Text{"zh-Hans": "家·修"}, CreatedAt: now}
	th := &forum.Thread{Title: "计数", CreatedAt: now, LastActivityAt: now}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateUser(ctx, u))
	must(st.CreateBoard(ctx, b))
	th.BoardID, th.AuthorID = b.ID, u.ID
	must(st.CreateThread(ctx, th, &forum.Post{AuthorID: u.ID, Body: "一", HTML: "一", CreatedAt: now}))
	for range 2 {
		must(st.CreatePost(ctx, &forum.Post{ThreadID: th.ID, AuthorID: u.ID, Body: "二", HTML: "二", CreatedAt: now}))
	}
	good := forum.ThreadCounts{ReplyCount: 2, LastSeq: 3, LastActivityAt: now}
	if ok, err := st.SetThreadCounts(ctx, th.ID, good, forum.ThreadCounts{ReplyCount: 40, LastSeq: 3, LastActivityAt: now}); err != nil || !ok {
		t.Fatalf("corrupt thread: %v %v", ok, err)
	}
	if ok, err := st.SetBoardCounts(ctx, b.ID, forum.BoardCounts{ThreadCount: 1, PostCount: 3, LastActivityAt: now}, forum.BoardCounts{ThreadCount: 5, PostCount: 3, LastActivityAt: now}); err != nil || !ok {
		t.Fatalf("corrupt board: %v %v", ok, err)
	}
	st.Close()

	repairRun := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(os.Args[0], append([]string{"repair", "--data", dir}, args...)...)
		cmd.Env = append(os.Environ(), "JIAYUAN_TEST_MAIN=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("jiayuan repair %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	counts := func() (*forum.Thread, *forum.Board) {
		t.Helper()
		st, err := sqlstore.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		got, err := st.ThreadByID(ctx, th.ID)
		must(err)
		gb, err := st.BoardByID(ctx, b.ID)
		must(err)
		return got, gb
	}

	out := repairRun("--dry-run")
	for _, want := range []string{"reply_count 40 → 2", "board fix: thread_count 5 → 1", "would change 1 threads, 1 boards"} {
		if !strings.Contains(out, want) {
			t.Fatalf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if got, gb := counts(); got.ReplyCount != 40 || gb.ThreadCount != 5 {
		t.Fatalf("a dry run wrote: reply_count %d, thread_count %d", got.ReplyCount, gb.ThreadCount)
	}
	out = repairRun()
	if !strings.Contains(out, "reply_count 40 → 2") || !strings.Contains(out, "changed 1 threads, 1 boards") {
		t.Fatalf("repair output:\n%s", out)
	}
	if got, gb := counts(); got.ReplyCount != 2 || gb.ThreadCount != 1 {
		t.Fatalf("after the repair: reply_count %d, thread_count %d", got.ReplyCount, gb.ThreadCount)
	}
	if out := repairRun(); !strings.Contains(out, "nothing to change") || strings.Contains(out, "→") {
		t.Fatalf("second run:\n%s", out)
	}
}
