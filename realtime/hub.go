package realtime

import (
	"sync"
)

// Hub knows which clients listen on which channel. Publishing walks a channel's clients
// and hands each the same encoded frame; a client whose queue is full is dropped rather
// than waited for, so one slow reader never delays the others or the publisher.
type Hub struct {
	mu       sync.RWMutex
	channels map[string]map[*Client]struct{}
	clients  map[*Client]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{channels: map[string]map[*Client]struct{}{}, clients: map[*Client]struct{}{}}
}

func (h *Hub) add(c *Client) {
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
}

// remove forgets a client and all its subscriptions.
func (h *Hub) remove(c *Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
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

// publish delivers f to every client on its channel.
func (h *Hub) publish(f *frame) {
	h.mu.RLock()
	set := h.channels[f.channel]
	targets := make([]*Client, 0, len(set))
	for c := range set {
		targets = append(targets, c)
	}
	h.mu.RUnlock()
	// Delivered outside the hub lock: a client being dropped takes the lock to leave.
	for _, c := range targets {
		c.deliver(f)
	}
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
