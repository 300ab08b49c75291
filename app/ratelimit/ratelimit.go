// Package ratelimit counts requests per key in fixed time windows kept in the store, so
// that every node of a deployment draws on one budget: behind a load balancer a client
// gets the same number of sign-in attempts whichever node answers.
package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Store keeps the counts. Both engines provide it; a window is named by the Unix second
// at which it ends, so limits with different window lengths can share one table and
// one purge.
type Store interface {
	// HitCounter adds one to the count of key in the window ending at window, creating
	// it at 1, in one atomic step, and returns the new count.
	HitCounter(ctx context.Context, key string, window int64) (int64, error)
	// PurgeCounters deletes the counts of every window that ended before before.
	PurgeCounters(ctx context.Context, before int64) error
}

// Limiter allows Max hits per key in each window of length Every.
type Limiter struct {
	store  Store
	max    int64
	every  time.Duration
	now    func() time.Time
	purged atomic.Int64 // the window (by its end) for which this node last purged
}

// New returns a limiter of max hits per key per window; now is the clock (nil:
// time.Now).
func New(store Store, max int, every time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{store: store, max: int64(max), every: every, now: now}
}

// Result is the answer to one hit.
type Result struct {
	Allowed   bool
	Limit     int
	Remaining int
	// Reset is how long until the window ends and the budget is whole again.
	Reset time.Duration
}

// Take counts one hit of key and says whether it is within the budget.
func (l *Limiter) Take(ctx context.Context, key string) (Result, error) {
	now := l.now()
	end := now.Truncate(l.every).Add(l.every)
	w := end.Unix()
	// The first hit of each window on this node clears the windows that are over. A
	// failed purge only leaves dead rows for the next window's purge, so it does not
	// fail the request.
	if prev := l.purged.Load(); prev != w && l.purged.CompareAndSwap(prev, w) {
		_ = l.store.PurgeCounters(ctx, now.Unix())
	}
	n, err := l.store.HitCounter(ctx, key, w)
	if err != nil {
		return Result{}, err
	}
	return Result{Allowed: n <= l.max, Limit: int(l.max), Remaining: int(max(l.max-n, 0)), Reset: end.Sub(now)}, nil
}

// Memory is a Store for one process alone (tests, tools that build a server without a
// database).
type Memory struct {
	mu     sync.Mutex
	counts map[memKey]int64
}

type memKey struct {
	key    string
	window int64
}

// NewMemory returns an empty in-process Store.
func NewMemory() *Memory { return &Memory{counts: map[memKey]int64{}} }

// HitCounter implements Store.
func (m *Memory) HitCounter(_ context.Context, key string, window int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey{key, window}
	m.counts[k]++
	return m.counts[k], nil
}

// PurgeCounters implements Store.
func (m *Memory) PurgeCounters(_ context.Context, before int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.counts {
		if k.window < before {
			delete(m.counts, k)
		}
	}
	return nil
}
