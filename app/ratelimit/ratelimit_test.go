package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestLimiterWindows(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 10, 0, time.UTC)
	m := NewMemory()
	l := New(m, 2, time.Minute, func() time.Time { return now })
	for i, want := range []bool{true, true, false, false} {
		r, err := l.Take(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		if r.Allowed != want || r.Reset != 50*time.Second {
			t.Fatalf("hit %d: %+v, want allowed=%v with 50s to go", i+1, r, want)
		}
	}
	if r, _ := l.Take(ctx, "other"); !r.Allowed || r.Remaining != 1 {
		t.Fatalf("another key: %+v", r)
	}
	// The next window starts whole, and the ended one is purged.
	now = now.Add(time.Minute)
	if r, _ := l.Take(ctx, "k"); !r.Allowed || r.Remaining != 1 {
		t.Fatalf("next window: %+v", r)
	}
	if len(m.counts) != 1 {
		t.Fatalf("%d windows kept, want only the current one", len(m.counts))
	}
}
