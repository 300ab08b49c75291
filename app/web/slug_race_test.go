package web_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"jiayuan/app/config"
	"jiayuan/app/events"
)

// TestThreadCreatedNamesItsBoard: threads opened at once in different boards, over real
// connections that carry one request after another, each announce the board they are
// really in. A string still pointing into the server's request buffer would read
// another request's board by the time a follower of the bus looks (and the race
// detector would see the buffer rewritten under it).
func TestThreadCreatedNamesItsBoard(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.PostPerMinute, c.PageCacheMB = 0, 0 })
	u := e.direct("zhang")
	var boards []string
	for _, slug := range []string{"xinyu", "yanglian", "shijiao", "nianhua", "leyou", "jiangtan", "shuying", "shanxing"} {
		if r := u.do("POST", "/api/v1/boards/"+slug+"/threads", map[string]string{"title": "试 " + slug, "body": "看看能否发帖"}); r.Status == 201 {
			boards = append(boards, slug)
		}
	}
	if len(boards) < 3 {
		t.Fatalf("an employee may post in only %v", boards)
	}

	// A follower reads the events on its own goroutine while the requests go on: after
	// each request is answered (its event is published before the answer), while the
	// connection reads its next one.
	const writers, each = 6, 12
	answered := make(chan struct{}, writers*each)
	checked := make(chan int, 1)
	var wrong []string
	check := func(seen int) int {
		e.mu.Lock()
		evs := append([]events.Event(nil), e.events[seen:]...)
		e.mu.Unlock()
		for _, ev := range evs {
			if ev.Type != events.ThreadCreated {
				continue
			}
			th, err := e.store.ThreadByID(context.Background(), ev.ThreadID)
			if err != nil {
				wrong = append(wrong, fmt.Sprintf("thread %d: %v", ev.ThreadID, err))
				continue
			}
			b, err := e.store.BoardByID(context.Background(), th.BoardID)
			if err != nil || b.Slug != ev.BoardSlug {
				wrong = append(wrong, fmt.Sprintf("thread %d is in %v but its event says %q", ev.ThreadID, b.Slug, ev.BoardSlug))
			}
		}
		return seen + len(evs)
	}
	go func() {
		seen := 0
		for range answered {
			seen = check(seen)
		}
		checked <- check(seen)
	}()

	var wg sync.WaitGroup
	errs := make(chan string, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				slug := boards[(w+i)%len(boards)]
				if r := u.do("POST", "/api/v1/boards/"+slug+"/threads", map[string]string{"title": fmt.Sprintf("并发 %d-%d", w, i), "body": "同时开帖"}); r.Status != 201 {
					errs <- fmt.Sprintf("%s: %d %s", slug, r.Status, r.Body)
				}
				answered <- struct{}{}
			}
		})
	}
	wg.Wait()
	close(answered)
	<-checked
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	for _, msg := range wrong {
		t.Error(msg)
	}
}
