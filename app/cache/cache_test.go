package cache

import (
	"fmt"
	"sync"
	"testing"
)

func TestScopes(t *testing.T) {
	c := New(10)
	st := c.Stamp("thread:1", "board:a")
	c.Put("page", st, "v1")
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
	c := New(10)
	st := c.Stamp("thread:1") // 1. stamp, 2. read the database…
	c.Invalidate("thread:1")  // 3. …a write commits meanwhile…
	c.Put("page", st, "old")  // 4. the stale value is stored
	if _, ok := c.Get("page"); ok {
		t.Fatal("a value built before a change was served after it")
	}
}

func TestBoundedAndConcurrent(t *testing.T) {
	c := New(100)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				k := fmt.Sprintf("k%d", i%300)
				st := c.Stamp("s")
				c.Put(k, st, i)
				c.Get(k)
				if i%50 == 0 {
					c.Invalidate("s")
				}
			}
		}(w)
	}
	wg.Wait()
	if c.Len() > 100 {
		t.Fatalf("cache grew to %d entries past its bound of 100", c.Len())
	}
}

func TestDisabled(t *testing.T) {
	c := New(0)
	c.Put("k", c.Stamp("s"), 1)
	if _, ok := c.Get("k"); ok || c.Len() != 0 {
		t.Fatal("a zero-size cache held a value")
	}
}
