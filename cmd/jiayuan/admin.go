package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"jiayuan/app/accounts"
	"jiayuan/app/config"
	"jiayuan/app/node"
	"jiayuan/app/org"
)

const adminUsage = `usage:
  jiayuan admin create-user USERNAME PASSWORD [DISPLAY NAME]
  jiayuan admin grant USERNAME ROLE [--board SLUG | --branch NAME]
  jiayuan admin revoke USERNAME ROLE [--board SLUG | --branch NAME]
  jiayuan admin create-branch NAME [DESCRIPTION]
plus the serve flags naming the store (--data, --mongodb-uri). Roles: activist, mentor,
member, secretary, moderator, admin; a running server picks up role changes within seconds`

// admin manages accounts, roles and branches from the command line, on the same store
// the server uses, while it runs or not. Its changes are recorded in the audit log as
// made from the console.
func admin(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(adminUsage)
	}
	verb, rest := args[0], args[1:]
	var pos []string
	for len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		pos, rest = append(pos, rest[0]), rest[1:]
	}
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	board := fs.String("board", "", "board slug the role holds in")
	branch := fs.String("branch", "", "branch name the role holds in")
	var cfgArgs []string
	// Everything else is a serve flag (--data, --mongodb-uri) naming the store.
	for i := 0; i < len(rest); i++ {
		if (rest[i] == "--board" || rest[i] == "--branch") && i+1 < len(rest) {
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
	// The store and the services only: a server may be running on the same data, and
	// its search index and sockets are its own.
	n, err := node.NewConsole(ctx, cfg, node.Options{Log: newLogger("error")})
	if err != nil {
		return err
	}
	defer n.Close()
	change := func() org.RoleChange {
		return org.RoleChange{Username: pos[0], Role: pos[1], Board: *board, Branch: *branch}
	}
	switch {
	case verb == "create-user" && (len(pos) == 2 || len(pos) == 3):
		in := accounts.RegisterInput{Username: pos[0], Password: pos[1], ByAdmin: true}
		if len(pos) == 3 {
			in.DisplayName = pos[2]
		}
		u, err := n.Accounts.Register(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stdout, "created user %s (id %d)\n", u.Username, u.ID)
		return nil
	case verb == "grant" && len(pos) == 2:
		a, err := n.Org.GrantFromConsole(ctx, change())
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stdout, "granted %s to %s in %s\n", a.Role, pos[0], a.Domain)
		return nil
	case verb == "revoke" && len(pos) == 2:
		if err := n.Org.RevokeFromConsole(ctx, change()); err != nil {
			return err
		}
		fmt.Fprintf(os.Stdout, "revoked %s from %s\n", pos[1], pos[0])
		return nil
	case verb == "create-branch" && (len(pos) == 1 || len(pos) == 2):
		desc := ""
		if len(pos) == 2 {
			desc = pos[1]
		}
		b, err := n.Org.CreateBranchFromConsole(ctx, pos[0], desc)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stdout, "created branch %s\n", b.Name)
		return nil
	}
	return fmt.Errorf("unknown admin command %q or wrong arguments\n%s", verb, adminUsage)
}
