package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"jiayuan/app/accounts"
	"jiayuan/app/config"
)

// admin manages accounts from the command line, on the same store the server uses:
//
//	jiayuan admin create-user USERNAME PASSWORD [DISPLAY NAME]
//	jiayuan admin grant USERNAME ROLE [--board SLUG]
func admin(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: jiayuan admin create-user USERNAME PASSWORD [DISPLAY] | grant USERNAME ROLE [--board SLUG] [serve flags such as --data]")
	}
	verb, rest := args[0], args[1:]
	var pos []string
	for len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		pos, rest = append(pos, rest[0]), rest[1:]
	}
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	board := fs.String("board", "", "board slug the role holds in (default: site-wide)")
	var cfgArgs []string
	// Everything else is a serve flag (--data, --mongodb-uri) naming the store.
	for i := 0; i < len(rest); i++ {
		if rest[i] == "--board" && i+1 < len(rest) {
			if err := fs.Parse(rest[i : i+2]); err != nil {
				return err
			}
			i++
			continue
		}
		cfgArgs = append(cfgArgs, rest[i])
	}
	cfg, err := config.Load(cfgArgs)
	if err != nil {
		return err
	}
	n, err := newNode(ctx, cfg, newLogger("error"))
	if err != nil {
		return err
	}
	defer n.store.Close()
	switch {
	case verb == "create-user" && (len(pos) == 2 || len(pos) == 3):
		in := accounts.RegisterInput{Username: pos[0], Password: pos[1]}
		if len(pos) == 3 {
			in.DisplayName = pos[2]
		}
		u, err := n.accounts.Register(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stdout, "created user %s (id %d)\n", u.Username, u.ID)
		return nil
	case verb == "grant" && len(pos) == 2:
		u, err := n.store.UserByUsername(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("user %q: %w", pos[0], err)
		}
		domain := "*"
		if *board != "" {
			if _, err := n.store.BoardBySlug(ctx, *board); err != nil {
				return fmt.Errorf("board %q: %w", *board, err)
			}
			domain = "board:" + *board
		}
		if err := n.policy.Grant(ctx, u.ID, pos[1], domain); err != nil {
			return err
		}
		fmt.Fprintf(os.Stdout, "granted %s to %s in %s\n", pos[1], u.Username, domain)
		return nil
	}
	return fmt.Errorf("unknown admin command %q or wrong arguments", verb)
}
