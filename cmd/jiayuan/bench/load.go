package bench

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// scenario is one kind of request to measure.
type scenario struct {
	Name  string
	Conns int
	// next builds the i-th request of a worker; r is the worker's own random source.
	next func(r *rand.Rand) (*http.Request, error)
	want int // the status a success has
}

// result is what one scenario measured.
type result struct {
	Name      string        `json:"name"`
	Conns     int           `json:"conns"`
	Requests  int           `json:"requests"`
	Errors    int           `json:"errors"`
	ReqPerSec float64       `json:"req_per_sec"`
	P50       time.Duration `json:"p50_ns"`
	P90       time.Duration `json:"p90_ns"`
	P99       time.Duration `json:"p99_ns"`
	Max       time.Duration `json:"max_ns"`
	FirstErr  string        `json:"first_error,omitempty"`
}

// measure runs sc with sc.Conns workers for warm-up and then for d, keep-alive
// connections throughout, and records every request's latency.
func measure(ctx context.Context, client *http.Client, sc scenario, warm, d time.Duration) result {
	run := func(d time.Duration, record bool) ([]time.Duration, int, string) {
		var mu sync.Mutex
		var all []time.Duration
		errs, firstErr := 0, ""
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		for w := 0; w < sc.Conns; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
				lat := make([]time.Duration, 0, 4096)
				e, fe := 0, ""
				for time.Now().Before(deadline) && ctx.Err() == nil {
					req, err := sc.next(r)
					if err != nil {
						e, fe = e+1, err.Error()
						continue
					}
					start := time.Now()
					res, err := client.Do(req)
					if err == nil {
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
					took := time.Since(start)
					switch {
					case err != nil:
						e, fe = e+1, err.Error()
					case res.StatusCode != sc.want:
						e, fe = e+1, res.Status
					}
					lat = append(lat, took)
				}
				if record {
					mu.Lock()
					all = append(all, lat...)
					errs += e
					if firstErr == "" {
						firstErr = fe
					}
					mu.Unlock()
				}
			}(w)
		}
		wg.Wait()
		return all, errs, firstErr
	}
	run(warm, false)
	start := time.Now()
	lat, errs, firstErr := run(d, true)
	elapsed := time.Since(start)
	res := result{Name: sc.Name, Conns: sc.Conns, Requests: len(lat), Errors: errs, FirstErr: firstErr}
	res.ReqPerSec = float64(len(lat)) / elapsed.Seconds()
	res.P50, res.P90, res.P99, res.Max = percentiles(lat)
	return res
}

// percentiles returns p50, p90, p99 and the maximum (nearest rank).
func percentiles(lat []time.Duration) (p50, p90, p99, max time.Duration) {
	if len(lat) == 0 {
		return
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.999999) - 1
		return s[min(max0(i), len(s)-1)]
	}
	return at(0.50), at(0.90), at(0.99), s[len(s)-1]
}

func max0(i int) int {
	if i < 0 {
		return 0
	}
	return i
}

func get(base, path string, accept string) func(*rand.Rand) (*http.Request, error) {
	return func(*rand.Rand) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err == nil && accept != "" {
			req.Header.Set("Accept", accept)
		}
		return req, err
	}
}

func jsonPost(url string, body []byte, cookie *http.Cookie, csrf string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if cookie != nil {
		req.AddCookie(cookie)
		req.Header.Set("X-CSRF-Token", csrf)
	}
	return req, nil
}
