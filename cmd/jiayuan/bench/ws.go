package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// wsReport is what the websocket scenarios measured.
type wsReport struct {
	FanoutSubscribers int           `json:"fanout_subscribers"`
	FanoutReceived    int           `json:"fanout_received"`
	FanoutP50         time.Duration `json:"fanout_p50_ns"`
	FanoutP99         time.Duration `json:"fanout_p99_ns"`
	FanoutMax         time.Duration `json:"fanout_max_ns"`
	IdleBytesPerConn  float64       `json:"idle_bytes_per_conn"`
	IdleStackPerConn  float64       `json:"idle_stack_bytes_per_conn"`
	IdleHeapPerConn   float64       `json:"idle_heap_bytes_per_conn"`
	MixedSubscribers  int           `json:"mixed_subscribers"`
	MixedThreads      int           `json:"mixed_threads"`
	MixedRepliesPerS  float64       `json:"mixed_replies_per_s"`
	MixedDelivered    int           `json:"mixed_delivered"`
	MixedExpected     int           `json:"mixed_expected"`
	MixedP50          time.Duration `json:"mixed_p50_ns"`
	MixedP99          time.Duration `json:"mixed_p99_ns"`
	GoroutinesBefore  float64       `json:"goroutines_before"`
	GoroutinesAfter   float64       `json:"goroutines_after"`
	ChurnConnections  int           `json:"churn_connections"`
}

// sentAt maps a reply's marker to when its POST started, for delivery latency.
type sentAt struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (s *sentAt) put(k string, t time.Time) { s.mu.Lock(); s.m[k] = t; s.mu.Unlock() }
func (s *sentAt) get(k string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[k]
	return t, ok
}

// latencies collects delivery latencies from many reader goroutines.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.all = append(l.all, d); l.mu.Unlock() }

// subscriber opens a socket subscribed to channel and reports every post.created body
// marker it receives, with the time it arrived.
func subscriber(ctx context.Context, base, channel string, ready *sync.WaitGroup, got func(marker string, at time.Time)) (*websocket.Conn, error) {
	h := http.Header{}
	h.Set("Origin", base)
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 256}
	conn, _, err := d.DialContext(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", h)
	if err != nil {
		return nil, err
	}
	if err := conn.WriteJSON(map[string]any{"type": "subscribe", "channel": channel}); err != nil {
		conn.Close()
		return nil, err
	}
	go func() {
		subscribed := false
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				if !subscribed {
					ready.Done()
				}
				return
			}
			now := time.Now()
			var m struct {
				Type string `json:"type"`
				Post struct {
					Body string `json:"body"`
				} `json:"post"`
			}
			if json.Unmarshal(data, &m) != nil {
				continue
			}
			switch m.Type {
			case "subscribed":
				if !subscribed {
					subscribed = true
					ready.Done()
				}
			case "post.created":
				got(m.Post.Body, now)
			}
		}
	}()
	return conn, nil
}

// openSubscribers opens n sockets spread over channels, with a few dialers at a time.
func openSubscribers(ctx context.Context, base string, channels []string, n int, got func(string, time.Time)) ([]*websocket.Conn, error) {
	conns := make([]*websocket.Conn, n)
	var ready sync.WaitGroup
	ready.Add(n)
	var firstErr atomic.Value
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				c, err := subscriber(ctx, base, channels[i%len(channels)], &ready, got)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					ready.Done()
					continue
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	ready.Wait()
	if err, ok := firstErr.Load().(error); ok {
		closeAll(conns)
		return nil, err
	}
	return conns, nil
}

func closeAll(conns []*websocket.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// metricValue reads one unlabelled metric from the server's /metrics.
func metricValue(client *http.Client, base, name string) (float64, error) {
	res, err := client.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 500))
		return 0, fmt.Errorf("/metrics: %s: %s", res.Status, b)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == name {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	return 0, fmt.Errorf("metric %s not found in /metrics", name)
}

// benchWebsockets measures fan-out, idle memory per socket, a mixed reply load and
// connection churn against the running child.
func benchWebsockets(ctx context.Context, client *http.Client, srv *child, hot []int64, cookie *http.Cookie, csrf string, fanout, mixedSubs int, mixedRate float64, mixedFor time.Duration) (*wsReport, error) {
	rep := &wsReport{}
	base := srv.base
	post := func(thread int64, marker string) error {
		body, _ := json.Marshal(map[string]string{"body": marker + " 实时推送压测"})
		req, err := jsonPost(fmt.Sprintf("%s/api/v1/threads/%d/posts", base, thread), body, cookie, csrf)
		if err != nil {
			return err
		}
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != 201 {
			return fmt.Errorf("reply: %s", res.Status)
		}
		return nil
	}
	sent := &sentAt{m: map[string]time.Time{}}
	lat := &latencies{}
	record := func(marker string, at time.Time) {
		if k, _, ok := strings.Cut(marker, " "); ok {
			if t0, ok := sent.get(k); ok {
				lat.add(at.Sub(t0))
			}
		}
	}

	// 1. Fan-out: fanout sockets on one thread, one reply.
	before, err := srv.memory()
	if err != nil {
		return nil, err
	}
	// Idle keep-alive connections each hold a server goroutine: close ours first.
	client.CloseIdleConnections()
	time.Sleep(200 * time.Millisecond)
	if rep.GoroutinesBefore, err = metricValue(client, base, "go_goroutines"); err != nil {
		return nil, err
	}
	stack0, _ := metricValue(client, base, "go_memstats_stack_inuse_bytes")
	heap0, _ := metricValue(client, base, "go_memstats_heap_inuse_bytes")
	fmt.Fprintf(os.Stderr, "opening %d sockets on one thread…\n", fanout)
	conns, err := openSubscribers(ctx, base, []string{fmt.Sprintf("thread:%d", hot[0])}, fanout, record)
	if err != nil {
		return nil, fmt.Errorf("open sockets: %w", err)
	}
	time.Sleep(2 * time.Second) // let the server settle before reading its memory
	after, err := srv.memory()
	if err != nil {
		return nil, err
	}
	rep.FanoutSubscribers = fanout
	rep.IdleBytesPerConn = (after.RSSMB - before.RSSMB) * 1024 * 1024 / float64(fanout)
	stack1, _ := metricValue(client, base, "go_memstats_stack_inuse_bytes")
	heap1, _ := metricValue(client, base, "go_memstats_heap_inuse_bytes")
	rep.IdleStackPerConn, rep.IdleHeapPerConn = (stack1-stack0)/float64(fanout), (heap1-heap0)/float64(fanout)
	for i := 0; i < 5; i++ { // five replies, so p99 is over 5×fanout deliveries
		k := fmt.Sprintf("fan%d", i)
		sent.put(k, time.Now())
		if err := post(hot[0], k); err != nil {
			return nil, err
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	lat.mu.Lock()
	rep.FanoutReceived = len(lat.all)
	rep.FanoutP50, _, rep.FanoutP99, rep.FanoutMax = percentiles(lat.all)
	lat.all = nil
	lat.mu.Unlock()
	closeAll(conns)

	// 2. Mixed: mixedSubs sockets over 100 threads, replies at mixedRate per second.
	threads := hot[:min(100, len(hot))]
	channels := make([]string, len(threads))
	for i, t := range threads {
		channels[i] = fmt.Sprintf("thread:%d", t)
	}
	fmt.Fprintf(os.Stderr, "opening %d sockets over %d threads; replying %.0f/s for %s…\n", mixedSubs, len(threads), mixedRate, mixedFor)
	conns, err = openSubscribers(ctx, base, channels, mixedSubs, record)
	if err != nil {
		return nil, err
	}
	var posted atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / mixedRate))
	work := make(chan int, 1024)
	for w := 0; w < 48; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for i := range work {
				k := fmt.Sprintf("mix%d", i)
				sent.put(k, time.Now())
				if post(threads[r.IntN(len(threads))], k) == nil {
					posted.Add(1)
				}
			}
		}()
	}
	for i := 0; time.Since(start) < mixedFor; i++ {
		<-tick.C
		select {
		case work <- i:
		default: // the server cannot keep up: count what it took
		}
	}
	tick.Stop()
	close(work)
	wg.Wait()
	rep.MixedRepliesPerS = float64(posted.Load()) / time.Since(start).Seconds()
	time.Sleep(2 * time.Second)
	lat.mu.Lock()
	rep.MixedThreads, rep.MixedSubscribers = len(threads), mixedSubs
	rep.MixedDelivered, rep.MixedExpected = len(lat.all), int(posted.Load())*mixedSubs/len(threads)
	rep.MixedP50, _, rep.MixedP99, _ = percentiles(lat.all)
	lat.mu.Unlock()
	closeAll(conns)

	// 3. Churn: many connects and disconnects, then the goroutine count.
	fmt.Fprintf(os.Stderr, "churning %d connections…\n", fanout)
	for i := 0; i < fanout; i += 1000 {
		cs, err := openSubscribers(ctx, base, []string{fmt.Sprintf("thread:%d", hot[1%len(hot)])}, min(1000, fanout-i), func(string, time.Time) {})
		if err != nil {
			return nil, err
		}
		closeAll(cs)
	}
	rep.ChurnConnections = fanout
	// fasthttp keeps idle worker goroutines for 10 s; count after they are gone.
	client.CloseIdleConnections()
	time.Sleep(12 * time.Second)
	if rep.GoroutinesAfter, err = metricValue(client, base, "go_goroutines"); err != nil {
		return nil, err
	}
	return rep, nil
}
