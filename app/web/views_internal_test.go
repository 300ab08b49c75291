package web

import (
	"testing"

	"jiayuan/app/cache"
	"jiayuan/app/events"
)

// TestInvalidateOnlyOnContent: a cached thread page survives events that change no page
// (a notification, a sign-out, a role, the word list) and is dropped by one that does.
// Every notification used to empty the cache of every thread page: with the notifier
// catching up on a backlog, cached pages were served no faster than uncached ones.
func TestInvalidateOnlyOnContent(t *testing.T) {
	s := &Server{cache: cache.New(1 << 20)}
	put := func() {
		s.cache.Put("page", s.cache.Stamp(threadScope(7), boardsScope), "html", 4)
	}
	put()
	for _, typ := range []string{events.Notification, events.AccessChanged, events.PolicyChanged, events.WordsChanged} {
		s.Handle(events.Event{Type: typ, ThreadID: 7, UserID: 3, BoardSlug: "xinyu"})
		if _, ok := s.cache.Get("page"); !ok {
			t.Fatalf("a %s event dropped a cached thread page", typ)
		}
	}
	for _, typ := range []string{events.PostCreated, events.PostUpdated, events.ThreadUpdated, events.BoardUpdated} {
		put()
		s.Handle(events.Event{Type: typ, ThreadID: 7, BoardSlug: "xinyu"})
		if _, ok := s.cache.Get("page"); ok {
			t.Fatalf("a %s event left a stale thread page in the cache", typ)
		}
	}
}
