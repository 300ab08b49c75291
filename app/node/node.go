// Package node builds one Jiayuan: the store, the event bus and every service over
// them, wired in one place for the server, the command-line tools and the tests. A
// service is complete once constructed; the node alone subscribes the followers of the
// bus, starts their goroutines and stops them in order.
package node

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"
	"golang.org/x/sync/errgroup"

	"jiayuan/app/accounts"
	"jiayuan/app/audit"
	"jiayuan/app/config"
	"jiayuan/app/events"
	"jiayuan/app/fold"
	"jiayuan/app/forum"
	"jiayuan/app/history"
	"jiayuan/app/markup"
	"jiayuan/app/moderation"
	"jiayuan/app/mongostore"
	"jiayuan/app/notify"
	"jiayuan/app/org"
	"jiayuan/app/ratelimit"
	"jiayuan/app/records"
	"jiayuan/app/sqlstore"
	"jiayuan/app/web"
	"jiayuan/app/words"
	"jiayuan/policy"
	"jiayuan/realtime"
	"jiayuan/search"
)

// Store is what an engine provides to the whole application.
type Store interface {
	accounts.Store
	forum.Store
	notify.Store
	policy.Store
	records.Store
	ratelimit.Store
	web.ChangeLog // a returning socket's catch-up, per thread
	Ping(ctx context.Context) error
	Close() error
}

// Node is one Jiayuan. A console (NewConsole) has the parts down to Fold; a node (New)
// has them all.
type Node struct {
	Log        *slog.Logger
	Store      Store
	Bus        *events.Bus
	Policy     *policy.Enforcer
	Audit      *audit.Log
	Words      *words.Service
	Accounts   *accounts.Service
	Forum      *forum.Service
	Notify     *notify.Service
	Org        *org.Service
	Moderation *moderation.Service
	Markup     *markup.Renderer
	Fold       *fold.Folder

	// Nil in a console:
	Search *search.Service
	Hub    *realtime.Hub
	Feeder *realtime.Feeder
	Live   *realtime.Server
	Bridge *realtime.Bridge // nil without NATS
	Web    *web.Server

	cfg         *config.Config
	workers     errgroup.Group
	stopWorkers context.CancelFunc // nil until Start
	closeOnce   sync.Once
}

// Options are what the configuration does not say; the zero value is production's.
type Options struct {
	// Log receives the node's logs; nil discards them.
	Log *slog.Logger
	// Store is an open store to run on instead of the one the configuration names
	// (tests pass a wrapped one). The node closes it, also when building fails.
	Store Store
	// PasswordParams hash passwords; nil is argon2id's recommended ones (tests pass
	// cheaper ones).
	PasswordParams *argon2id.Params
	// Now is the clock of the web server's rate-limit windows; nil is time.Now.
	Now func() time.Time
}

// OpenStore opens the store the configuration names, and says which engine it is.
func OpenStore(ctx context.Context, cfg *config.Config) (Store, string, error) {
	if cfg.MongoURI != "" {
		s, err := mongostore.Open(ctx, cfg.MongoURI, cfg.MongoDatabase)
		return s, "mongodb", err
	}
	s, err := sqlstore.Open(ctx, filepath.Join(cfg.DataDir, "jiayuan.db"))
	return s, "sqlite", err
}

// NewConsole opens the store and wires the services over it, and nothing derived:
// no search index, no sockets, no web server, no workers. The command-line tools
// (`jiayuan admin`) run on it beside a running server, whose index and sockets are its
// own. It seeds the boards on first start. Events are published to a bus nobody
// follows. Close closes the store.
func NewConsole(ctx context.Context, cfg *config.Config, o Options) (*Node, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	st := o.Store
	if st == nil {
		var engine string
		var err error
		if st, engine, err = OpenStore(ctx, cfg); err != nil {
			return nil, fmt.Errorf("open %s store: %w", engine, err)
		}
		o.Log.Info("store open", "engine", engine)
	}
	n, err := wire(ctx, cfg, st, o)
	if err != nil {
		st.Close()
		return nil, err
	}
	return n, nil
}

// wire builds the console's services over st. The audit log, the word list and the
// silence guard come first: the forum and accounts consult them, and org and the
// moderation service use the forum.
func wire(ctx context.Context, cfg *config.Config, st Store, o Options) (*Node, error) {
	n := &Node{Log: o.Log, Store: st, Bus: events.NewBus(o.Log), Markup: markup.New(), cfg: cfg}
	var err error
	if n.Policy, err = policy.New(ctx, st); err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	if err := forum.SeedBoards(ctx, st, time.Now().UTC().Truncate(time.Millisecond)); err != nil {
		return nil, fmt.Errorf("seed boards: %w", err)
	}
	if n.Fold, err = fold.Load(); err != nil {
		return nil, err
	}
	n.Audit = audit.New(st, n.Policy, n.Log)
	n.Words, err = words.NewService(ctx, words.Config{Store: st, Policy: n.Policy, Audit: n.Audit, Bus: n.Bus,
		Fold: n.Fold.Rune, Log: n.Log})
	if err != nil {
		return nil, fmt.Errorf("load the word list: %w", err)
	}
	guard := moderation.NewGuard(st)
	n.Forum = forum.NewService(st, n.Policy, n.Markup, n.Bus,
		forum.Moderation{Screen: n.Words, Guard: guard, Audit: n.Audit, Ledger: history.New(st)})
	n.Accounts = accounts.NewService(accounts.Config{Store: st, Roles: n.Policy, Audit: n.Audit, Params: o.PasswordParams,
		Names: n.Words.CheckName, Bus: n.Bus})
	n.Notify = notify.NewService(st, n.Forum, st, n.Bus, n.Log)
	n.Org = org.New(org.Config{Store: st, Policy: n.Policy, Boards: n.Forum, Bus: n.Bus, Audit: n.Audit, Log: n.Log})
	n.Moderation = moderation.New(moderation.Config{Guard: guard, Policy: n.Policy, Forum: n.Forum,
		Notifier: n.Notify, Audit: n.Audit, Log: n.Log})
	return n, nil
}

// New opens the store and wires the whole node: the console's services, the search
// index, the realtime hub, the bridge to other nodes, the web server, and the
// followers of the bus. Start runs its workers; Serve serves it.
func New(ctx context.Context, cfg *config.Config, o Options) (*Node, error) {
	n, err := NewConsole(ctx, cfg, o)
	if err != nil {
		return nil, err
	}
	if err := n.wireServer(o); err != nil {
		n.Close()
		return nil, err
	}
	// In this order: notifications are written before the policy, the word list and the
	// boards reload, the index and the sockets hear of a change, other nodes are told,
	// and the page cache lets go.
	for _, h := range []events.Handler{n.Notify.Handle, n.Org.Handle, n.Words.Handle, n.forgetBoards,
		n.Search.Handle, n.Feeder.Handle} {
		n.Bus.Subscribe(h)
	}
	if n.Bridge != nil {
		n.Bus.Subscribe(n.Bridge.Handle)
	}
	n.Bus.Subscribe(n.Web.Handle)
	return n, nil
}

func (n *Node) wireServer(o Options) error {
	cfg, log := n.cfg, n.Log
	var err error
	if n.Search, err = search.NewService(cfg.SearchDir, n.Fold, n.Store, log); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	n.Hub = realtime.NewHub()
	backend := &web.LiveBackend{Forum: n.Forum, Accounts: n.Accounts, Policy: n.Policy, Changes: n.Store}
	n.Feeder = realtime.NewFeeder(n.Hub, backend, log)
	n.Live = realtime.NewServer(n.Hub, backend, log)
	if cfg.NATSURL != "" {
		host, _ := os.Hostname()
		name := fmt.Sprintf("%s-%d-%d", host, os.Getpid(), time.Now().UnixNano()%1e6)
		if n.Bridge, err = realtime.Connect(cfg.NATSURL, name, n.Bus, log); err != nil {
			return err
		}
		log.Info("linked to other nodes", "nats", cfg.NATSURL, "node", name)
	}
	n.Web, err = web.New(web.Deps{Log: log, Config: cfg, Accounts: n.Accounts, Forum: n.Forum,
		Notify: n.Notify, Moderation: n.Moderation, Org: n.Org, Words: n.Words, Audit: n.Audit, Search: n.Search, Policy: n.Policy, Markup: n.Markup, Ready: n.Store.Ping,
		Live: n.Live, Limits: n.Store, Now: o.Now})
	return err
}

// Start runs the workers that follow the event bus, under one errgroup. They keep
// ctx's values but not its end: a signal stops the web server first, and the workers
// only once the requests in flight have published their events (see Close).
func (n *Node) Start(ctx context.Context) {
	ctx, n.stopWorkers = context.WithCancel(context.WithoutCancel(ctx))
	for _, run := range []func(context.Context){n.Feeder.Run, n.Notify.Run, n.Search.Run,
		func(ctx context.Context) { n.FollowStore(ctx, 10*time.Second) },
		func(ctx context.Context) { n.Accounts.RunSweeper(ctx, time.Hour, n.Log) }} {
		n.workers.Go(func() error { run(ctx); return nil })
	}
}

// forgetBoards drops the forum's boards when one changed, on another node too.
func (n *Node) forgetBoards(e events.Event) {
	if e.Type == events.BoardUpdated {
		n.Forum.ForgetBoards()
	}
}

// FollowStore looks at the store every interval until ctx ends, for the role
// assignments and the word list changing behind this process's back: `jiayuan admin
// grant` on the command line writes to the database of a running single node, where no
// event reaches it. Org and the word list each compare with their own last look and
// apply what changed.
func (n *Node) FollowStore(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n.Org.CheckStore(ctx)
		n.Words.CheckStore(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Serve starts the workers and serves the web on ln until ctx ends, then shuts down
// in order: stop accepting connections and let the requests in flight finish (for the
// configured grace), then Close.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	defer n.Close()
	n.Start(ctx)
	errc := make(chan error, 1)
	n.workers.Go(func() error { errc <- n.Web.Serve(ln); return nil })
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	n.Log.Info("shutting down", "grace", n.cfg.ShutdownGrace)
	err := n.Web.Shutdown(n.cfg.ShutdownGrace)
	n.Close()
	n.Log.Info("stopped")
	return err
}

// Close stops the node behind a stopped web server: the sockets and the bridge (no
// more events from other nodes), then the workers, once they have drained: the
// notifier caught up with the newest post, the indexer's and the feeder's queues empty
// (for at most the shutdown grace; what is left then is derived and resumes from the
// database at the next start: the index from its checkpoint), then the search index
// and the store, which no goroutine is inside any more. A console closes its store.
func (n *Node) Close() {
	n.closeOnce.Do(func() {
		// Sockets outlive the web server's shutdown: close them first, so no catch-up
		// is inside the store when it closes.
		if n.Live != nil {
			n.Live.CloseAll(5 * time.Second)
		}
		if n.Bridge != nil {
			_ = n.Bridge.Close()
		}
		if n.stopWorkers != nil {
			n.drain()
			n.stopWorkers()
			_ = n.workers.Wait()
		}
		if n.Search != nil {
			_ = n.Search.Close()
		}
		_ = n.Store.Close()
	})
}

// drain waits, for at most the shutdown grace, until the workers have done what the
// last requests asked of them. The notifier goes first: the notifications it writes
// are events for the feeder.
func (n *Node) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ShutdownGrace)
	defer cancel()
	if err := n.Notify.Drain(ctx); err != nil {
		n.Log.Warn("shutdown: notifications not drained", "err", err)
	}
	for _, q := range []struct {
		name    string
		pending func() int
	}{{"search", n.Search.Pending}, {"realtime", n.Feeder.Pending}} {
		if err := waitDrained(ctx, q.pending); err != nil {
			n.Log.Warn("shutdown: queue not drained", "queue", q.name, "pending", q.pending(), "err", err)
		}
	}
}

// waitDrained polls pending until it is 0 or ctx ends.
func waitDrained(ctx context.Context, pending func() int) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for pending() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}
