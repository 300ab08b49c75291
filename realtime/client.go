package realtime

import (
	"sync"
)

// Client is one websocket connection and its subscriptions.
type Client struct {
	hub    *Hub
	userID int64
	send   chan *frame
	done   chan struct{} // closed when the client is dropped

	mu     sync.Mutex
	subs   map[string]*subscription
	closed bool
	reason string
}

// subscription is one channel of a client. Until ready, live frames wait in pending
// while the backlog is read from the database; lastSeq then drops what both delivered.
type subscription struct {
	ready   bool
	ordered bool // thread channels: post.created frames carry a seq
	lastSeq int64
	pending []*frame
}

// maxPending bounds what a subscription buffers while its backlog is read.
const maxPending = 1024

func newClient(h *Hub, userID int64, queue int) *Client {
	return &Client{hub: h, userID: userID, send: make(chan *frame, queue), done: make(chan struct{}), subs: map[string]*subscription{}}
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

// deliver is called by the hub for every frame on a channel the client joined.
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
	c.emitLocked(s, f)
}

// emitLocked queues f unless it is a post the client already has.
func (c *Client) emitLocked(s *subscription, f *frame) {
	if s.ordered && f.typ == TypePostCreated {
		if f.seq <= s.lastSeq {
			return
		}
		s.lastSeq = f.seq
	}
	c.enqueueLocked(f)
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

// begin registers a subscription that buffers live frames until finish.
func (c *Client) begin(channel string, ordered bool, lastSeq int64) {
	c.mu.Lock()
	c.subs[channel] = &subscription{ordered: ordered, lastSeq: lastSeq}
	c.mu.Unlock()
	c.hub.join(c, channel)
}

// backlog queues frames read from the database, in seq order.
func (c *Client) backlog(channel string, frames []*frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.subs[channel]; s != nil {
		for _, f := range frames {
			c.emitLocked(s, f)
		}
	}
}

// finish sends `subscribed` with the latest seq, then whatever arrived meanwhile, and
// goes live. All under the client's lock, so nothing slips between the three.
func (c *Client) finish(channel string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.subs[channel]
	if s == nil {
		return
	}
	c.enqueueLocked(encode(Message{Type: TypeSubscribed, Channel: channel, Seq: s.lastSeq}))
	for _, f := range s.pending {
		c.emitLocked(s, f)
	}
	s.pending, s.ready = nil, true
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
