// Package realtime pushes what happens in the forum to browsers over websockets: a hub
// of channels (thread:<id>, board:<slug>, user:<id>, feed), per-connection send queues
// that never block the publisher, and a catch-up on subscribe that reads what a client
// missed from the database before going live, with no gap and no duplicate at the seam.
package realtime

import (
	"encoding/json"

	"jiayuan/app/fault"
)

// Message is one frame of the protocol, in either direction.
type Message struct {
	Type    string `json:"type"`
	Channel string `json:"channel,omitempty"`
	After   int64  `json:"after,omitempty"` // subscribe: the last seq the client has
	Seq     int64  `json:"seq,omitempty"`   // subscribed: the latest seq; post.*: the post's seq
	// Since is a moment (ms since 1970, the server's clock): subscribed carries it, and
	// a client resubscribing sends it back with After, to also get the posts at or
	// before After that changed since (held ones approved, edits, deletions).
	Since   int64           `json:"since,omitempty"`
	Post    json.RawMessage `json:"post,omitempty"`
	Thread  json.RawMessage `json:"thread,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"` // notification payload
	Code    string          `json:"code,omitempty"`
	Message string          `json:"message,omitempty"`
}

// Message types.
const (
	TypeSubscribe     = "subscribe"
	TypeUnsubscribe   = "unsubscribe"
	TypePing          = "ping"
	TypePong          = "pong"
	TypeSubscribed    = "subscribed"
	TypeUnsubscribed  = "unsubscribed"
	TypeError         = "error"
	TypePostCreated   = "post.created"
	TypePostUpdated   = "post.updated"
	TypePostDeleted   = "post.deleted"
	TypeThreadCreated = "thread.created"
	TypeThreadUpdated = "thread.updated"
	TypeNotification  = "notification"
	// TypeTooFarBehind: the client missed more than the catch-up sends; it reloads from
	// the API and subscribes again from there. Seq is the latest.
	TypeTooFarBehind = "too_far_behind"
)

// frame is an encoded message ready for any number of sockets: encoded once per event,
// not once per subscriber.
type frame struct {
	channel string
	typ     string
	seq     int64 // for post.created on thread channels: orders and dedupes at the seam
	data    []byte
	// Who may receive it, checked for each recipient as it is delivered: the board it
	// comes from (the thread's board as it is now), and for notifications the one user.
	board string
	user  int64
	// late: a post.created below seqs already sent (a held post approved); it passes
	// the seam's dedupe, and clients place it by its seq.
	late bool
}

// encode makes a frame. Sockets queue pointers to it: one encoding and one allocation
// per event, whatever the number of subscribers, and 8 bytes a queue slot.
func encode(m Message) *frame {
	b, _ := json.Marshal(m) // Message has no types json can fail on
	return &frame{channel: m.Channel, typ: m.Type, seq: m.Seq, data: b}
}

// errorFrame tells the client why, in the language its socket was opened in.
func (c *Client) errorFrame(channel, code, key string, args ...any) *frame {
	return encode(Message{Type: TypeError, Channel: channel, Code: code, Message: c.text(key, args...)})
}

func (c *Client) text(key string, args ...any) string {
	if c.say == nil {
		return (&fault.Error{Key: key, Args: args}).Error()
	}
	return c.say(key, args...)
}
