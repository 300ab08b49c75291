package bench

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestPercentiles(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	p50, p90, p99, max := percentiles(lat)
	if p50 != 50*time.Millisecond || p90 != 90*time.Millisecond || p99 != 99*time.Millisecond || max != 100*time.Millisecond {
		t.Fatalf("percentiles = %v %v %v %v", p50, p90, p99, max)
	}
	if lat[0] != 100*time.Millisecond {
		t.Fatal("percentiles sorted its input in place")
	}
	if a, b, c, d := percentiles(nil); a+b+c+d != 0 {
		t.Fatal("percentiles of nothing are not zero")
	}
}

func TestBaselineAndBudgets(t *testing.T) {
	r := report{Results: []result{
		{Name: "static (baseline)", Requests: 1000, ReqPerSec: 20000, P99: 2 * time.Millisecond},
		{Name: "thread-html", Requests: 1000, ReqPerSec: 5000, P99: 20 * time.Millisecond},
		{Name: "static (baseline, again)", Requests: 1000, ReqPerSec: 10000, P99: 4 * time.Millisecond},
	}}
	if rps, p99 := r.baseline(); rps != 15000 || p99 != 3*time.Millisecond {
		t.Fatalf("baseline = %v %v", rps, p99)
	}
	if got, ok := budgets[0].check(r); !ok || got != "5000 req/s" {
		t.Fatalf("html budget: %s %v", got, ok)
	}
	if _, ok := budgets[2].check(r); ok {
		t.Fatal("a scenario that was not measured passed its budget")
	}
	var out strings.Builder
	r.print(&out)
	if !strings.Contains(out.String(), "PASS thread page HTML ≥ 4,000 req/s") || !strings.Contains(out.String(), "0.333") {
		t.Fatalf("report:\n%s", out.String())
	}
}

func TestBenchText(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 200; i++ {
		n := 100 + r.IntN(300)
		s := benchText(r, n)
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8: %q", s)
		}
		if got := utf8.RuneCountInString(s); got < n || got > n+120 {
			t.Fatalf("asked for ~%d runes, got %d", n, got)
		}
	}
}
