package notify

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/records"
)

// kindHeld is the record of a held post the worker has passed: its notifications are
// owed once a moderator approves it. K2 is heldWaiting until then, heldDone after.
const (
	kindHeld    = "notify_held"
	heldWaiting = "waiting"
	heldDone    = "done"
)

// Run writes the notifications of every post after the checkpoint, in id order, until
// ctx ends; it wakes on this node's new posts and polls for the rest. Stopping it at
// any point loses nothing: the next Run, here or on another node, resumes from the
// checkpoint, which only moves past a post once its notifications are stored.
//
// Several nodes share one checkpoint, moved by a conditional update. Two of them may
// process the same posts at the same moment; the unique key on user, post and kind
// makes the second write nothing, so each notification is stored and pushed once.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.poll)
	defer tick.Stop()
	var lastSweep time.Time
	var gap gapWatch
	for ctx.Err() == nil {
		more, stalled, err := s.pass(ctx, &gap)
		if err != nil && ctx.Err() == nil {
			s.log.Error("notify", "err", err)
			more = false
		}
		if err := s.releaseApproved(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("notify: approved posts", "err", err)
			s.heldDue.Store(true)
		}
		// The sweep is the backstop of the approvals and hides rung above: those of a
		// node that went away (or crashed between a hide and its notification), and
		// those made while this worker was passing the post.
		if s.heldDue.Swap(false) || time.Since(lastSweep) >= s.sweep {
			if err := s.releaseHeld(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("notify: held posts", "err", err)
			}
			if err := s.releaseHides(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("notify: hidden posts", "err", err)
			}
			lastSweep = time.Now()
		}
		if more {
			continue
		}
		var retry <-chan time.Time
		if stalled {
			retry = time.After(s.gapWait / 100)
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-tick.C:
		case <-retry:
		}
	}
}

// gapWatch remembers a missing post id the worker is waiting for. With MongoDB a post's
// id is allocated before it is inserted, so a later post can be visible first; the
// checkpoint waits for the earlier one, for a while: an id whose insert never happened
// (a crash in between) is given up after gapWait.
type gapWatch struct {
	after int64 // the checkpoint the gap follows
	since time.Time
}

// pass processes one batch after the checkpoint. more says a full batch was read;
// stalled, that it stopped at a missing id.
func (s *Service) pass(ctx context.Context, gap *gapWatch) (more, stalled bool, err error) {
	cp, err := s.store.NotifyCheckpoint(ctx)
	if err != nil {
		return false, false, err
	}
	s.checkpoint.Store(cp)
	ps, err := s.store.PostsAfterID(ctx, cp, s.batch)
	if err != nil || len(ps) == 0 {
		return false, false, err
	}
	next := cp
	for _, p := range ps {
		if p.ID != next+1 {
			if gap.after != next {
				gap.after, gap.since = next, time.Now()
			}
			if time.Since(gap.since) < s.gapWait {
				stalled = true
				break
			}
		}
		if err = s.process(ctx, p); err != nil {
			break
		}
		next = p.ID
	}
	if next > cp {
		ok, aerr := s.store.AdvanceNotifyCheckpoint(ctx, cp, next)
		if aerr != nil {
			return false, false, aerr
		}
		if ok {
			s.checkpoint.Store(next)
		}
	}
	return err == nil && !stalled && len(ps) == s.batch, stalled, err
}

// process writes what one post owes. A held post owes nothing yet: it is remembered,
// and notified when a moderator approves it. A hidden one owes nothing.
func (s *Service) process(ctx context.Context, p *forum.Post) error {
	if p.Held {
		r, err := records.New(kindHeld, heldKey(p.ID), "", heldWaiting, time.Now().UTC().Truncate(time.Millisecond), struct{}{})
		if err != nil {
			return err
		}
		if err := s.store.InsertRecord(ctx, r); errors.Is(err, fault.ErrConflict) {
			if r, err = s.store.RecordByKey(ctx, kindHeld, heldKey(p.ID)); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if r.K2 != heldWaiting {
			return nil
		}
		// An approval from now on finds the post passed and is queued by Handle; one
		// made since the post was read is seen by reading it again.
		s.passed.Store(max(s.passed.Load(), p.ID))
		q, err := s.posts.PostByID(ctx, p.ID)
		if err != nil || q.Held {
			return nil // a failed read leaves it to the sweep
		}
		return s.release(ctx, r)
	}
	if p.Deleted {
		return nil
	}
	return s.notify(ctx, p)
}

func heldKey(postID int64) string { return "post:" + strconv.FormatInt(postID, 10) }

// postOf reads the post a record's heldKey names; a key that names none is
// fault.ErrNotFound, like a post that is gone.
func (s *Service) postOf(ctx context.Context, r *records.Record) (*forum.Post, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(r.Key, "post:"), 10, 64)
	if err != nil {
		return nil, fault.ErrNotFound
	}
	return s.posts.PostByID(ctx, id)
}

// releaseApproved notifies for the held posts approved since the last call, by their
// ids (Handle collects them): one record read each, whatever else is waiting.
func (s *Service) releaseApproved(ctx context.Context) error {
	s.approvedMu.Lock()
	ids := s.approved
	s.approved = nil
	s.releasing = len(ids)
	s.approvedMu.Unlock()
	defer func() {
		s.approvedMu.Lock()
		s.releasing = 0
		s.approvedMu.Unlock()
	}()
	for _, id := range ids {
		r, err := s.store.RecordByKey(ctx, kindHeld, heldKey(id))
		switch {
		case errors.Is(err, fault.ErrNotFound):
			// Not held when the worker passed it: notified then.
		case err != nil:
			return err
		case r.K2 == heldWaiting:
			if err := s.release(ctx, r); err != nil {
				return err
			}
		}
		r, err = s.store.RecordByKey(ctx, kindHideReason, heldKey(id))
		if errors.Is(err, fault.ErrNotFound) {
			continue // not hidden by a moderator
		} else if err != nil {
			return err
		}
		if err := s.releaseHide(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// releaseHeld pages through every remembered held post, oldest last, notifying for
// those a moderator has approved and forgetting those rejected or gone.
func (s *Service) releaseHeld(ctx context.Context) error {
	return s.eachRecord(ctx, kindHeld, heldWaiting, func(r *records.Record) (bool, error) {
		return true, s.release(ctx, r)
	})
}

// releaseHides writes the notifications of every owed hide record whose post is hidden.
func (s *Service) releaseHides(ctx context.Context) error {
	return s.eachRecord(ctx, kindHideReason, hideOwed, func(r *records.Record) (bool, error) {
		return true, s.releaseHide(ctx, r)
	})
}

// eachRecord pages through the records of kind with K2 k2, newest first, while fn
// says to go on.
func (s *Service) eachRecord(ctx context.Context, kind, k2 string, fn func(*records.Record) (bool, error)) error {
	const page = 100
	for before := int64(0); ; {
		rs, err := s.store.ListRecords(ctx, kind, records.Filter{K2: k2}, before, page)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if more, err := fn(r); err != nil || !more {
				return err
			}
			before = r.ID
		}
		if len(rs) < page {
			return nil
		}
	}
}

// releaseHide writes the notification an owed hide record holds once its post is
// hidden, and voids the record of a hide that has not happened after hideGrace. The
// reason is stored first, so the notification never shows an older one, and the
// record is marked done last, so a crash in between repeats the steps (the
// notification is written once).
func (s *Service) releaseHide(ctx context.Context, r *records.Record) error {
	if r.K2 != hideOwed {
		return nil
	}
	var h hideReason
	if r.Decode(&h) != nil {
		return nil
	}
	p, err := s.postOf(ctx, r)
	switch {
	case errors.Is(err, fault.ErrNotFound):
	case err != nil:
		return err
	case p.Deleted:
		if h.Reason != h.Owed {
			h.Reason = h.Owed
			if err := s.updateHide(ctx, r, hideOwed, h); err != nil {
				return err
			}
		}
		if err := s.NotifyUser(ctx, p.AuthorID, KindHidden, h.Actor, p); err != nil {
			return err
		}
		h.Owed = ""
		return s.updateHide(ctx, r, hideDone, h)
	case s.now().Sub(r.At) < hideGrace:
		return nil // the hide may still be on its way
	}
	h.Owed = ""
	return s.updateHide(ctx, r, hideVoid, h)
}

// updateHide stores h in the owed record r with K2 k2; one another worker has
// released first is left as it is.
func (s *Service) updateHide(ctx context.Context, r *records.Record, k2 string, h hideReason) error {
	doc, err := json.Marshal(h)
	if err != nil {
		return err
	}
	u := *r
	u.K2, u.Doc = k2, doc
	if err := s.store.UpdateRecord(ctx, &u, hideOwed); err != nil && !errors.Is(err, fault.ErrConflict) {
		return err
	}
	return nil
}

// release notifies for one remembered held post once a moderator has approved or
// declined it (its author either way, the people it answers if approved), and marks
// the record done once it is approved, declined or gone.
func (s *Service) release(ctx context.Context, r *records.Record) error {
	p, err := s.postOf(ctx, r)
	switch {
	case errors.Is(err, fault.ErrNotFound):
	case err != nil:
		return err
	case p.Held:
		return nil
	default:
		if err := s.process(ctx, p); err != nil {
			return err
		}
		// The author hears the decision (a declined post is hidden by it).
		kind := KindApproved
		if p.Deleted {
			kind = KindDeclined
		}
		if err := s.NotifyUser(ctx, p.AuthorID, kind, 0, p); err != nil {
			return err
		}
	}
	r.K2 = heldDone
	if err := s.store.UpdateRecord(ctx, r, heldWaiting); err != nil && !errors.Is(err, fault.ErrConflict) {
		return err
	}
	return nil
}

// Drain waits until the worker has caught up with the newest post and released the
// approvals it was told of and the hides it owes, or ctx ends: at shutdown, the notifications of the last
// requests are written before the worker stops.
func (s *Service) Drain(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		cp, err := s.store.NotifyCheckpoint(ctx)
		if err != nil {
			return err
		}
		ps, err := s.store.PostsAfterID(ctx, cp, 1)
		if err != nil {
			return err
		}
		s.approvedMu.Lock()
		approvals := len(s.approved) + s.releasing
		s.approvedMu.Unlock()
		owed, err := s.owesHide(ctx)
		if err != nil {
			return err
		}
		if len(ps) == 0 && approvals == 0 && !owed {
			return nil
		}
		if owed {
			s.heldDue.Store(true) // the sweep releases it
		}
		select {
		case s.wake <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// owesHide says whether a hidden post's notification is still owed.
func (s *Service) owesHide(ctx context.Context) (bool, error) {
	owed := false
	err := s.eachRecord(ctx, kindHideReason, hideOwed, func(r *records.Record) (bool, error) {
		p, err := s.postOf(ctx, r)
		if errors.Is(err, fault.ErrNotFound) {
			return true, nil
		} else if err != nil {
			return false, err
		}
		owed = p.Deleted
		return !owed, nil
	})
	return owed, err
}
