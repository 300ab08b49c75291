// Package notify tells people when someone answers their post or mentions them. The
// posts table is its outbox: a reply is stored and acknowledged first, and a worker
// reads the posts after its checkpoint (kept in the database) and writes their
// notifications, so they never slow a reply down and are never lost to a full queue, a
// crash or a shutdown: the worker resumes from the checkpoint.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/events"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/records"
)

// Kinds of notification.
const (
	KindReply   = "reply"
	KindMention = "mention"
	// KindThreadReply tells a thread's author of a reply anywhere in it, not only to
	// their own post.
	KindThreadReply = "thread_reply"
	// Outcomes of a held post, for its author.
	KindApproved = "post_approved"
	KindDeclined = "post_declined"
	// Outcomes of a report, for the reporter.
	KindReportHidden    = "report_hidden"
	KindReportDismissed = "report_dismissed"
	KindReportSilenced  = "report_silenced"
)

// Notification is one thing a user should know about.
type Notification struct {
	ID        int64
	UserID    int64
	Kind      string
	ActorID   int64
	ThreadID  int64
	PostID    int64
	PostSeq   int64
	CreatedAt time.Time
	Read      bool
}

// Store keeps notifications and the worker's place in the posts.
type Store interface {
	// CreateNotification stores n and sets its id. One of the same user, post and kind
	// already stored is fault.ErrConflict and writes nothing.
	CreateNotification(ctx context.Context, n *Notification) error
	// ListNotifications returns a user's notifications with id < before (0: from the
	// newest), newest first.
	ListNotifications(ctx context.Context, userID, before int64, limit int) ([]*Notification, error)
	CountUnread(ctx context.Context, userID int64) (int64, error)
	// MarkRead marks the given notifications of the user read, or all when ids is empty.
	MarkRead(ctx context.Context, userID int64, ids []int64) error

	// NotifyCheckpoint returns the id of the last post whose notifications are all
	// stored. A store sets it at its newest post when it first opens with it.
	NotifyCheckpoint(ctx context.Context) (int64, error)
	// AdvanceNotifyCheckpoint moves the checkpoint from from to to if it is still at
	// from, and says whether it did (another node may have moved it first).
	AdvanceNotifyCheckpoint(ctx context.Context, from, to int64) (bool, error)
	// PostsAfterID returns up to limit posts with id > after in id order, held and
	// deleted ones included.
	PostsAfterID(ctx context.Context, after int64, limit int) ([]*forum.Post, error)

	// Held posts the worker has passed wait as records until a moderator decides.
	InsertRecord(ctx context.Context, r *records.Record) error
	UpdateRecord(ctx context.Context, r *records.Record, ifK2 string) error
	ListRecords(ctx context.Context, kind string, f records.Filter, before int64, limit int) ([]*records.Record, error)
	RecordByKey(ctx context.Context, kind, key string) (*records.Record, error)
}

// Reader is what the notifier reads of the forum.
type Reader interface {
	PostByID(ctx context.Context, id int64) (*forum.Post, error)
	ThreadAndBoard(ctx context.Context, id int64) (*forum.Thread, *forum.Board, error)
	// MayRead says whether a user may read a post (its board, and the post itself when
	// held or hidden): only they are told about it.
	MayRead(ctx context.Context, userID int64, p *forum.Post) (bool, error)
}

// Users finds the people a post mentions.
type Users interface {
	UserByUsername(ctx context.Context, username string) (*accounts.User, error)
}

// Publisher announces stored notifications (realtime pushes them to user:<id>).
type Publisher interface {
	Publish(e events.Event)
}

// Service creates and lists notifications.
type Service struct {
	store Store
	posts Reader
	users Users
	bus   Publisher
	log   *slog.Logger

	// wake is a doorbell, not a queue: one ring pending is enough, since the worker
	// reads what to do from the posts table.
	wake chan struct{}
	// approved are the ids of posts approved after the worker passed them held, for it
	// to release next; heldDue asks for a sweep of every held post instead (too many
	// ids, or an error).
	approvedMu sync.Mutex
	approved   []int64
	releasing  int // approvals taken from approved and being released
	heldDue    atomic.Bool
	// checkpoint is the last checkpoint the worker read or wrote; passed, the newest
	// held post it has remembered, which may be past it.
	checkpoint atomic.Int64
	passed     atomic.Int64

	poll    time.Duration // how often to look for other nodes' posts, and retry after an error
	sweep   time.Duration // how often to look through every held post for approvals
	gapWait time.Duration // how long a missing post id may hold the checkpoint back
	batch   int

	now func() time.Time // the clock hideGrace is measured by
}

// NewService returns a notifier; subscribe Handle to the bus and start Run.
func NewService(store Store, posts Reader, users Users, bus Publisher, log *slog.Logger) *Service {
	return &Service{store: store, posts: posts, users: users, bus: bus, log: log, wake: make(chan struct{}, 1),
		now:  func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
		poll: time.Second, sweep: 30 * time.Second, gapWait: 10 * time.Second, batch: 200}
}

// maxApproved bounds the approvals waiting for the worker; past it, a sweep of every
// held post stands in for them.
const maxApproved = 10000

// Handle rings the worker on this node's new posts without blocking the publisher.
// Other nodes' posts need no ring: their own worker takes them, and this one finds
// them at its next poll if that node went away first.
func (s *Service) Handle(e events.Event) {
	if e.Type != events.PostCreated && e.Type != events.PostDeleted {
		return
	}
	// An approved (or declined) post, held when the worker passed it: another node's
	// decision too, in case that node's worker is gone. A deletion is a decline only
	// if the post has a held record, and a hide if it has an owed hide record (a post
	// the worker has not passed yet too); releaseApproved finds out.
	if e.PostID <= max(s.checkpoint.Load(), s.passed.Load()) || e.Type == events.PostDeleted {
		s.approvedMu.Lock()
		if len(s.approved) < maxApproved {
			s.approved = append(s.approved, e.PostID)
		} else {
			s.heldDue.Store(true)
		}
		s.approvedMu.Unlock()
	} else if e.Origin != "" || e.Type != events.PostCreated {
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// mentionRE finds @username; a username is 2–32 letters, digits, _ or -.
var mentionRE = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_@-])@([\p{L}\p{N}_-]{2,32})`)

// Mentions returns the distinct lower-case usernames a text mentions, at most 20.
func Mentions(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range mentionRE.FindAllStringSubmatch(text, -1) {
		name := strings.ToLower(m[1])
		if !seen[name] && len(out) < 20 {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// notify writes the notifications a visible post owes: to the author of the post it
// answers, to the author of its thread and to the people it mentions, each once and
// only if they may read it.
func (s *Service) notify(ctx context.Context, p *forum.Post) error {
	told := map[int64]bool{p.AuthorID: true} // nobody is told about their own post
	once := func(userID int64, kind string) error {
		if told[userID] {
			return nil
		}
		told[userID] = true
		return s.tell(ctx, userID, kind, p)
	}
	if p.ReplyTo != 0 {
		parent, err := s.posts.PostByID(ctx, p.ReplyTo)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return err
		}
		if parent != nil {
			if err := once(parent.AuthorID, KindReply); err != nil {
				return err
			}
		}
	}
	if p.Seq > 1 {
		t, _, err := s.posts.ThreadAndBoard(ctx, p.ThreadID)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return err
		}
		if t != nil {
			if err := once(t.AuthorID, KindThreadReply); err != nil {
				return err
			}
		}
	}
	for _, name := range Mentions(p.Body) {
		u, err := s.users.UserByUsername(ctx, name)
		if errors.Is(err, fault.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if err := once(u.ID, KindMention); err != nil {
			return err
		}
	}
	return nil
}

// tell notifies a user of p if they may read it.
func (s *Service) tell(ctx context.Context, userID int64, kind string, p *forum.Post) error {
	ok, err := s.posts.MayRead(ctx, userID, p)
	if err != nil || !ok {
		return err
	}
	return s.NotifyUser(ctx, userID, kind, p.AuthorID, p)
}

// NotifyUser tells a user that actor did something (kind) about post p, and pushes it.
// It is idempotent: a notification of the same user, post and kind is stored and
// pushed once, however often this is called.
func (s *Service) NotifyUser(ctx context.Context, userID int64, kind string, actorID int64, p *forum.Post) error {
	n := &Notification{UserID: userID, Kind: kind, ActorID: actorID, ThreadID: p.ThreadID, PostID: p.ID, PostSeq: p.Seq,
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if err := s.store.CreateNotification(ctx, n); errors.Is(err, fault.ErrConflict) {
		return nil // written before a crash or by another node, and pushed then
	} else if err != nil {
		return err
	}
	s.bus.Publish(events.Event{Type: events.Notification, UserID: userID, ThreadID: p.ThreadID, PostID: p.ID, Seq: p.Seq, NotificationID: n.ID})
	return nil
}

// List returns a page of the user's notifications and their unread count.
func (s *Service) List(ctx context.Context, userID, before int64, limit int) ([]*Notification, int64, error) {
	if userID == 0 {
		return nil, 0, fault.Unauthorized("err_sign_in_first")
	}
	ns, err := s.store.ListNotifications(ctx, userID, before, limit)
	if err != nil {
		return nil, 0, err
	}
	n, err := s.store.CountUnread(ctx, userID)
	return ns, n, err
}

// Unread counts the user's unread notifications (0 for a guest).
func (s *Service) Unread(ctx context.Context, userID int64) (int64, error) {
	if userID == 0 {
		return 0, nil
	}
	return s.store.CountUnread(ctx, userID)
}

// MarkRead marks notifications read; no ids means all of them.
func (s *Service) MarkRead(ctx context.Context, userID int64, ids []int64) error {
	if userID == 0 {
		return fault.Unauthorized("err_sign_in_first")
	}
	if len(ids) > 500 {
		return fault.Invalid("ids", "err_too_many_ids")
	}
	return s.store.MarkRead(ctx, userID, ids)
}

// KindHidden tells an author that a moderator hid their post; the reason is kept
// beside it (HiddenReason).
const KindHidden = "post_hidden"

// kindHideReason keeps a moderator's reason for hiding a post, written before the hide
// with K2 hideOwed: the worker writes the author's notification once the post is
// hidden and marks it hideDone, so a crash between the hide and the notification only
// delays it. A hide that never happened (it failed, or the node died first) is
// hideVoid after hideGrace.
const (
	kindHideReason = "notify_hide_reason"
	hideOwed       = "owed"
	hideDone       = "done"
	hideVoid       = "void"
)

// hideGrace is how long an owed record waits for its hide before it is voided: twice
// the server's 30 s request timeouts, so a hide still in flight is not voided, and
// short enough that a failed hide does not linger.
const hideGrace = time.Minute

type hideReason struct {
	Reason string `json:"reason"`          // the reason the author was told
	Owed   string `json:"owed,omitempty"`  // the reason of the hide in flight
	Actor  int64  `json:"actor,omitempty"` // who is hiding it
}

// OweHidden records, before actor hides p, that its author is owed a notification
// with reason; the worker writes it once the post is hidden (Drain waits for it).
func (s *Service) OweHidden(ctx context.Context, actorID int64, p *forum.Post, reason string) error {
	if actorID == p.AuthorID {
		return nil
	}
	h := hideReason{Owed: reason, Actor: actorID}
	old, err := s.store.RecordByKey(ctx, kindHideReason, heldKey(p.ID))
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return err
	}
	if old != nil {
		var was hideReason
		if err := old.Decode(&was); err != nil {
			return err
		}
		h.Reason = was.Reason // an earlier hide's notification keeps its reason meanwhile
	}
	r, err := records.New(kindHideReason, heldKey(p.ID), "", hideOwed, s.now(), h)
	if err != nil {
		return err
	}
	if old == nil {
		return s.store.InsertRecord(ctx, r)
	}
	r.ID = old.ID
	return s.store.UpdateRecord(ctx, r, records.Any)
}

// HiddenReason returns the reason a moderator gave for hiding a post ("" if none).
func (s *Service) HiddenReason(ctx context.Context, postID int64) (string, error) {
	r, err := s.store.RecordByKey(ctx, kindHideReason, heldKey(postID))
	if errors.Is(err, fault.ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	var h hideReason
	err = r.Decode(&h)
	return h.Reason, err
}
