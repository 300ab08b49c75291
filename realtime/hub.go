package realtime

import (
	"errors"
	"strings"
	"sync"

	"jiayuan/app/fault"
)

// Hub knows which clients listen on which channel. Publishing walks a channel's clients
// and hands each the same encoded frame; a client whose queue is full is dropped rather
// than waited for, so one slow reader never delays the others or the publisher.
//
// Every frame is checked for every recipient as it is delivered (the board it comes
// from, the user it is for), not only when the channel was joined: a move, a board
// tightened or a role revoked changes what an open socket receives at once.
type Hub struct {
	mu       sync.RWMutex
	channels map[string]map[*Client]struct{}
	clients  map[*Client]struct{}
	byUser   map[int64]map[*Client]struct{} // signed-in sockets by user (AccessChanged, caps)
	byAddr   map[string]int                 // sockets by client address (caps)
	access   Access
}

// Access is the cheap per-recipient question the hub asks: may userID receive, on
// channel, a message from board ("" when it comes from no board)? nil or a *fault.Error.
// It must answer from memory (cached policy and boards): it is asked once per recipient
// per message.
type Access interface {
	Visible(userID int64, channel, board string) error
}

// errTooManySockets refuses a socket past a cap.
var errTooManySockets = errors.New("too many connections")

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{channels: map[string]map[*Client]struct{}{}, clients: map[*Client]struct{}{},
		byUser: map[int64]map[*Client]struct{}{}, byAddr: map[string]int{}}
}

// guard sets what the hub asks for each recipient; the server and the feeder both set
// the same backend.
func (h *Hub) guard(a Access) {
	h.mu.Lock()
	h.access = a
	h.mu.Unlock()
}

// add registers a client unless its user or its address already has as many sockets as
// allowed (0: no cap). Checked and counted under one lock, so concurrent handshakes
// cannot slip past a cap together.
func (h *Hub) add(c *Client, perUser, perAddr int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.userID != 0 && perUser > 0 && len(h.byUser[c.userID]) >= perUser {
		return errTooManySockets
	}
	if c.addr != "" && perAddr > 0 && h.byAddr[c.addr] >= perAddr {
		return errTooManySockets
	}
	h.clients[c] = struct{}{}
	if c.userID != 0 {
		set := h.byUser[c.userID]
		if set == nil {
			set = map[*Client]struct{}{}
			h.byUser[c.userID] = set
		}
		set[c] = struct{}{}
	}
	if c.addr != "" {
		h.byAddr[c.addr]++
	}
	return nil
}

// Admits reports whether one more socket of this user and address would be allowed.
func (h *Hub) Admits(userID int64, addr string, perUser, perAddr int) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return (userID == 0 || perUser <= 0 || len(h.byUser[userID]) < perUser) &&
		(addr == "" || perAddr <= 0 || h.byAddr[addr] < perAddr)
}

// remove forgets a client and all its subscriptions.
func (h *Hub) remove(c *Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	if set := h.byUser[c.userID]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.byUser, c.userID)
		}
	}
	if c.addr != "" {
		if h.byAddr[c.addr]--; h.byAddr[c.addr] <= 0 {
			delete(h.byAddr, c.addr)
		}
	}
	for ch := range c.channels() {
		if set := h.channels[ch]; set != nil {
			delete(set, c)
			if len(set) == 0 {
				delete(h.channels, ch)
			}
		}
	}
}

func (h *Hub) join(c *Client, channel string) {
	h.mu.Lock()
	set := h.channels[channel]
	if set == nil {
		set = map[*Client]struct{}{}
		h.channels[channel] = set
	}
	set[c] = struct{}{}
	h.mu.Unlock()
}

func (h *Hub) leave(c *Client, channel string) {
	h.mu.Lock()
	if set := h.channels[channel]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.channels, channel)
		}
	}
	h.mu.Unlock()
}

func (h *Hub) subscribers(channel string) []*Client {
	h.mu.RLock()
	defer h.mu.RUnlock()
	set := h.channels[channel]
	out := make([]*Client, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	return out
}

// publish delivers f to every client on its channel that may receive it. A recipient
// who may no longer read a thread or board channel loses that subscription, with an
// error saying why; on feed and user channels a message they may not see is skipped.
// The answer is asked once per user per frame: several tabs of one person, or the
// guests, share it.
func (h *Hub) publish(f *frame) {
	targets := h.subscribers(f.channel)
	h.mu.RLock()
	access := h.access
	h.mu.RUnlock()
	var seen map[int64]error
	// Delivered outside the hub lock: a client being dropped takes the lock to leave.
	for _, c := range targets {
		if f.user != 0 && c.userID != f.user {
			continue
		}
		var err error
		if access != nil && (f.board != "" || f.user != 0) {
			var ok bool
			if err, ok = seen[c.userID]; !ok {
				err = access.Visible(c.userID, f.channel, f.board)
				if seen == nil {
					seen = make(map[int64]error, 4)
				}
				seen[c.userID] = err
			}
		}
		switch {
		case err == nil:
			c.deliver(f)
		case endsOnDenial(f.channel):
			c.end(f.channel, err)
		}
	}
}

// endsOnDenial: on thread and board channels every message comes from one board, so a
// refusal means the subscription itself is no longer allowed.
func endsOnDenial(channel string) bool {
	return strings.HasPrefix(channel, "thread:") || strings.HasPrefix(channel, "board:")
}

// reauthorize asks again, for every subscriber of channel (only userID's when it is not
// 0), whether they may still listen, and ends the subscriptions no longer allowed.
// board is where the channel's messages come from now; where is the error that applies
// to everyone (the thread is gone), if any.
func (h *Hub) reauthorize(channel, board string, where error, userID int64) {
	h.mu.RLock()
	access := h.access
	h.mu.RUnlock()
	seen := map[int64]error{}
	for _, c := range h.subscribers(channel) {
		if userID != 0 && c.userID != userID {
			continue
		}
		err := where
		if err == nil && access != nil {
			var ok bool
			if err, ok = seen[c.userID]; !ok {
				err = access.Visible(c.userID, channel, board)
				seen[c.userID] = err
			}
		}
		if err != nil {
			c.end(channel, err)
		}
	}
}

// channelNames lists the channels someone listens on; with userID, that user's only.
func (h *Hub) channelNames(userID int64) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if userID == 0 {
		out := make([]string, 0, len(h.channels))
		for ch := range h.channels {
			out = append(out, ch)
		}
		return out
	}
	seen := map[string]bool{}
	var out []string
	for c := range h.byUser[userID] {
		for ch := range c.channels() {
			if !seen[ch] {
				seen[ch] = true
				out = append(out, ch)
			}
		}
	}
	return out
}

// clientsOf lists a user's sockets.
func (h *Hub) clientsOf(userID int64) []*Client {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*Client, 0, len(h.byUser[userID]))
	for c := range h.byUser[userID] {
		out = append(out, c)
	}
	return out
}

// denial turns an access error into the error frame that ends a subscription.
func (c *Client) denial(channel string, err error) *frame {
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Kind != fault.KindInternal {
		return c.errorFrame(channel, fe.Code, fe.Key, fe.Args...)
	}
	return c.errorFrame(channel, "forbidden", "err_ws_no_longer_listen")
}

// all returns every connected client.
func (h *Hub) all() []*Client {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*Client, 0, len(h.clients))
	for c := range h.clients {
		out = append(out, c)
	}
	return out
}

// Clients is the number of connected sockets.
func (h *Hub) Clients() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.clients)
}

// Subscribers is the number of sockets on a channel.
func (h *Hub) Subscribers(channel string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.channels[channel])
}
