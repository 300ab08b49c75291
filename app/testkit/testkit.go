// Package testkit is what the tests of every package share. Only tests import it
// (TestOnlyTestsImport checks).
package testkit

import (
	"testing"
	"time"
)

// Poll calls cond until it holds and says whether it did within the given time: for a
// test that reports a miss in its own words.
func Poll(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// Eventually waits until cond holds, and fails the test with what if it does not
// within the given time.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(within, cond) {
		t.Fatalf("timed out after %v waiting for %s", within, what)
	}
}
