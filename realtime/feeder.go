package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"

	lru "github.com/hashicorp/golang-lru/v2"

	"jiayuan/app/events"
)

// Feeder turns the forum's events into frames on the hub's channels. It follows the
// event bus through a queue, so a write never waits for sockets, and one worker keeps
// each thread's posts in seq order: if an event arrives ahead of one still missing, the
// missing posts are read from the database first.
type Feeder struct {
	hub     *Hub
	backend Backend
	log     *slog.Logger
	queue   chan events.Event
	last    *lru.Cache[int64, int64] // thread id → last seq published
}

// NewFeeder returns a feeder; call Run to start it and subscribe Handle to the bus.
func NewFeeder(hub *Hub, backend Backend, log *slog.Logger) *Feeder {
	last, _ := lru.New[int64, int64](100_000)
	return &Feeder{hub: hub, backend: backend, log: log, queue: make(chan events.Event, 65536), last: last}
}

// Handle takes an event from the bus without blocking. If the queue is full the event
// is dropped: thread subscribers get the post with the next event of that thread (the
// gap is filled from the database), and everyone else on reconnect.
func (f *Feeder) Handle(e events.Event) {
	select {
	case f.queue <- e:
	default:
		f.log.Warn("realtime queue full; event dropped", "type", e.Type, "thread", e.ThreadID)
	}
}

// Run publishes queued events until ctx ends.
func (f *Feeder) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-f.queue:
			f.publish(ctx, e)
		}
	}
}

func (f *Feeder) publish(ctx context.Context, e events.Event) {
	thread := "thread:" + strconv.FormatInt(e.ThreadID, 10)
	board := "board:" + e.BoardSlug
	switch e.Type {
	case events.PostCreated:
		if last, ok := f.last.Get(e.ThreadID); ok {
			if e.Seq <= last {
				return // already published, with a gap fill
			}
			if e.Seq > last+1 && !f.fill(ctx, thread, e.ThreadID, last, e.Seq) {
				return
			}
		}
		post, err := f.backend.Post(ctx, e.PostID)
		if err != nil {
			f.log.Error("realtime: load post", "post", e.PostID, "err", err)
			return
		}
		f.last.Add(e.ThreadID, e.Seq)
		f.hub.publish(encode(Message{Type: TypePostCreated, Channel: thread, Seq: e.Seq, Post: post}))
		f.hub.publish(encode(Message{Type: TypePostCreated, Channel: board, Seq: e.Seq, Post: post}))
	case events.PostUpdated, events.PostDeleted, events.PostHeld:
		post, err := f.backend.Post(ctx, e.PostID)
		if err != nil {
			f.log.Error("realtime: load post", "post", e.PostID, "err", err)
			return
		}
		typ := e.Type
		if typ == events.PostHeld {
			typ = TypePostDeleted // an edit now waiting for review leaves the page until approved
		}
		f.hub.publish(encode(Message{Type: typ, Channel: thread, Seq: e.Seq, Post: post}))
	case events.ThreadUpdated:
		t, err := f.backend.Thread(ctx, e.ThreadID)
		if err != nil {
			return // merged away: nothing left to show
		}
		f.hub.publish(encode(Message{Type: TypeThreadUpdated, Channel: thread, Thread: t}))
	case events.Notification:
		data, _ := json.Marshal(map[string]int64{"id": e.NotificationID, "thread_id": e.ThreadID, "post_id": e.PostID, "post_seq": e.Seq})
		f.hub.publish(encode(Message{Type: TypeNotification, Channel: "user:" + strconv.FormatInt(e.UserID, 10), Data: data}))
	case events.ThreadCreated:
		t, err := f.backend.Thread(ctx, e.ThreadID)
		if err != nil {
			f.log.Error("realtime: load thread", "thread", e.ThreadID, "err", err)
			return
		}
		for _, ch := range []string{board, "feed"} {
			f.hub.publish(encode(Message{Type: TypeThreadCreated, Channel: ch, Thread: t}))
		}
	}
}

// fill publishes the posts with last < seq < upTo from the database.
func (f *Feeder) fill(ctx context.Context, channel string, threadID, last, upTo int64) bool {
	posts, seqs, err := f.backend.PostsAfter(ctx, threadID, last, int(upTo-last-1))
	if err != nil {
		f.log.Error("realtime: fill gap", "thread", threadID, "err", err)
		return false
	}
	for i, p := range posts {
		if seqs[i] >= upTo {
			break
		}
		f.hub.publish(encode(Message{Type: TypePostCreated, Channel: channel, Seq: seqs[i], Post: p}))
		f.last.Add(threadID, seqs[i])
	}
	return true
}
