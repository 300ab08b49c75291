package realtime

import (
	"sync"
)

// Client is one websocket connection and its subscriptions.
type Client struct {
	hub    *Hub
	userID int64
	addr   string
	check  func() string // re-checks the socket's credential: "" while it holds
	say    func(key string, args ...any) string
	send   chan *frame
	// catchUp hands backlog frames to the writer one at a time: unbuffered, so a
	// catch-up waits for the socket instead of filling the live queue.
	catchUp chan *frame
	done    chan struct{} // closed when the client is dropped

	mu     sync.Mutex
	subs   map[string]*subscription
	closed bool
	reason string
}

// subscription is one channel of a client. Until ready, live frames wait in pending
// while the backlog is sent; lastSeq then drops what both delivered.
type subscription struct {
	ready   bool
	ordered bool // thread channels: post.created frames carry a seq
	lastSeq int64
	pending []*frame
}

// maxPending bounds what a subscription buffers while its backlog is sent.
const maxPending = 1024

func newClient(h *Hub, id Identity, queue int) *Client {
	return &Client{hub: h, userID: id.UserID, addr: id.Addr, check: id.Check, say: id.Say, send: make(chan *frame, queue),
		catchUp: make(chan *frame), done: make(chan struct{}), subs: map[string]*subscription{}}
}

func (c *Client) channels() map[string]*subscription {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]*subscription, len(c.subs))
	for k, v := range c.subs {
		out[k] = v
	}
	return out
}

// deliver is called by the hub for every frame on a channel the client joined, once
// the hub has decided this client may receive it.
func (c *Client) deliver(f *frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.subs[f.channel]
	if c.closed || s == nil {
		return
	}
	if !s.ready {
		if len(s.pending) >= maxPending {
			c.dropLocked("too far behind")
			return
		}
		s.pending = append(s.pending, f)
		return
	}
	if c.fresh(s, f) {
		c.enqueueLocked(f)
	}
}

// fresh reports whether f is news to s, and advances lastSeq: a post the client already
// has (from the backlog, at the seam) is not. A late post (approved after later ones)
// is news whatever its seq.
func (c *Client) fresh(s *subscription, f *frame) bool {
	if s.ordered && f.typ == TypePostCreated && !f.late {
		if f.seq <= s.lastSeq {
			return false
		}
		s.lastSeq = f.seq
	}
	return true
}

// enqueueLocked never blocks: a client that cannot keep up is dropped, and catches up
// with `after` when it reconnects.
func (c *Client) enqueueLocked(f *frame) {
	if c.closed {
		return
	}
	select {
	case c.send <- f:
	default:
		c.dropLocked("slow consumer")
	}
}

// reply queues a frame that answers the client itself (errors, pongs).
func (c *Client) reply(f *frame) {
	c.mu.Lock()
	c.enqueueLocked(f)
	c.mu.Unlock()
}

func (c *Client) drop(reason string) {
	c.mu.Lock()
	c.dropLocked(reason)
	c.mu.Unlock()
}

func (c *Client) dropLocked(reason string) {
	if c.closed {
		return
	}
	c.closed, c.reason = true, reason
	close(c.done)
}

// end stops a subscription the client may no longer have, and tells it why.
func (c *Client) end(channel string, err error) {
	if c.unsubscribe(channel) {
		c.reply(c.denial(channel, err))
	}
}

// begin registers a subscription that buffers live frames until finish.
func (c *Client) begin(channel string, ordered bool, lastSeq int64) {
	c.mu.Lock()
	c.subs[channel] = &subscription{ordered: ordered, lastSeq: lastSeq}
	c.mu.Unlock()
	c.hub.join(c, channel)
}

// backlog sends frames read from the database, in seq order, each as soon as the
// socket has taken the one before. It reports false when the subscription or the
// client ended meanwhile.
func (c *Client) backlog(channel string, frames []*frame) bool {
	for _, f := range frames {
		c.mu.Lock()
		s := c.subs[channel]
		ok := s != nil && !c.closed && c.fresh(s, f)
		gone := s == nil || c.closed
		c.mu.Unlock()
		if gone {
			return false
		}
		if ok && !c.handOver(f) {
			return false
		}
	}
	return true
}

// handOver waits until the writer takes f, or the client is dropped.
func (c *Client) handOver(f *frame) bool {
	select {
	case c.catchUp <- f:
		return true
	case <-c.done:
		return false
	}
}

// finish sends what arrived live during the backlog, in turn and with the same flow
// control, then `subscribed` with the latest seq, and goes live. The last step runs
// under the client's lock, so nothing slips between the pending frames and live ones.
func (c *Client) finish(channel string, since int64) {
	for {
		c.mu.Lock()
		s := c.subs[channel]
		if s == nil || c.closed {
			c.mu.Unlock()
			return
		}
		if len(s.pending) == 0 {
			c.enqueueLocked(encode(Message{Type: TypeSubscribed, Channel: channel, Seq: s.lastSeq, Since: since}))
			s.ready = true
			c.mu.Unlock()
			return
		}
		batch := s.pending
		s.pending = nil
		var out []*frame
		for _, f := range batch {
			if c.fresh(s, f) {
				out = append(out, f)
			}
		}
		c.mu.Unlock()
		for _, f := range out {
			if !c.handOver(f) {
				return
			}
		}
	}
}

func (c *Client) unsubscribe(channel string) bool {
	c.mu.Lock()
	_, ok := c.subs[channel]
	delete(c.subs, channel)
	c.mu.Unlock()
	if ok {
		c.hub.leave(c, channel)
	}
	return ok
}

func (c *Client) subscriptions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.subs)
}
