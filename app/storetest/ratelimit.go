package storetest

import (
	"context"
	"sync"
	"testing"

	"jiayuan/app/ratelimit"
)

// RateLimit checks an engine's ratelimit.Store: the shared hit counters.
func RateLimit(t *testing.T, open func(*testing.T) ratelimit.Store) {
	tests[ratelimit.Store]{
		{"RateCounters", testRateCounters},
		{"ConcurrentRateCounters", testConcurrentRateCounters},
	}.run(t, open)
}

// testRateCounters: counts per key and window, purged by window end.
func testRateCounters(t *testing.T, s ratelimit.Store) {
	ctx := context.Background()
	hit := func(key string, w int64) int64 {
		t.Helper()
		n, err := s.HitCounter(ctx, key, w)
		must(t, err)
		return n
	}
	for i := int64(1); i <= 3; i++ {
		if n := hit("login:10.0.0.1", 1000); n != i {
			t.Fatalf("hit %d of one key and window counted %d", i, n)
		}
	}
	if n := hit("login:10.0.0.2", 1000); n != 1 {
		t.Fatalf("another key starts at %d, want 1", n)
	}
	if n := hit("login:10.0.0.1", 1060); n != 1 {
		t.Fatalf("the next window starts at %d, want 1", n)
	}
	if n := hit("post:u7", 4600); n != 1 {
		t.Fatalf("a longer window starts at %d, want 1", n)
	}
	// Windows that ended before 1060 go; the one ending at 1060 and later stay.
	must(t, s.PurgeCounters(ctx, 1060))
	if n := hit("login:10.0.0.1", 1000); n != 1 {
		t.Fatalf("a purged window counted on at %d, want 1 (fresh)", n)
	}
	if n := hit("login:10.0.0.1", 1060); n != 2 {
		t.Fatalf("a kept window counted %d, want 2", n)
	}
	if n := hit("post:u7", 4600); n != 2 {
		t.Fatalf("a kept longer window counted %d, want 2", n)
	}
}

// testConcurrentRateCounters: N writers × M hits on one key end at N×M (FerretDB runs
// this over the one connection its harness uses).
func testConcurrentRateCounters(t *testing.T, s ratelimit.Store) {
	ctx := context.Background()
	const writers, hits = 8, 25
	var wg sync.WaitGroup
	seen := make(chan int64, writers*hits)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < hits; j++ {
				n, err := s.HitCounter(ctx, "login:shared", 2000)
				if err != nil {
					t.Error(err)
					return
				}
				seen <- n
			}
		}()
	}
	wg.Wait()
	close(seen)
	// Every hit got its own count: none was lost or counted twice.
	got := map[int64]bool{}
	for n := range seen {
		if got[n] {
			t.Fatalf("two hits were both counted %d", n)
		}
		got[n] = true
	}
	if len(got) != writers*hits {
		t.Fatalf("%d distinct counts, want %d", len(got), writers*hits)
	}
	n, err := s.HitCounter(ctx, "login:shared", 2000)
	must(t, err)
	if n != writers*hits+1 {
		t.Fatalf("after %d concurrent hits the next one counted %d, want %d", writers*hits, n, writers*hits+1)
	}
}
