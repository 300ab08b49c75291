package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"jiayuan/app/config"
	"jiayuan/app/forum"
	"jiayuan/app/node"
)

// repair recounts the derived counters from the posts (forum.Repair) and prints what it
// changed. It is for the aftermath of a crash on MongoDB without transactions, where a
// write of several documents can stop half way; on SQLite and on a replica set every
// such write is one transaction, and a run finds nothing unless the data was edited by
// hand. It may run beside a live server: a counter that changes while it runs is left
// to the server and reported, and a second run picks it up.
func repair(ctx context.Context, args []string) error {
	return repairTo(ctx, os.Stdout, args)
}

func repairTo(ctx context.Context, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("repair", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "report what would change and write nothing")
	data := fs.String("data", "", "data directory of the embedded database (default as serve: JIAYUAN_DATA or ./data)")
	uri := fs.String("mongodb-uri", "", "MongoDB connection string (default as serve: MONGODB_URI)")
	dbName := fs.String("mongodb-database", "", "MongoDB database name (default as serve: JIAYUAN_MONGODB_DATABASE or jiayuan)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: jiayuan repair [--data DIR | --mongodb-uri URI] [--dry-run]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("repair: unexpected argument %q", fs.Arg(0))
	}
	// The store is found as serve finds it: flags given here, then the environment.
	var pass []string
	for name, v := range map[string]string{"data": *data, "mongodb-uri": *uri, "mongodb-database": *dbName} {
		if v != "" {
			pass = append(pass, "--"+name, v)
		}
	}
	cfg, err := config.Load(pass)
	if err != nil {
		return err
	}
	if cfg.MongoURI == "" {
		// Opening creates a database; a repair of a directory that has none is a typo.
		if _, err := os.Stat(filepath.Join(cfg.DataDir, "jiayuan.db")); err != nil {
			return fmt.Errorf("repair: no database in %s: %w", cfg.DataDir, err)
		}
	}
	st, engine, err := node.OpenStore(ctx, cfg)
	if err != nil {
		return fmt.Errorf("open %s store: %w", engine, err)
	}
	defer st.Close()
	rs, ok := st.(forum.RepairStore)
	if !ok {
		return fmt.Errorf("the %s store cannot be repaired", engine)
	}
	rep, err := forum.Repair(ctx, rs, *dry, time.Now().UTC())
	if err != nil {
		return err
	}
	printRepair(out, engine, rep)
	return nil
}

func printRepair(w io.Writer, engine string, r *forum.RepairReport) {
	verb := "changed"
	if r.DryRun {
		verb = "would change"
	}
	fmt.Fprintf(w, "read %d boards, %d threads, %d posts (%s)\n", r.Boards, r.Threads, r.Posts, engine)
	skipped, threads, boards := 0, 0, 0
	for _, f := range r.ThreadFixes {
		if !f.Skipped {
			threads++
		}
		var d []string
		if f.Was.ReplyCount != f.Now.ReplyCount {
			d = append(d, fmt.Sprintf("reply_count %d → %d", f.Was.ReplyCount, f.Now.ReplyCount))
		}
		if f.Was.LastSeq != f.Now.LastSeq {
			d = append(d, fmt.Sprintf("last_seq %d → %d", f.Was.LastSeq, f.Now.LastSeq))
		}
		if !f.Was.LastActivityAt.Equal(f.Now.LastActivityAt) {
			d = append(d, fmt.Sprintf("last_activity_at %s → %s", stamp(f.Was.LastActivityAt), stamp(f.Now.LastActivityAt)))
		}
		fmt.Fprintf(w, "thread %d: %s%s\n", f.ID, strings.Join(d, ", "), skippedNote(f.Skipped, &skipped))
	}
	for _, f := range r.BoardFixes {
		if !f.Skipped {
			boards++
		}
		var d []string
		if f.Was.ThreadCount != f.Now.ThreadCount {
			d = append(d, fmt.Sprintf("thread_count %d → %d", f.Was.ThreadCount, f.Now.ThreadCount))
		}
		if f.Was.PostCount != f.Now.PostCount {
			d = append(d, fmt.Sprintf("post_count %d → %d", f.Was.PostCount, f.Now.PostCount))
		}
		if !f.Was.LastActivityAt.Equal(f.Now.LastActivityAt) {
			d = append(d, fmt.Sprintf("last_activity_at %s → %s", stamp(f.Was.LastActivityAt), stamp(f.Now.LastActivityAt)))
		}
		fmt.Fprintf(w, "board %s: %s%s\n", f.Slug, strings.Join(d, ", "), skippedNote(f.Skipped, &skipped))
	}
	for _, id := range r.EmptyThreads {
		fmt.Fprintf(w, "thread %d: no posts at all, deleted\n", id)
	}
	for _, g := range r.Gaps {
		seqs := fmt.Sprintf("seq %d", g.From)
		if g.To > g.From {
			seqs = fmt.Sprintf("seqs %d–%d", g.From, g.To)
		}
		fmt.Fprintf(w, "thread %d: %s never used or moved away (kept as they are: seqs are addresses)\n", g.ThreadID, seqs)
	}
	if r.OrphanPosts > 0 {
		fmt.Fprintf(w, "%d posts belong to no thread (left as they are)\n", r.OrphanPosts)
	}
	if !r.Changed() {
		fmt.Fprintln(w, "nothing to change")
	} else {
		fmt.Fprintf(w, "%s %d threads, %d boards; %d empty threads deleted\n", verb, threads, boards, len(r.EmptyThreads))
	}
	if skipped > 0 {
		fmt.Fprintf(w, "%d counters changed while repairing and were left to the server: run the repair again\n", skipped)
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func skippedNote(skipped bool, n *int) string {
	if !skipped {
		return ""
	}
	*n++
	return " (changed meanwhile: left as it is)"
}
