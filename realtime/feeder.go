package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"jiayuan/app/events"
	"jiayuan/app/fault"
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

	// The credential re-checks of AccessChanged read the database (up to seconds when
	// it is slow): they run beside the feeder, one goroutine per user at a time and at
	// most maxChecks at once, so live delivery never waits for them.
	checkMu  sync.Mutex
	checking map[int64]bool // users with a re-check running; true: run it again after
	slots    chan struct{}
}

// maxChecks bounds the credential re-checks running at once.
const maxChecks = 8

// NewFeeder returns a feeder; call Run to start it and subscribe Handle to the bus.
func NewFeeder(hub *Hub, backend Backend, log *slog.Logger) *Feeder {
	last, _ := lru.New[int64, int64](100_000)
	hub.guard(backend)
	return &Feeder{hub: hub, backend: backend, log: log, queue: make(chan events.Event, 65536), last: last,
		checking: map[int64]bool{}, slots: make(chan struct{}, maxChecks)}
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
	switch e.Type {
	case events.PostCreated:
		// Where the thread is now decides who hears of its posts, not where the event
		// says it was: a move may have come between.
		slug, err := f.backend.Where(ctx, thread)
		if err != nil {
			f.gone(thread, err)
			return
		}
		post, released, err := f.backend.Post(ctx, e.PostID)
		if err != nil {
			f.log.Error("realtime: load post", "post", e.PostID, "err", err)
			return
		}
		last, known := f.last.Get(e.ThreadID)
		// An approved post is late if later ones were published, or if this feeder has
		// published nothing of the thread yet (since a restart, say): it does not tell
		// where the thread is, so it is not remembered, or the next reply would "fill"
		// every post between the two onto every board page.
		if (known && e.Seq <= last) || (!known && released) {
			if !released {
				return // already published, with a gap fill
			}
			// Approved after later posts: every reader needs it, below seqs they have.
			fr := encode(Message{Type: TypePostCreated, Channel: thread, Seq: e.Seq, Post: post})
			fr.board, fr.late = slug, true
			f.hub.publish(fr)
			f.boardFrame(TypePostCreated, "board:"+slug, slug, e.Seq, post)
			return
		}
		if known && e.Seq > last+1 && !f.fill(ctx, thread, slug, e.ThreadID, last, e.Seq) {
			return
		}
		f.last.Add(e.ThreadID, e.Seq)
		fr := encode(Message{Type: TypePostCreated, Channel: thread, Seq: e.Seq, Post: post})
		fr.board, fr.late = slug, released
		f.hub.publish(fr)
		f.boardFrame(TypePostCreated, "board:"+slug, slug, e.Seq, post)
	case events.PostUpdated, events.PostDeleted, events.PostHeld:
		slug, err := f.backend.Where(ctx, thread)
		if err != nil {
			f.gone(thread, err)
			return
		}
		post, _, err := f.backend.Post(ctx, e.PostID)
		if err != nil {
			f.log.Error("realtime: load post", "post", e.PostID, "err", err)
			return
		}
		typ := e.Type
		if typ == events.PostHeld {
			typ = TypePostDeleted // an edit now waiting for review leaves the page until approved
		}
		fr := encode(Message{Type: typ, Channel: thread, Seq: e.Seq, Post: post})
		fr.board = slug
		f.hub.publish(fr)
	case events.ThreadUpdated:
		// A move publishes this twice (for each board); both re-check the thread's
		// readers against where it is now, before anyone hears of its new state.
		t, slug, err := f.backend.Thread(ctx, e.ThreadID)
		f.reauthorize(ctx, thread, 0)
		if err != nil {
			return // merged away: nothing left to show
		}
		fr := encode(Message{Type: TypeThreadUpdated, Channel: thread, Thread: t})
		fr.board = slug
		f.hub.publish(fr)
	case events.Notification:
		data, _ := json.Marshal(map[string]int64{"id": e.NotificationID, "thread_id": e.ThreadID, "post_id": e.PostID, "post_seq": e.Seq})
		fr := encode(Message{Type: TypeNotification, Channel: "user:" + strconv.FormatInt(e.UserID, 10), Data: data})
		fr.user = e.UserID
		if e.ThreadID != 0 {
			// A notification about a thread the user may no longer read is not pushed.
			if slug, err := f.backend.Where(ctx, thread); err == nil {
				fr.board = slug
			} else {
				return
			}
		}
		f.hub.publish(fr)
	case events.ThreadCreated:
		t, slug, err := f.backend.Thread(ctx, e.ThreadID)
		if err != nil {
			f.log.Error("realtime: load thread", "thread", e.ThreadID, "err", err)
			return
		}
		// The feed is every board's news, but each reader hears only of the boards they
		// may read.
		for _, ch := range []string{"board:" + slug, "feed"} {
			fr := encode(Message{Type: TypeThreadCreated, Channel: ch, Thread: t})
			fr.board = slug
			f.hub.publish(fr)
		}
	case events.PolicyChanged:
		// Roles changed (for UserID, or for anyone): every subscription they hold is
		// asked again. The policy was reloaded before the event reached this queue.
		for _, ch := range f.hub.channelNames(e.UserID) {
			f.reauthorize(ctx, ch, e.UserID)
		}
	case events.BoardUpdated:
		for _, ch := range f.hub.channelNames(0) {
			f.reauthorize(ctx, ch, 0)
		}
	case events.AccessChanged:
		// Signed out, banned, a session or token ended: each of the user's sockets
		// checks the credential it was opened with, and closes if it no longer holds.
		f.recheck(ctx, e.UserID)
	}
}

// recheck runs the re-check of a user's sockets on a goroutine of its own. If one is
// already running for the user, it is run once more when it ends: it may have read the
// credential before the change that this event reports.
func (f *Feeder) recheck(ctx context.Context, userID int64) {
	f.checkMu.Lock()
	defer f.checkMu.Unlock()
	if _, running := f.checking[userID]; running {
		f.checking[userID] = true
		return
	}
	f.checking[userID] = false
	go func() {
		for {
			f.slots <- struct{}{}
			for _, c := range f.hub.clientsOf(userID) {
				if c.check == nil || ctx.Err() != nil {
					continue
				}
				if reason := c.check(); reason != "" {
					c.drop(reason)
				}
			}
			<-f.slots
			f.checkMu.Lock()
			again := f.checking[userID]
			if !again {
				delete(f.checking, userID)
			} else {
				f.checking[userID] = false
			}
			f.checkMu.Unlock()
			if !again {
				return
			}
		}
	}()
}

// gone logs a failed look-up of where a thread is, unless the thread is simply gone
// (merged away): then there is nothing left to show.
func (f *Feeder) gone(channel string, err error) {
	var fe *fault.Error
	if !errors.As(err, &fe) {
		f.log.Error("realtime: where is the thread", "channel", channel, "err", err)
	}
}

// boardFrame publishes a frame on a board channel.
func (f *Feeder) boardFrame(typ, channel, slug string, seq int64, post json.RawMessage) {
	fr := encode(Message{Type: typ, Channel: channel, Seq: seq, Post: post})
	fr.board = slug
	f.hub.publish(fr)
}

// reauthorize asks again whether the subscribers of channel (userID's only, if set)
// may still listen there, and ends the subscriptions that may not.
func (f *Feeder) reauthorize(ctx context.Context, channel string, userID int64) {
	if f.hub.Subscribers(channel) == 0 {
		return
	}
	board, err := f.backend.Where(ctx, channel)
	var fe *fault.Error
	if err != nil && !errors.As(err, &fe) {
		f.log.Error("realtime: re-check subscription", "channel", channel, "err", err)
		return // the database did not answer: keep the subscription, frames are still checked
	}
	f.hub.reauthorize(channel, board, err, userID)
}

// fill publishes the posts with last < seq < upTo from the database.
func (f *Feeder) fill(ctx context.Context, channel, slug string, threadID, last, upTo int64) bool {
	posts, seqs, err := f.backend.PostsAfter(ctx, threadID, last, int(upTo-last-1))
	if err != nil {
		f.log.Error("realtime: fill gap", "thread", threadID, "err", err)
		return false
	}
	for i, p := range posts {
		if seqs[i] >= upTo {
			break
		}
		fr := encode(Message{Type: TypePostCreated, Channel: channel, Seq: seqs[i], Post: p})
		fr.board = slug
		f.hub.publish(fr)
		f.boardFrame(TypePostCreated, "board:"+slug, slug, seqs[i], p)
		f.last.Add(threadID, seqs[i])
	}
	return true
}

// Pending is how many events are queued for the feeder: at shutdown the node waits
// for it to reach 0 before stopping the feeder.
func (f *Feeder) Pending() int { return len(f.queue) }
