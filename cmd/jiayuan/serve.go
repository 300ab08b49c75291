package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"jiayuan/app/accounts"
	"jiayuan/app/config"
	"jiayuan/app/events"
	"jiayuan/app/fold"
	"jiayuan/app/forum"
	"jiayuan/app/markup"
	"jiayuan/app/moderation"
	"jiayuan/app/mongostore"
	"jiayuan/app/notify"
	"jiayuan/app/ratelimit"
	"jiayuan/app/records"
	"jiayuan/app/sqlstore"
	"jiayuan/app/web"
	"jiayuan/policy"
	"jiayuan/realtime"
	"jiayuan/search"
)

// store is what an engine provides to the whole application.
type store interface {
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

// console is what every command opens over the store: the policy, accounts, the forum
// and moderation, and nothing derived. The command-line tools (`jiayuan admin`) run on
// it beside a running server: they touch neither the search index nor the network.
type console struct {
	log      *slog.Logger
	store    store
	bus      *events.Bus
	policy   *policy.Enforcer
	accounts *accounts.Service
	forum    *forum.Service
	notify   *notify.Service
	mod      *moderation.Service
	render   *markup.Renderer
	fold     *fold.Folder
}

// node is one running Jiayuan: the console's services, the search index, the realtime
// hub, the web server and the workers that follow the event bus.
type node struct {
	*console
	web    *web.Server
	hub    *realtime.Hub
	live   *realtime.Server
	feeder *realtime.Feeder
	bridge *realtime.Bridge // nil without NATS
	search *search.Service

	workers     errgroup.Group
	stopWorkers context.CancelFunc // nil until start
	drainFor    time.Duration      // how long close waits for the workers to drain
	closeOnce   sync.Once
}

func openStore(ctx context.Context, cfg *config.Config) (store, string, error) {
	if cfg.MongoURI != "" {
		s, err := mongostore.Open(ctx, cfg.MongoURI, cfg.MongoDatabase)
		return s, "mongodb", err
	}
	s, err := sqlstore.Open(ctx, filepath.Join(cfg.DataDir, "jiayuan.db"))
	return s, "sqlite", err
}

// openConsole opens the store and wires the services over it; it seeds the boards on
// first start. Events are published to a bus nobody follows until a node subscribes.
func openConsole(ctx context.Context, cfg *config.Config, log *slog.Logger) (*console, error) {
	st, engine, err := openStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", engine, err)
	}
	log.Info("store open", "engine", engine)
	c, err := newConsole(ctx, st, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	return c, nil
}

// newConsole wires the services over an open store (tests pass a wrapped one).
func newConsole(ctx context.Context, st store, log *slog.Logger) (*console, error) {
	c := &console{log: log, store: st, bus: events.NewBus(log), render: markup.New()}
	var err error
	if c.policy, err = policy.New(ctx, st); err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	c.accounts = accounts.NewService(st, c.policy, nil)
	c.forum = forum.NewService(st, c.policy, c.render, c.bus)
	if err := forum.SeedBoards(ctx, st, time.Now().UTC().Truncate(time.Millisecond)); err != nil {
		return nil, fmt.Errorf("seed boards: %w", err)
	}
	c.notify = notify.NewService(st, c.forum, st, c.bus, log)
	if c.fold, err = fold.Load(); err != nil {
		return nil, err
	}
	c.mod, err = moderation.New(ctx, moderation.Config{Store: st, Policy: c.policy, Forum: c.forum, Bus: c.bus, Notifier: c.notify,
		HashPassword: c.accounts.HashPassword, Fold: c.fold.Rune, Log: log})
	if err != nil {
		return nil, fmt.Errorf("start moderation: %w", err)
	}
	c.accounts.SetNameCheck(c.mod.CheckName)
	c.accounts.SetPublisher(c.bus)
	return c, nil
}

// close closes the store.
func (c *console) close() { _ = c.store.Close() }

// newNode opens the store and wires the whole node.
func newNode(ctx context.Context, cfg *config.Config, log *slog.Logger) (*node, error) {
	st, engine, err := openStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", engine, err)
	}
	log.Info("store open", "engine", engine)
	return newNodeOn(ctx, cfg, log, st)
}

// newNodeOn wires a node over an open store, which it closes if it fails.
func newNodeOn(ctx context.Context, cfg *config.Config, log *slog.Logger, st store) (*node, error) {
	c, err := newConsole(ctx, st, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	n := &node{console: c, drainFor: cfg.ShutdownGrace}
	n.bus.Subscribe(n.notify.Handle)
	n.bus.Subscribe(n.mod.Handle)
	if n.search, err = search.NewService(cfg.SearchDir, n.fold, st, log); err != nil {
		st.Close()
		return nil, fmt.Errorf("search index: %w", err)
	}
	n.bus.Subscribe(n.search.Handle)
	n.hub = realtime.NewHub()
	backend := &web.LiveBackend{Forum: n.forum, Accounts: n.accounts, Policy: n.policy, Changes: st}
	n.feeder = realtime.NewFeeder(n.hub, backend, log)
	n.live = realtime.NewServer(n.hub, backend, log)
	n.bus.Subscribe(n.feeder.Handle)
	if cfg.NATSURL != "" {
		host, _ := os.Hostname()
		node := fmt.Sprintf("%s-%d-%d", host, os.Getpid(), time.Now().UnixNano()%1e6)
		if n.bridge, err = realtime.Connect(cfg.NATSURL, node, n.bus, log); err != nil {
			n.search.Close()
			st.Close()
			return nil, err
		}
		log.Info("linked to other nodes", "nats", cfg.NATSURL, "node", node)
	}
	n.web, err = web.New(web.Deps{Log: log, Config: cfg, Accounts: n.accounts, Forum: n.forum,
		Notify: n.notify, Moderation: n.mod, Search: n.search, Policy: n.policy, Markup: n.render, Ready: st.Ping, Events: n.bus,
		Live: n.live, Limits: st})
	if err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

// start runs the workers that follow the event bus. They keep ctx's values but not its
// end: a signal stops the web server first, and the workers only once the requests in
// flight have published their events (see close).
func (n *node) start(ctx context.Context) {
	ctx, n.stopWorkers = context.WithCancel(context.WithoutCancel(ctx))
	for _, run := range []func(context.Context){n.feeder.Run, n.notify.Run, n.search.Run,
		func(ctx context.Context) { n.mod.FollowStore(ctx, 10*time.Second) },
		func(ctx context.Context) { n.accounts.RunSweeper(ctx, time.Hour, n.log) }} {
		n.workers.Go(func() error { run(ctx); return nil })
	}
}

// close stops the node behind a stopped web server: the sockets and the bridge (no
// more events from other nodes), then the workers, once they have drained: the
// notifier caught up with the newest post, the indexer's and the feeder's queues empty
// (for at most drainFor; what is left then is derived and resumes from the database at
// the next start: the index from its checkpoint), then the search index and the
// store, which no goroutine is inside any more.
func (n *node) close() {
	n.closeOnce.Do(func() {
		// Sockets outlive the web server's shutdown: close them first, so no catch-up
		// is inside the store when it closes.
		if n.live != nil {
			n.live.CloseAll(5 * time.Second)
		}
		if n.bridge != nil {
			_ = n.bridge.Close()
		}
		if n.stopWorkers != nil {
			n.drain()
			n.stopWorkers()
			_ = n.workers.Wait()
		}
		_ = n.search.Close()
		_ = n.store.Close()
	})
}

// drain waits, for at most drainFor, until the workers have done what the last
// requests asked of them. The notifier goes first: the notifications it writes are
// events for the feeder.
func (n *node) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), n.drainFor)
	defer cancel()
	if err := n.notify.Drain(ctx); err != nil {
		n.log.Warn("shutdown: notifications not drained", "err", err)
	}
	for _, q := range []struct {
		name    string
		pending func() int
	}{{"search", n.search.Pending}, {"realtime", n.feeder.Pending}} {
		if err := waitDrained(ctx, q.pending); err != nil {
			n.log.Warn("shutdown: queue not drained", "queue", q.name, "pending", q.pending(), "err", err)
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

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

func serve(ctx context.Context, args []string) error {
	cfg, err := config.Load(args)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	n, err := newNode(ctx, cfg, log)
	if err != nil {
		return err
	}
	return n.serve(ctx, cfg)
}

// serve runs the node until ctx ends, then shuts it down in order: stop accepting
// connections and let the requests in flight finish, then stop the workers, then close
// the index and the store.
func (n *node) serve(ctx context.Context, cfg *config.Config) error {
	defer n.close()
	created, pw, err := n.accounts.EnsureAdmin(ctx, cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	// Bind first, so a taken port fails here and the address printed is really served.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	n.start(ctx)
	errc := make(chan error, 1)
	go func() { errc <- n.web.Serve(ln) }()
	fmt.Printf("\n  家园 Jiayuan is running at http://%s\n", cfg.Addr)
	if created {
		if cfg.AdminPassword == "" {
			fmt.Printf("  Sign in as the first admin: username \"admin\", password %q (shown once: keep it safe)\n\n", pw)
		} else {
			fmt.Printf("  Sign in as the first admin: username \"admin\", password from JIAYUAN_ADMIN_PASSWORD\n\n")
		}
	} else {
		fmt.Printf("  Sign in with your account; the first admin is \"admin\".\n\n")
	}
	n.log.Info("listening", "addr", cfg.Addr, "open_registration", cfg.OpenRegistration)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	n.log.Info("shutting down", "grace", cfg.ShutdownGrace)
	err = n.web.Shutdown(cfg.ShutdownGrace)
	n.close()
	n.log.Info("stopped")
	return err
}
