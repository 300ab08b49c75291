package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/config"
	"jiayuan/app/events"
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
	Ping(ctx context.Context) error
	Close() error
}

// node is one running Jiayuan: the store, the services and the web server.
type node struct {
	log      *slog.Logger
	store    store
	bus      *events.Bus
	policy   *policy.Enforcer
	accounts *accounts.Service
	forum    *forum.Service
	web      *web.Server
	hub      *realtime.Hub
	feeder   *realtime.Feeder
	notify   *notify.Service
	mod      *moderation.Service
	bridge   *realtime.Bridge // nil without NATS
	search   *search.Service
}

// close stops the bridge and the store.
func (n *node) close() {
	if n.bridge != nil {
		_ = n.bridge.Close()
	}
	if n.search != nil {
		_ = n.search.Close()
	}
	_ = n.store.Close()
}

func openStore(ctx context.Context, cfg *config.Config) (store, string, error) {
	if cfg.MongoURI != "" {
		s, err := mongostore.Open(ctx, cfg.MongoURI, cfg.MongoDatabase)
		return s, "mongodb", err
	}
	s, err := sqlstore.Open(ctx, filepath.Join(cfg.DataDir, "jiayuan.db"))
	return s, "sqlite", err
}

// newNode opens the store and wires the services; it seeds the boards on first start.
func newNode(ctx context.Context, cfg *config.Config, log *slog.Logger) (*node, error) {
	st, engine, err := openStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", engine, err)
	}
	log.Info("store open", "engine", engine)
	n := &node{log: log, store: st, bus: events.NewBus(log)}
	if n.policy, err = policy.New(ctx, st); err != nil {
		st.Close()
		return nil, err
	}
	n.accounts = accounts.NewService(st, n.policy, nil)
	render := markup.New()
	n.forum = forum.NewService(st, n.policy, render, n.bus)
	if err := forum.SeedBoards(ctx, st, time.Now().UTC().Truncate(time.Millisecond)); err != nil {
		st.Close()
		return nil, fmt.Errorf("seed boards: %w", err)
	}
	n.notify = notify.NewService(st, n.forum, st, n.bus, log)
	n.bus.Subscribe(n.notify.Handle)
	fold, err := search.NewFolder()
	if err != nil {
		st.Close()
		return nil, err
	}
	n.mod, err = moderation.New(ctx, moderation.Config{Store: st, Policy: n.policy, Forum: n.forum, Bus: n.bus, Notifier: n.notify,
		HashPassword: n.accounts.HashPassword, Fold: fold.Rune, Log: log})
	if err != nil {
		st.Close()
		return nil, err
	}
	n.bus.Subscribe(n.mod.Handle)
	n.accounts.SetNameCheck(n.mod.CheckName)
	n.accounts.SetPublisher(n.bus)
	if n.search, err = search.NewService(cfg.SearchDir, fold, st, log); err != nil {
		st.Close()
		return nil, fmt.Errorf("search index: %w", err)
	}
	n.bus.Subscribe(n.search.Handle)
	n.hub = realtime.NewHub()
	backend := &web.LiveBackend{Forum: n.forum, Accounts: n.accounts, Policy: n.policy, Changes: st}
	n.feeder = realtime.NewFeeder(n.hub, backend, log)
	n.bus.Subscribe(n.feeder.Handle)
	if cfg.NATSURL != "" {
		host, _ := os.Hostname()
		node := fmt.Sprintf("%s-%d-%d", host, os.Getpid(), time.Now().UnixNano()%1e6)
		if n.bridge, err = realtime.Connect(cfg.NATSURL, node, n.bus, log); err != nil {
			st.Close()
			return nil, err
		}
		log.Info("linked to other nodes", "nats", cfg.NATSURL, "node", node)
	}
	n.web, err = web.New(web.Deps{Log: log, Config: cfg, Accounts: n.accounts, Forum: n.forum,
		Notify: n.notify, Moderation: n.mod, Search: n.search, Policy: n.policy, Markup: render, Ready: st.Ping, Events: n.bus,
		Live: realtime.NewServer(n.hub, backend, log), Limits: st})
	if err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

// start runs the background workers that follow the event bus until ctx ends.
func (n *node) start(ctx context.Context) {
	go n.feeder.Run(ctx)
	go n.notify.Run(ctx)
	go n.search.Run(ctx)
	go n.mod.FollowStore(ctx, 10*time.Second)
	go n.accounts.RunSweeper(ctx, time.Hour, n.log)
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
	log.Info("listening", "addr", cfg.Addr, "open_registration", cfg.OpenRegistration)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", cfg.ShutdownGrace)
	return n.web.Shutdown(cfg.ShutdownGrace)
}
