// Package events is the in-process event bus: services publish after a write has
// committed, and subscribers (search, realtime, caches) follow.
package events

import (
	"log/slog"
	"sync"
)

// Event types published by the forum.
const (
	ThreadCreated = "thread.created"
	PostCreated   = "post.created"
	PostUpdated   = "post.updated"
	PostDeleted   = "post.deleted"
	Notification  = "notification"
	// PostHeld: a post waits for review; only moderators' queues follow it.
	PostHeld = "post.held"
	// ThreadUpdated: pinned, locked, renamed, moved, merged or split. BoardSlug is the
	// board it is in now; a move publishes one for the board it left too.
	ThreadUpdated = "thread.updated"
	// BoardUpdated: a board was created or changed (BoardSlug).
	BoardUpdated = "board.updated"
	// PolicyChanged: a role was granted or revoked; every node reloads its policy.
	PolicyChanged = "policy.changed"
	// WordsChanged: the sensitive-word list changed; every node reloads it.
	WordsChanged = "words.changed"
	// AccessChanged: what a user may reach changed in a way policy reloads do not show
	// (signed out, banned, a session or token ended, a password reset). UserID is the
	// user; their open sockets re-check their credential and close if it is gone.
	AccessChanged = "access.changed"
)

// Event is the minimal payload of a change: ids, not documents. Subscribers read what
// they need from the store, which is the truth.
type Event struct {
	Type      string `json:"type"`
	BoardSlug string `json:"board,omitempty"`
	ThreadID  int64  `json:"thread_id,omitempty"`
	PostID    int64  `json:"post_id,omitempty"`
	Seq       int64  `json:"seq,omitempty"`
	UserID    int64  `json:"user_id,omitempty"`
	// NotificationID is set on notification events; UserID is then the recipient.
	NotificationID int64 `json:"notification_id,omitempty"`
	// Origin names the node an event came from over the cross-node bridge; empty for
	// events of this node.
	Origin string `json:"origin,omitempty"`
	// Local: for this node's followers only, never relayed to other nodes, because each
	// of them sees the same change by itself (a role written to the shared database by
	// the command line, which every node's FollowStore notices).
	Local bool `json:"-"`
}

// Handler receives events. It must not block for long: it runs on the publisher's
// goroutine, so slow work belongs on the subscriber's own queue.
type Handler func(Event)

// Bus fans events out to subscribers synchronously, in publish order.
type Bus struct {
	log  *slog.Logger
	mu   sync.RWMutex
	subs []Handler
}

// NewBus returns an empty bus.
func NewBus(log *slog.Logger) *Bus { return &Bus{log: log} }

// Subscribe adds h; it sees every event published from now on.
func (b *Bus) Subscribe(h Handler) {
	b.mu.Lock()
	b.subs = append(b.subs, h)
	b.mu.Unlock()
}

// Publish delivers e to every subscriber. A panicking subscriber is logged and skipped,
// because the write that caused the event has already succeeded.
func (b *Bus) Publish(e Event) {
	b.mu.RLock()
	subs := b.subs
	b.mu.RUnlock()
	for _, h := range subs {
		b.call(h, e)
	}
}

func (b *Bus) call(h Handler, e Event) {
	defer func() {
		if r := recover(); r != nil && b.log != nil {
			b.log.Error("event subscriber panicked", "type", e.Type, "panic", r)
		}
	}()
	h(e)
}
