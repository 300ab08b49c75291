// Package search finds posts by any text they contain, in Simplified or Traditional
// characters, full- or half-width, with Bleve.
//
// Text is folded one character at a time (package fold) so that every byte offset of
// the original stays exact; CJK text is indexed as single characters and as
// overlapping pairs at the position of their first character, so a query of n
// characters is a phrase of its n-1 pairs: every post containing the string matches,
// and no other.
package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	bolterrors "go.etcd.io/bbolt/errors"

	"jiayuan/app/accounts"
	"jiayuan/app/events"
	"jiayuan/app/fault"
	"jiayuan/app/fold"
	"jiayuan/app/forum"
	"jiayuan/app/markup"
)

// Source is what the indexer reads from the database, the truth it follows.
type Source interface {
	PostsChangedSince(ctx context.Context, since time.Time, afterID int64, limit int) ([]*forum.Post, error)
	PostsByIDs(ctx context.Context, ids []int64) (map[int64]*forum.Post, error)
	ListPosts(ctx context.Context, threadID, afterSeq int64, limit int) ([]*forum.Post, error)
	ThreadByID(ctx context.Context, id int64) (*forum.Thread, error)
	BoardByID(ctx context.Context, id int64) (*forum.Board, error)
	UsersByIDs(ctx context.Context, ids []int64) (map[int64]*accounts.User, error)
}

// ErrRebuilding is the answer while the index is rebuilt from the database.
var ErrRebuilding = fault.Unavailable("index_rebuilding", "err_search_rebuilding")

// catchUpWindow is how far before its checkpoint the indexer rereads at start:
// writes that committed out of order by less than this are not missed.
const catchUpWindow = time.Minute

// Service keeps the index in step with the database and answers searches.
type Service struct {
	path  string
	fold  *fold.Folder
	src   Source
	log   *slog.Logger
	queue chan int64

	mu         sync.RWMutex
	idx        *Index
	rebuilding atomic.Bool
	behind     atomic.Bool  // events were dropped: catch up from the database
	pending    atomic.Int64 // posts queued and not yet indexed
}

// NewService opens (or creates) the index under path. A corrupt index (one of a
// recognised corruption or an older format) is deleted and rebuilt from the database
// by Run; searches meanwhile get ErrRebuilding. An index another process holds is
// ErrInUse, and any other failure to open is returned: both leave the index as it is.
func NewService(path string, fold *fold.Folder, src Source, log *slog.Logger) (*Service, error) {
	s := &Service{path: path, fold: fold, src: src, log: log, queue: make(chan int64, 65536)}
	_, statErr := os.Stat(path)
	idx, err := Open(path, fold)
	if errors.Is(err, ErrInUse) {
		return nil, err // another process's index: never rebuilt from here
	}
	if errors.Is(err, bleve.ErrorIndexMetaMissing) && emptyDir(path) {
		// A directory made for the index (a test's, an operator's): a new index.
		s.rebuilding.Store(true)
		if idx, err = newIn(path, fold); err != nil {
			return nil, err
		}
	}
	if err != nil && !corrupt(err) {
		// Permissions, too many open files, a full disk: the index may be whole, and
		// deleting it would turn a passing fault into a full rebuild.
		return nil, err
	}
	if err != nil {
		log.Error("search index corrupt; rebuilding it from the database", "path", path, "err", err)
		if err := os.RemoveAll(path); err != nil {
			return nil, err
		}
		if idx, err = Open(path, fold); err != nil {
			return nil, err
		}
		s.rebuilding.Store(true)
	} else if os.IsNotExist(statErr) && path != "" {
		s.rebuilding.Store(true)
	}
	s.idx = idx
	return s, nil
}

// corrupt reports whether Open failed on the index's contents, which a rebuild
// repairs, rather than on the system (a *fs.PathError: access, limits, space).
func corrupt(err error) bool {
	for _, c := range []error{ErrFormat, bleve.ErrorIndexMetaCorrupt, bolterrors.ErrInvalid, bolterrors.ErrVersionMismatch, bolterrors.ErrChecksum} {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

// emptyDir reports whether path is a directory with nothing in it.
func emptyDir(path string) bool {
	es, err := os.ReadDir(path)
	return err == nil && len(es) == 0
}

// newIn creates an index in an empty directory (which Open takes for a broken index).
func newIn(path string, fold *fold.Folder) (*Index, error) {
	if err := os.Remove(path); err != nil {
		return nil, err
	}
	return Open(path, fold)
}

// Close closes the index.
func (s *Service) Close() error { return s.idx.Close() }

// Handle queues the posts of events for indexing, without blocking the bus.
func (s *Service) Handle(e events.Event) {
	id := e.PostID
	switch e.Type {
	case events.PostCreated, events.PostUpdated, events.PostDeleted, events.PostHeld:
	case events.ThreadUpdated:
		// A renamed, moved, merged or split thread: every post of it is indexed again
		// (with its title and board). The queue carries thread ids negated.
		id = -e.ThreadID
	default:
		return
	}
	s.pending.Add(1) // before the send, so the indexer never takes it uncounted
	select {
	case s.queue <- id:
	default:
		s.pending.Add(-1)
		// Full: the indexer catches up from the database once it has drained the
		// queue, so nothing dropped here stays out of the index.
		if !s.behind.Swap(true) {
			s.log.Warn("search queue full; catching up from the database next", "post", e.PostID)
		}
	}
}

// Run catches up with the database, then indexes queued posts in batches until ctx
// ends.
func (s *Service) Run(ctx context.Context) {
	if err := s.catchUp(ctx, nil); err != nil && ctx.Err() == nil {
		s.log.Error("search catch-up", "err", err)
	}
	s.rebuilding.Store(false)
	for {
		var ids []int64
		select {
		case <-ctx.Done():
			return
		case id := <-s.queue:
			ids = append(ids, id)
		}
		// Gather what arrives within a moment: one batch, one commit.
		deadline := time.After(50 * time.Millisecond)
	gather:
		for len(ids) < 1000 {
			select {
			case id := <-s.queue:
				ids = append(ids, id)
			case <-deadline:
				break gather
			}
		}
		s.step(ctx, ids)
		s.pending.Add(-int64(len(ids)))
	}
}

// Pending is how much the indexer has still to do: queued posts, the batch in hand,
// and a catch-up owed. At shutdown the node waits for it to reach 0 before stopping
// the indexer, so what was queued is indexed now rather than at the next start.
func (s *Service) Pending() int {
	n := int(s.pending.Load())
	if s.behind.Load() {
		n++
	}
	return n
}

// step indexes the posts of one gathered batch, then catches up from the database
// if events were dropped while the queue was full.
func (s *Service) step(ctx context.Context, ids []int64) {
	if err := s.indexIDs(ctx, ids); err != nil {
		s.log.Error("search index", "posts", len(ids), "err", err)
	}
	if len(s.queue) == 0 && s.behind.Swap(false) {
		if err := s.catchUp(ctx, nil); err != nil && ctx.Err() == nil {
			s.behind.Store(true)
			s.log.Error("search catch-up", "err", err)
		}
	}
}

// Reindex empties the index and rebuilds it from the database, reporting progress.
func (s *Service) Reindex(ctx context.Context, progress func(n int)) error {
	s.rebuilding.Store(true)
	defer s.rebuilding.Store(false)
	s.mu.Lock()
	if err := s.idx.Close(); err != nil {
		s.mu.Unlock()
		return err
	}
	if err := os.RemoveAll(s.path); err != nil {
		s.mu.Unlock()
		return err
	}
	idx, err := Open(s.path, s.fold)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.idx = idx
	s.mu.Unlock()
	return s.catchUp(ctx, progress)
}

// catchUp indexes every post changed since the checkpoint (less a safety window).
// Reading and preparing the next batch from the database overlaps writing this one.
func (s *Service) catchUp(ctx context.Context, progress func(int)) error {
	since, afterID := s.checkpoint()
	if !since.IsZero() {
		since, afterID = since.Add(-catchUpWindow), 0
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type prepared struct {
		b   *batch
		n   int
		err error
	}
	steps := make(chan prepared, 1)
	go func() {
		defer close(steps)
		for {
			ps, err := s.src.PostsChangedSince(ctx, since, afterID, 2000)
			if err == nil && len(ps) == 0 {
				return
			}
			var b *batch
			if err == nil {
				b, err = s.prepare(ctx, ps)
			}
			select {
			case steps <- prepared{b, len(ps), err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			last := ps[len(ps)-1]
			since, afterID = last.ChangedAt, last.ID
		}
	}()
	for st := range steps {
		if st.err != nil {
			return st.err
		}
		if err := s.write(st.b); err != nil {
			return err
		}
		if progress != nil {
			progress(st.n)
		}
	}
	return ctx.Err()
}

func (s *Service) indexIDs(ctx context.Context, ids []int64) error {
	var postIDs []int64
	for _, id := range ids {
		if id > 0 {
			postIDs = append(postIDs, id)
			continue
		}
		for after := int64(0); ; {
			ps, err := s.src.ListPosts(ctx, -id, after, 1000)
			if err != nil {
				return err
			}
			if err := s.index(ctx, ps); err != nil {
				return err
			}
			if len(ps) < 1000 {
				break
			}
			after = ps[len(ps)-1].Seq
		}
	}
	m, err := s.src.PostsByIDs(ctx, postIDs)
	if err != nil {
		return err
	}
	ps := make([]*forum.Post, 0, len(m))
	for _, p := range m {
		ps = append(ps, p)
	}
	return s.index(ctx, ps)
}

// batch is what one write does to the index.
type batch struct {
	put   []Doc
	del   []int64
	maxAt time.Time // the checkpoint it moves to
	maxID int64
}

// index writes posts to the index (deleted ones out of it) and moves the checkpoint.
func (s *Service) index(ctx context.Context, ps []*forum.Post) error {
	b, err := s.prepare(ctx, ps)
	if err != nil {
		return err
	}
	return s.write(b)
}

// prepare reads what the index needs of posts from the database.
func (s *Service) prepare(ctx context.Context, ps []*forum.Post) (*batch, error) {
	threads := map[int64]*forum.Thread{}
	boards := map[int64]*forum.Board{}
	var authors []int64
	for _, p := range ps {
		authors = append(authors, p.AuthorID)
	}
	users, err := s.src.UsersByIDs(ctx, authors)
	if err != nil {
		return nil, err
	}
	out := &batch{}
	for _, p := range ps {
		if p.ChangedAt.After(out.maxAt) || p.ChangedAt.Equal(out.maxAt) && p.ID > out.maxID {
			out.maxAt, out.maxID = p.ChangedAt, p.ID
		}
		if p.Deleted || p.Held {
			out.del = append(out.del, p.ID)
			continue
		}
		t, ok := threads[p.ThreadID]
		if !ok {
			if t, err = s.src.ThreadByID(ctx, p.ThreadID); err != nil {
				return nil, err
			}
			threads[p.ThreadID] = t
		}
		b, ok := boards[t.BoardID]
		if !ok {
			if b, err = s.src.BoardByID(ctx, t.BoardID); err != nil {
				return nil, err
			}
			boards[t.BoardID] = b
		}
		d := Doc{PostID: p.ID, Board: b.Slug, Body: markup.PlainText(p.HTML), Created: p.CreatedAt}
		if u, ok := users[p.AuthorID]; ok {
			d.Author = u.Username
		}
		if p.Seq == 1 {
			d.Title = t.Title
		}
		out.put = append(out.put, d)
	}
	return out, nil
}

// write applies a batch and moves the checkpoint.
func (s *Service) write(b *batch) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(b.put) > 0 {
		if err := s.idx.Put(b.put); err != nil {
			return err
		}
	}
	if len(b.del) > 0 {
		if err := s.idx.Delete(b.del...); err != nil {
			return err
		}
	}
	if cur, _ := s.checkpointLocked(); b.maxAt.After(cur) {
		return s.idx.idx.SetInternal([]byte("checkpoint"), []byte(fmt.Sprintf("%d:%d", b.maxAt.UnixMilli(), b.maxID)))
	}
	return nil
}

func (s *Service) checkpoint() (time.Time, int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.checkpointLocked()
}

func (s *Service) checkpointLocked() (time.Time, int64) {
	raw, err := s.idx.idx.GetInternal([]byte("checkpoint"))
	if err != nil || len(raw) == 0 {
		return time.Time{}, 0
	}
	a, b, _ := strings.Cut(string(raw), ":")
	ms, _ := strconv.ParseInt(a, 10, 64)
	id, _ := strconv.ParseInt(b, 10, 64)
	return time.UnixMilli(ms).UTC(), id
}

// Find runs a parsed query and returns matching post ids.
func (s *Service) Find(q *Query, size, from int) (*Result, error) {
	if s.rebuilding.Load() {
		return nil, ErrRebuilding
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.idx.Search(q, size, from)
}

// Rebuilding tells whether searches are answered.
func (s *Service) Rebuilding() bool { return s.rebuilding.Load() }

// Fold is the folder the index uses, for highlighting.
func (s *Service) Fold() *fold.Folder { return s.fold }
