package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"

	"jiayuan/app/config"
	"jiayuan/app/node"
)

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
	n, err := node.New(ctx, cfg, node.Options{Log: newLogger(cfg.LogLevel)})
	if err != nil {
		return err
	}
	return serveNode(ctx, n, cfg)
}

// serveNode makes the first admin, binds cfg's address and runs n until ctx ends; then
// n shuts down in order (node.Serve).
func serveNode(ctx context.Context, n *node.Node, cfg *config.Config) error {
	defer n.Close()
	created, pw, err := n.Accounts.EnsureAdmin(ctx, cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	// Bind first, so a taken port fails here and the address printed is really served.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
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
	n.Log.Info("listening", "addr", cfg.Addr, "open_registration", cfg.OpenRegistration)
	return n.Serve(ctx, ln)
}
