package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"

	"jiayuan/app/fault"
)

// Limits of one socket.
const (
	MaxFrameBytes    = 64 * 1024 // larger client frames close the socket (1009)
	MaxSubscriptions = 50
	queueSize        = 128
	backlogBatch     = 200
	maxBacklog       = 2000 // further behind than this, reload the page
	maxChanges       = 1000 // changes of its thread read for a returning socket's `since`
	writeWait        = 10 * time.Second
	pongWait         = 60 * time.Second
	pingEvery        = 25 * time.Second
	// A socket may send rateBurst messages at once and rateRefill a second after that;
	// a socket that keeps flooding past floodLimit refusals is closed.
	rateBurst  = 60
	rateRefill = 20
	floodLimit = 100
)

// Backend is what the realtime server asks of the rest of Jiayuan.
type Backend interface {
	// Authorize returns nil if the user (0 for a guest) may read channel, or a
	// *fault.Error saying why not. For a thread channel it also returns the thread's
	// latest seq, where a subscription without `after` starts.
	Authorize(ctx context.Context, userID int64, channel string) (latestSeq int64, err error)
	// Access answers, from memory, for each recipient of each message.
	Access
	// Where returns the board a channel's messages come from now: the thread's board
	// for thread:<id> (a *fault.Error if the thread is gone), the slug for board:<slug>,
	// "" for user and feed channels.
	Where(ctx context.Context, channel string) (board string, err error)
	// PostsAfter returns up to limit posts of a thread with seq > after, encoded as the
	// API encodes them, with their seqs. It checks no permission: Authorize did.
	PostsAfter(ctx context.Context, threadID, after int64, limit int) (posts []json.RawMessage, seqs []int64, err error)
	// ChangedSince returns, in seq order, the posts of a thread with seq <= upTo that
	// changed after since: approved after being held (typ post.created), edited
	// (post.updated) or deleted (post.deleted). It reads at most limit changes of that
	// thread, and says full when there were more (the client then reloads).
	ChangedSince(ctx context.Context, threadID, upTo int64, since time.Time, limit int) (changes []Change, full bool, err error)
	// Post returns one post encoded as the API encodes it. released reports a post
	// that became visible after it was written (held, then approved): readers already
	// past its seq still need it.
	Post(ctx context.Context, id int64) (post json.RawMessage, released bool, err error)
	// Thread returns one thread encoded as the API encodes it, and its board's slug.
	Thread(ctx context.Context, id int64) (thread json.RawMessage, board string, err error)
}

// Change is one post a returning client may have seen in another state.
type Change struct {
	Type string // TypePostCreated, TypePostUpdated or TypePostDeleted
	Seq  int64
	Post json.RawMessage
}

// Identity is who opened a socket, as the handshake resolved it.
type Identity struct {
	UserID int64  // 0 for a guest
	Addr   string // the client's address, for the per-address cap; "" counts nowhere
	// Check re-reads the credential the socket was opened with (its session or token)
	// when the user's access changes: "" while it still holds, else why not ("signed
	// out", "banned"), and the socket closes with that reason.
	Check func() string
	// Expires is when the credential lapses by itself (a session's end); zero: never.
	Expires time.Time
	// Caps on sockets per user and per address; 0 for none.
	MaxPerUser, MaxPerAddr int
	// Say puts a message key and its name, value arguments into the language the
	// socket was opened in; nil gives the key and arguments as they are.
	Say func(key string, args ...any) string
}

// Server accepts websocket connections and runs the protocol.
type Server struct {
	hub     *Hub
	backend Backend
	log     *slog.Logger
	conns   sync.WaitGroup // sockets being served, for CloseAll
}

// NewServer returns a realtime server over hub.
func NewServer(hub *Hub, backend Backend, log *slog.Logger) *Server {
	hub.guard(backend)
	return &Server{hub: hub, backend: backend, log: log}
}

// Admits reports whether a socket of this user from this address is within the caps,
// so the handshake can be refused with a clear answer. Serve counts again, atomically.
func (s *Server) Admits(id Identity) bool {
	return s.hub.Admits(id.UserID, id.Addr, id.MaxPerUser, id.MaxPerAddr)
}

// Conn is the part of a websocket connection the server uses.
type Conn interface {
	ReadMessage() (int, []byte, error)
	WriteMessage(int, []byte) error
	WriteControl(int, []byte, time.Time) error
	SetReadLimit(int64)
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
	SetPongHandler(func(string) error)
	Close() error
}

// CloseAll closes every socket as the server stops, saying so (1001 going away), and
// waits up to grace for their goroutines to end, so none is still inside a database
// call (a subscription's catch-up) when the store closes. Web shutdown does not do it:
// a websocket has left the HTTP server's hands at the handshake.
func (s *Server) CloseAll(grace time.Duration) {
	for _, c := range s.hub.all() {
		c.drop(reasonStopping)
	}
	done := make(chan struct{})
	go func() { s.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.log.Warn("websockets still open after shutdown grace")
	}
}

// Serve runs one connection of a user (0 for a guest), without caps or re-checks.
func (s *Server) Serve(conn Conn, userID int64) { s.ServeAs(conn, Identity{UserID: userID}) }

// ServeAs runs one connection until it closes: a reader and a writer goroutine sharing
// the client's done channel, so either ending ends both.
func (s *Server) ServeAs(conn Conn, id Identity) {
	s.conns.Add(1)
	defer s.conns.Done()
	c := newClient(s.hub, id, queueSize)
	if err := s.hub.add(c, id.MaxPerUser, id.MaxPerAddr); err != nil {
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, reasonTooMany), time.Now().Add(time.Second))
		_ = conn.Close()
		return
	}
	defer s.hub.remove(c)
	if !id.Expires.IsZero() {
		t := time.AfterFunc(time.Until(id.Expires), func() { c.drop(reasonExpired) })
		defer t.Stop()
	}
	conn.SetReadLimit(MaxFrameBytes)
	_ = conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.write(conn, c)
	}()
	s.read(conn, c)
	c.drop("") // the reader ended: stop the writer
	<-writerDone
	_ = conn.Close()
}

// Close reasons a page can act on.
const (
	reasonTooMany = "too many connections"
	// reasonStopping: the server is shutting down; the page reconnects (to another node,
	// or to this one once it is back) and catches up with `after`.
	reasonStopping = "server stopping"
	reasonExpired  = "session expired"
)

// write sends queued frames and pings until the client is dropped or a write fails
// (a write deadline bounds a stuck peer). On the way out it says why, if there is a
// reason, and closes the connection, which also ends the reader.
func (s *Server) write(conn Conn, c *Client) {
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	defer func() {
		c.drop("")
		c.mu.Lock()
		reason := c.reason
		c.mu.Unlock()
		if reason != "" && reason != "slow consumer" {
			// Say what was already queued (the refusals before a flood close, say).
			flush(conn, c.send)
		}
		if reason != "" {
			code := websocket.ClosePolicyViolation
			switch reason {
			case "slow consumer", "too far behind":
				code = websocket.CloseTryAgainLater
			case reasonStopping:
				code = websocket.CloseGoingAway
			}
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		}
		_ = conn.Close()
	}()
	for {
		select {
		case f := <-c.send:
			_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WriteMessage(websocket.TextMessage, f.data); err != nil {
				return
			}
		case f := <-c.catchUp:
			_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WriteMessage(websocket.TextMessage, f.data); err != nil {
				return
			}
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				return
			}
		case <-c.done:
			return
		}
	}
}

// flush writes what is queued without waiting for more.
func flush(conn Conn, send chan *frame) {
	for {
		select {
		case f := <-send:
			_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
			if conn.WriteMessage(websocket.TextMessage, f.data) != nil {
				return
			}
		default:
			return
		}
	}
}

// clientMessage is what clients send. After is a pointer: absent means "from now on",
// 0 means "everything".
type clientMessage struct {
	Type    string `json:"type"`
	Channel string `json:"channel"`
	After   *int64 `json:"after"`
	Since   int64  `json:"since"`
}

func (s *Server) read(conn Conn, c *Client) {
	tokens, refused := float64(rateBurst), 0
	last := time.Now()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.drop("frame larger than 64 KiB")
			}
			return
		}
		_ = conn.SetReadDeadline(time.Now().Add(pongWait))
		now := time.Now()
		tokens = min(rateBurst, tokens+now.Sub(last).Seconds()*rateRefill)
		last = now
		if tokens < 1 {
			if refused++; refused > floodLimit {
				c.drop("too many messages")
				return
			}
			// Said once in a while, not for every message: the answers to a flood must
			// not fill the flooder's own queue.
			if refused%20 == 1 {
				c.reply(c.errorFrame("", "rate_limited", "err_ws_too_many_messages"))
			}
			continue
		}
		tokens--
		var m clientMessage
		if err := json.Unmarshal(data, &m); err != nil {
			c.reply(c.errorFrame("", "bad_message", "err_ws_bad_message"))
			continue
		}
		switch m.Type {
		case TypePing:
			// A pong carries a fresh `since`: everything before it has reached this
			// socket, so a page that pings now and then resumes from a recent moment.
			c.reply(encode(Message{Type: TypePong, Since: time.Now().Add(-clockMargin).UnixMilli()}))
		case TypeSubscribe:
			// The database reads of a subscription run deep (SQLite is Go code here):
			// on a goroutine of their own, that stack is freed when they finish instead
			// of staying with the socket's reader for its whole life.
			done := make(chan struct{})
			go func() { defer close(done); s.subscribe(c, m) }()
			<-done
		case TypeUnsubscribe:
			if c.unsubscribe(m.Channel) {
				c.reply(encode(Message{Type: TypeUnsubscribed, Channel: m.Channel}))
			} else {
				c.reply(c.errorFrame(m.Channel, "not_subscribed", "err_ws_not_subscribed"))
			}
		default:
			c.reply(c.errorFrame("", "unknown_type", "err_ws_unknown_type"))
		}
	}
}

func (s *Server) subscribe(c *Client, m clientMessage) {
	ch := m.Channel
	if c.subscriptions() >= MaxSubscriptions {
		c.reply(c.errorFrame(ch, "too_many_subscriptions", "err_ws_too_many_subscriptions"))
		return
	}
	if _, dup := c.channels()[ch]; dup {
		c.reply(c.errorFrame(ch, "already_subscribed", "err_ws_already_subscribed"))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The stamp the client sends back next time: taken before anything is read, and
	// early by a margin for the clocks of other nodes, so no change falls between.
	since := time.Now().Add(-clockMargin)
	latest, err := s.backend.Authorize(ctx, c.userID, ch)
	if err != nil {
		s.refuse(c, ch, err)
		return
	}
	threadID, isThread := ThreadOf(ch)
	if !isThread {
		c.begin(ch, false, 0)
		c.finish(ch, since.UnixMilli())
		return
	}
	after := latest
	if m.After != nil {
		after = *m.After
	}
	if after < 0 || after > latest {
		after = min(max(after, 0), latest)
	}
	if latest-after > maxBacklog {
		c.reply(encode(Message{Type: TypeTooFarBehind, Channel: ch, Seq: latest,
			Message: c.text("err_ws_too_many_missed_posts")}))
		return
	}
	// Join first, then read the backlog: a post committed after the join arrives live
	// (and waits in pending), one committed before it is in the backlog, and lastSeq
	// drops whatever is in both.
	c.begin(ch, true, after)
	if m.Since > 0 && m.After != nil && after > 0 {
		changes, full, err := s.backend.ChangedSince(ctx, threadID, after, time.UnixMilli(m.Since), maxChanges)
		if err == nil && full {
			c.unsubscribe(ch)
			c.reply(encode(Message{Type: TypeTooFarBehind, Channel: ch, Seq: latest,
				Message: c.text("err_ws_too_many_missed_changes")}))
			return
		}
		if err != nil {
			s.fail(c, ch, err)
			return
		}
		frames := make([]*frame, len(changes))
		for i, x := range changes {
			frames[i] = encode(Message{Type: x.Type, Channel: ch, Seq: x.Seq, Post: x.Post})
			frames[i].late = true
		}
		if !c.backlog(ch, frames) {
			return
		}
	}
	for {
		posts, seqs, err := s.backend.PostsAfter(ctx, threadID, after, backlogBatch)
		if err != nil {
			s.fail(c, ch, err)
			return
		}
		frames := make([]*frame, len(posts))
		for i, p := range posts {
			frames[i] = encode(Message{Type: TypePostCreated, Channel: ch, Seq: seqs[i], Post: p})
		}
		if !c.backlog(ch, frames) {
			return
		}
		if len(posts) < backlogBatch {
			break
		}
		after = seqs[len(seqs)-1]
	}
	c.finish(ch, since.UnixMilli())
}

// clockMargin is how much earlier than now a `since` stamp is set.
const clockMargin = 5 * time.Second

func (s *Server) refuse(c *Client, ch string, err error) {
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Kind != fault.KindInternal {
		c.reply(c.errorFrame(ch, fe.Code, fe.Key, fe.Args...))
		return
	}
	s.log.Error("authorize subscription", "channel", ch, "err", err)
	c.reply(c.errorFrame(ch, "internal", "err_ws_internal"))
}

func (s *Server) fail(c *Client, ch string, err error) {
	s.log.Error("backlog", "channel", ch, "err", err)
	c.unsubscribe(ch)
	c.reply(c.errorFrame(ch, "internal", "err_ws_internal"))
}

// ThreadOf parses "thread:<id>".
func ThreadOf(channel string) (int64, bool) {
	rest, ok := strings.CutPrefix(channel, "thread:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}
