package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

type memory struct {
	PeakMB float64 `json:"peak_mb"`
	RSSMB  float64 `json:"rss_mb"`
	AnonMB float64 `json:"anon_mb"` // of RSSMB: heap and stacks
	FileMB float64 `json:"file_mb"` // of RSSMB: mapped files (the search index's segments)
}

type report struct {
	Machine  string        `json:"machine"`
	Seed     seedResult    `json:"seed"`
	Conns    int           `json:"conns"`
	Duration time.Duration `json:"duration_ns"`
	Results  []result      `json:"results"`
	Memory   memory        `json:"memory"`
	WS       *wsReport     `json:"websockets,omitempty"`
	Search   *searchReport `json:"search,omitempty"`
}

func (r report) printSearch(w io.Writer) {
	s := r.Search
	fmt.Fprintf(w, "\nJiayuan search bench: %s; %d posts, %d MB of text; %d query strings, %d connections\n\n", r.Machine, s.Posts, s.TextBytes>>20, s.QueryCorpus, s.QueryConns)
	for _, x := range []result{s.Baseline, s.Query, s.QueryBoard, s.QueryLoaded} {
		fmt.Fprintf(w, "%-16s %10.0f req/s  p50 %7.2f ms  p99 %7.2f ms  errors %d  rps÷static %.3f\n", x.Name, x.ReqPerSec, ms(x.P50), ms(x.P99), x.Errors, x.ReqPerSec/max(s.Baseline.ReqPerSec, 1))
	}
	fmt.Fprintln(w, "\nbudgets:")
	r.printBudgets(w, searchBudgets)
}

// find returns a scenario's result; one with failed requests counts as not measured.
func (r report) find(name string) (result, bool) {
	for _, x := range r.Results {
		if x.Name == name {
			return x, x.Requests > 0 && x.Errors == 0
		}
	}
	return result{}, false
}

// baseline is the mean throughput and p99 of the two static runs, first and last.
func (r report) baseline() (rps float64, p99 time.Duration) {
	var n int
	for _, x := range r.Results {
		if strings.HasPrefix(x.Name, "static") {
			rps += x.ReqPerSec
			p99 += x.P99
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return rps / float64(n), p99 / time.Duration(n)
}

// budget is one of the targets, checked against a result.
type budget struct {
	what  string
	check func(r report) (string, bool)
}

var budgets = []budget{
	{"thread page HTML ≥ 4,000 req/s", func(r report) (string, bool) { return rpsAtLeast(r, "thread-html", 4000) }},
	{"thread page HTML p99 < 25 ms", func(r report) (string, bool) { return p99Under(r, "thread-html", 25*time.Millisecond) }},
	{"thread JSON ≥ 6,000 req/s", func(r report) (string, bool) { return rpsAtLeast(r, "thread-json", 6000) }},
	{"board JSON ≥ 6,000 req/s", func(r report) (string, bool) { return rpsAtLeast(r, "board-json", 6000) }},
	{"reply POST p50 < 5 ms (1 conn)", func(r report) (string, bool) {
		x, ok := r.find("reply-post (1 conn)")
		return fmt.Sprintf("%.2f ms", ms(x.P50)), ok && x.P50 < 5*time.Millisecond
	}},
	{"resident memory < 300 MB", func(r report) (string, bool) {
		return fmt.Sprintf("peak %.0f MB", r.Memory.PeakMB), r.Memory.PeakMB > 0 && r.Memory.PeakMB < 300
	}},
	{"deep page of a 10,000-post thread as fast as page one, uncached (p50 within 1.5×)", func(r report) (string, bool) {
		a, ok1 := r.find("first-page (no cache)")
		b, ok2 := r.find("deep-page (no cache)")
		if !ok1 || !ok2 || a.P50 == 0 {
			return "not measured", false
		}
		ratio := float64(b.P50) / float64(a.P50)
		return fmt.Sprintf("deep/first p50 = %.2f", ratio), ratio <= 1.5
	}},
}

// wsBudgets are the realtime issue's targets.
var wsBudgets = []budget{
	{"10,000 subscribers of one thread get a reply within 250 ms (p99, from the POST's start)", func(r report) (string, bool) {
		w := r.WS
		return fmt.Sprintf("p99 %.1f ms, max %.1f ms, %d of %d delivered", ms(w.FanoutP99), ms(w.FanoutMax), w.FanoutReceived, 5*w.FanoutSubscribers),
			w.FanoutReceived == 5*w.FanoutSubscribers && w.FanoutP99 < 250*time.Millisecond
	}},
	{"1,000 replies/s over 100 threads to 5,000 subscribers: p99 < 100 ms", func(r report) (string, bool) {
		w := r.WS
		return fmt.Sprintf("%.0f replies/s, p99 %.1f ms, %d of %d delivered", w.MixedRepliesPerS, ms(w.MixedP99), w.MixedDelivered, w.MixedExpected),
			w.MixedRepliesPerS >= 950 && w.MixedP99 < 100*time.Millisecond && w.MixedDelivered >= w.MixedExpected*99/100
	}},
	{"memory < 25 KB per idle socket", func(r report) (string, bool) {
		w := r.WS
		return fmt.Sprintf("%.1f KB resident (Go stacks %.1f KB, heap %.1f KB)", w.IdleBytesPerConn/1024, w.IdleStackPerConn/1024, w.IdleHeapPerConn/1024), w.IdleBytesPerConn < 25*1024
	}},
	{"no goroutine leak after 10,000 connects and disconnects", func(r report) (string, bool) {
		w := r.WS
		return fmt.Sprintf("goroutines %.0f before, %.0f after", w.GoroutinesBefore, w.GoroutinesAfter), w.GoroutinesAfter <= w.GoroutinesBefore+10
	}},
}

func rpsAtLeast(r report, name string, want float64) (string, bool) {
	x, ok := r.find(name)
	return fmt.Sprintf("%.0f req/s", x.ReqPerSec), ok && x.ReqPerSec >= want
}

func p99Under(r report, name string, want time.Duration) (string, bool) {
	x, ok := r.find(name)
	return fmt.Sprintf("%.2f ms", ms(x.P99)), ok && x.P99 < want
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r report) print(w io.Writer) {
	baseRPS, baseP99 := r.baseline()
	fmt.Fprintf(w, "\nJiayuan bench: %s; %d threads, %d posts; %d connections, %s per scenario\n\n",
		r.Machine, r.Seed.Threads, r.Seed.Posts, r.Conns, r.Duration)
	fmt.Fprintf(w, "%-26s %6s %10s %9s %9s %9s %7s %11s %11s\n", "scenario", "conns", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "rps÷static", "p99÷static")
	for _, x := range r.Results {
		rr, pr := 0.0, 0.0
		if baseRPS > 0 {
			rr = x.ReqPerSec / baseRPS
		}
		if baseP99 > 0 {
			pr = float64(x.P99) / float64(baseP99)
		}
		fmt.Fprintf(w, "%-26s %6d %10.0f %9.2f %9.2f %9.2f %7d %11.3f %11.2f\n", x.Name, x.Conns, x.ReqPerSec, ms(x.P50), ms(x.P90), ms(x.P99), x.Errors, rr, pr)
	}
	fmt.Fprintf(w, "\nserver memory: peak %.0f MB, now %.0f MB (%.0f MB anonymous, %.0f MB mapped files)\n\nbudgets:\n", r.Memory.PeakMB, r.Memory.RSSMB, r.Memory.AnonMB, r.Memory.FileMB)
	r.printBudgets(w, budgets)
	if r.WS == nil {
		return
	}
	fmt.Fprintf(w, "\nwebsockets (%d-socket fan-out, %d sockets over %d threads):\n", r.WS.FanoutSubscribers, r.WS.MixedSubscribers, r.WS.MixedThreads)
	r.printBudgets(w, wsBudgets)
}

func (r report) printBudgets(w io.Writer, bs []budget) {
	for _, b := range bs {
		got, ok := b.check(r)
		verdict := "MISS"
		if ok {
			verdict = "PASS"
		}
		fmt.Fprintf(w, "  %-4s %-72s %s\n", verdict, b.what, got)
	}
}
