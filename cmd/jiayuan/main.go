// Command jiayuan is the whole forum in one binary:
//
//	jiayuan [serve] [flags]    run the server (the default)
//	jiayuan admin …            manage users from the command line
//	jiayuan bench [flags]      seed a community and measure the server under load
//	jiayuan reindex [flags]    rebuild the search index from the database
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // pages show times in Asia/Shanghai even on images without tzdata

	"jiayuan/app/fault"
	"jiayuan/app/i18n"
	"jiayuan/cmd/jiayuan/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "jiayuan:", say(err))
		}
		os.Exit(1)
	}
}

// say gives a domain error (a refused grant, say) in the operator's language, read
// from the locale as a page reads Accept-Language; anything else as it is.
func say(err error) string {
	var fe *fault.Error
	if !errors.As(err, &fe) {
		return err.Error()
	}
	cats, lerr := i18n.Load()
	if lerr != nil {
		return err.Error()
	}
	locale := cmp.Or(os.Getenv("LC_ALL"), os.Getenv("LC_MESSAGES"), os.Getenv("LANG"))
	return cats.Message(i18n.Match(locale), fe)
}

func run(ctx context.Context, args []string) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args)
	case "admin":
		return admin(ctx, args)
	case "bench":
		return bench.Run(ctx, args)
	case "reindex":
		return reindex(ctx, args)
	case "repair":
		return repair(ctx, args)
	case "help":
		fmt.Println("usage: jiayuan [serve|admin|reindex|repair|bench] [flags]; jiayuan serve -h lists the flags")
		return nil
	}
	return fmt.Errorf("unknown command %q (want serve, admin, reindex or bench)", cmd)
}
