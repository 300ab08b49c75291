package forum_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"jiayuan/app/accounts"
	"jiayuan/app/events"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/markup"
	"jiayuan/app/sqlstore"
	"jiayuan/policy"
)

// pausingStore can hold one ListBoards after it has read the boards and before it
// returns them: the moment a racing board change slips in.
type pausingStore struct {
	forum.Store
	pause   atomic.Bool
	read    chan struct{}
	release chan struct{}
}

func (p *pausingStore) ListBoards(ctx context.Context) ([]*forum.Board, error) {
	bs, err := p.Store.ListBoards(ctx)
	if p.pause.CompareAndSwap(true, false) {
		p.read <- struct{}{}
		<-p.release
	}
	return bs, err
}

// newForum is a forum service over a fresh SQLite database with the default boards
// and the real policy; it returns the service, its store and the admin's id.
func newForum(t testing.TB) (*forum.Service, *pausingStore, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "jiayuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	en, err := policy.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	acc := accounts.NewService(accounts.Config{Store: st, Roles: en, Params: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	if _, _, err := acc.EnsureAdmin(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	admin, err := acc.UserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := forum.SeedBoards(ctx, st, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	ps := &pausingStore{Store: st, read: make(chan struct{}), release: make(chan struct{})}
	bus := events.NewBus(slog.New(slog.NewTextHandler(io.Discard, nil)))
	return forum.NewService(ps, en, markup.New(), bus, forum.Moderation{}), ps, admin.ID
}

func setRead(t testing.TB, f *forum.Service, adminID int64, slug, level string) {
	t.Helper()
	if _, err := f.UpdateBoard(context.Background(), adminID, slug, forum.BoardInput{ReadAccess: &level}); err != nil {
		t.Fatal(err)
	}
}

// TestBoardFillRacingUpdate: a load of the board list that read the boards before an
// admin closed a board to guests, and stores them after, does not keep serving the
// old level: once the update has returned, guests are refused.
func TestBoardFillRacingUpdate(t *testing.T) {
	f, ps, admin := newForum(t)
	if err := f.CanRead(0, "leyou"); err != nil {
		t.Fatalf("public board before the change: %v", err)
	}
	f.ForgetBoards() // as a board.updated event from another node would
	ps.pause.Store(true)
	racer := make(chan error)
	go func() { racer <- f.CanRead(0, "leyou") }()
	<-ps.read // the racing load has read "public"
	setRead(t, f, admin, "leyou", forum.AccessStaff)
	close(ps.release)
	<-racer // it began before the change: either answer is right for it
	if err := f.CanRead(0, "leyou"); !errors.Is(err, fault.ErrUnauthorized) {
		t.Fatalf("guest reading a staff board after the change returned: %v, want unauthorized", err)
	}
	if _, err := f.Board(context.Background(), 0, "leyou"); !errors.Is(err, fault.ErrUnauthorized) {
		t.Fatalf("Board after the change: %v, want unauthorized", err)
	}
}

// TestBoardAccessUnderConcurrentLoads tightens and loosens a board's read level while
// guests read it and the board copy is dropped and reloaded all the time: a read that
// starts after a tightening has returned, and ends before the next change begins, is
// always refused. Run it with -race.
func TestBoardAccessUnderConcurrentLoads(t *testing.T) {
	f, _, admin := newForum(t)
	// state counts changes: odd while an update is in flight, and a multiple of four
	// once a tightening has returned.
	var state atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var violations, checked atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				before := state.Load()
				err := f.CanRead(0, "leyou")
				if before == state.Load() && before > 0 && before%4 == 0 {
					checked.Add(1)
					if err == nil {
						violations.Add(1)
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // board.updated events from other nodes
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				f.ForgetBoards()
			}
		}
	}()
	for range 15 {
		state.Add(1)
		setRead(t, f, admin, "leyou", forum.AccessPublic)
		state.Add(1)
		state.Add(1)
		setRead(t, f, admin, "leyou", forum.AccessStaff)
		state.Add(1)
		// Let the readers see the tightened board before the next round.
		for n := checked.Load(); checked.Load() < n+20; {
			runtime.Gosched()
		}
	}
	close(stop)
	wg.Wait()
	if v := violations.Load(); v > 0 {
		t.Fatalf("%d of %d reads after a tightening served the old public level", v, checked.Load())
	}
}

// BenchmarkBoardLookup is the permission check behind every cached thread page: the
// board copy against reading the board from the store each time.
func BenchmarkBoardLookup(b *testing.B) {
	f, ps, _ := newForum(b)
	b.Run("copy", func(b *testing.B) {
		for b.Loop() {
			if err := f.CanRead(0, "leyou"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("store", func(b *testing.B) {
		for b.Loop() {
			if _, err := ps.BoardBySlug(context.Background(), "leyou"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
