package cache

import (
	"fmt"
	"sync"
	"testing"
)

func TestScopes(t *testing.T) {
	c := New(100)
	st := c.Stamp("thread:1", "board:a")
	c.Put("page", st, "v1", 2)
	if v, ok := c.Get("page"); !ok || v != "v1" {
		t.Fatalf("Get = %v %v", v, ok)
	}
	c.Invalidate("thread:2")
	if _, ok := c.Get("page"); !ok {
		t.Fatal("an unrelated scope killed the value")
	}
	c.Invalidate("board:a")
	if _, ok := c.Get("page"); ok {
		t.Fatal("a changed scope did not kill the value")
	}
}

// TestStampBeforeRead: a value built from data read before a change is never served,
// even when it is stored after the change.
func TestStampBeforeRead(t *testing.T) {
	c := New(100)
	st := c.Stamp("thread:1")   // 1. stamp, 2. read the database…
	c.Invalidate("thread:1")    // 3. …a write commits meanwhile…
	c.Put("page", st, "old", 3) // 4. the stale value is stored
	if _, ok := c.Get("page"); ok {
		t.Fatal("a value built before a change was served after it")
	}
}

func TestBoundedAndConcurrent(t *testing.T) {
	c := New(1000)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				k := fmt.Sprintf("k%d", i%300)
				st := c.Stamp("s")
				c.Put(k, st, i, 10)
				c.Get(k)
				if i%50 == 0 {
					c.Invalidate("s")
				}
			}
		}(w)
	}
	wg.Wait()
	if c.Len() > 100 || c.Bytes() > 1000 {
		t.Fatalf("cache grew to %d entries, %d bytes, past its budget of 1000 bytes", c.Len(), c.Bytes())
	}
}

func TestDisabled(t *testing.T) {
	c := New(0)
	c.Put("k", c.Stamp("s"), 1, 1)
	if _, ok := c.Get("k"); ok || c.Len() != 0 {
		t.Fatal("a zero-size cache held a value")
	}
}

func TestByteBudget(t *testing.T) {
	c := New(100)
	for i := 0; i < 10; i++ {
		c.Put(fmt.Sprint(i), c.Stamp(), i, 20)
	}
	if c.Bytes() > 100 || c.Len() != 5 {
		t.Fatalf("%d bytes in %d entries, want 100 in 5", c.Bytes(), c.Len())
	}
	if _, ok := c.Get("0"); ok {
		t.Fatal("the oldest value survived")
	}
	if v, ok := c.Get("9"); !ok || v != 9 {
		t.Fatal("the newest value was evicted")
	}
	c.Put("9", c.Stamp(), 99, 20) // replacing does not count twice
	if c.Bytes() != 100 {
		t.Fatalf("replace left %d bytes", c.Bytes())
	}
	c.Put("huge", c.Stamp(), 0, 60) // over a quarter of the budget: not kept
	if _, ok := c.Get("huge"); ok {
		t.Fatal("a value over a quarter of the budget was kept")
	}
}
