package mongostore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/l10n"
	"jiayuan/app/mongostore"
	"jiayuan/app/storetest"
)

// ferretURI is the address of the FerretDB that TestMain embeds in this test binary.
var ferretURI string

var dbCounter atomic.Int64

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jiayuan-ferretdb-")
	if err != nil {
		panic(err)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		// At Warn, FerretDB logs every error reply (duplicate keys the tests provoke).
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = f.Run(ctx) }()
	// MongoDBURI before Run has started can deadlock; Run is started above.
	ferretURI = f.MongoDBURI()
	code := m.Run()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// withParam appends a query parameter to a MongoDB URI.
func withParam(uri, kv string) string {
	if strings.Contains(uri, "?") {
		return uri + "&" + kv
	}
	if strings.Count(uri, "/") < 3 {
		uri += "/"
	}
	return uri + "?" + kv
}

func open(t *testing.T, uri string) *mongostore.Store {
	t.Helper()
	s, _ := openNamed(t, uri)
	return s
}

// openNamed opens a fresh database, dropped when the test ends, and returns its name.
func openNamed(t *testing.T, uri string) (*mongostore.Store, string) {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("jiayuan_test_%d_%d", os.Getpid(), dbCounter.Add(1))
	s, err := mongostore.Open(ctx, uri, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Drop(context.Background())
		_ = s.Close()
	})
	return s, name
}

// TestConformanceFerretDB runs the suite against FerretDB over one connection: FerretDB
// loses concurrent updates when a client uses several.
func TestConformanceFerretDB(t *testing.T) {
	uri := withParam(ferretURI, "maxPoolSize=1")
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t, uri) })
}

// servers lists the URIs to run the engine's own tests against: FerretDB always (over
// one connection), a real MongoDB when configured.
func servers() map[string]string {
	m := map[string]string{"FerretDB": withParam(ferretURI, "maxPoolSize=1")}
	if uri := os.Getenv("JIAYUAN_TEST_MONGODB_URI"); uri != "" {
		m["MongoDB"] = uri
	}
	return m
}

// eachServer runs fn on a fresh store of every server.
func eachServer(t *testing.T, fn func(t *testing.T, uri, db string, s *mongostore.Store)) {
	for name, uri := range servers() {
		t.Run(name, func(t *testing.T) {
			s, db := openNamed(t, uri)
			fn(t, uri, db, s)
		})
	}
}

// TestConformanceMongoDB runs the suite against a real MongoDB when one is configured.
func TestConformanceMongoDB(t *testing.T) {
	uri := os.Getenv("JIAYUAN_TEST_MONGODB_URI")
	if uri == "" {
		t.Skip("JIAYUAN_TEST_MONGODB_URI is not set; FerretDB stands in for MongoDB")
	}
	// Against a replica set this is the only run of the transactional write path.
	t.Logf("multi-document transactions: %t", open(t, uri).Transactions())
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t, uri) })
}

var t0 = time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func seed(t *testing.T, s *mongostore.Store) (*accounts.User, *forum.Board) {
	t.Helper()
	ctx := context.Background()
	u := &accounts.User{Username: "seed", DisplayName: "种子", PasswordHash: "h", CreatedAt: at(0)}
	must(t, s.CreateUser(ctx, u))
	b := &forum.Board{Slug: "b", Name: l10n.Text{"zh-Hans": "版"}, Position: 1, CreatedAt: at(0)}
	must(t, s.CreateBoard(ctx, b))
	return u, b
}

// TestImportThread checks the bulk path beyond the suite: ids come as one block that
// later writes never reuse, and bad input writes nothing.
func TestImportThread(t *testing.T) {
	eachServer(t, func(t *testing.T, _, _ string, s *mongostore.Store) {
		ctx := context.Background()
		u, b := seed(t, s)
		var ths []*forum.Thread
		var all [][]*forum.Post
		for n := 1; n <= 3; n++ {
			th := &forum.Thread{BoardID: b.ID, Title: fmt.Sprint("导入", n), AuthorID: u.ID, CreatedAt: at(0)}
			posts := make([]*forum.Post, n*10)
			for i := range posts {
				posts[i] = &forum.Post{AuthorID: u.ID, Body: fmt.Sprint(i), HTML: "x", CreatedAt: at(n*100 + i)}
			}
			// The last post answers the second one, under it in the tree.
			last := posts[len(posts)-1]
			last.ReplyToSeq, last.Depth, last.PathPrefix = 2, 1, forum.PathSegment(2)
			must(t, s.ImportThread(ctx, th, posts))
			ths, all = append(ths, th), append(all, posts)
		}
		seen := map[int64]bool{}
		for i, th := range ths {
			posts := all[i]
			n := int64(len(posts))
			gt, err := s.ThreadByID(ctx, th.ID)
			must(t, err)
			if gt.LastSeq != n || gt.ReplyCount != n-1 || !gt.LastActivityAt.Equal(posts[n-1].CreatedAt) {
				t.Fatalf("thread %d: %+v", i, gt)
			}
			got, err := s.ListPostsByPath(ctx, th.ID, "", 1000)
			must(t, err)
			if int64(len(got)) != n || got[2].Seq != n || got[2].ReplyTo != posts[1].ID || got[2].Path != forum.PathSegment(2)+forum.PathSegment(n) {
				t.Fatalf("thread %d tree: %d posts, third %+v", i, len(got), got[2])
			}
			for _, p := range got {
				if seen[p.ID] || !p.ChangedAt.Equal(p.CreatedAt) {
					t.Fatalf("post %+v: duplicate id or no change time", p)
				}
				seen[p.ID] = true
			}
		}
		r := &forum.Post{ThreadID: ths[0].ID, AuthorID: u.ID, Body: "续", HTML: "续", CreatedAt: at(999)}
		must(t, s.CreatePost(ctx, r))
		if seen[r.ID] || r.Seq != 11 {
			t.Fatalf("reply after imports reused id %d or got seq %d", r.ID, r.Seq)
		}
		gb, err := s.BoardByID(ctx, b.ID)
		must(t, err)
		if gb.ThreadCount != 3 || gb.PostCount != 61 || !gb.LastActivityAt.Equal(at(999)) {
			t.Fatalf("board %+v", gb)
		}

		if err := s.ImportThread(ctx, &forum.Thread{BoardID: b.ID, Title: "空"}, nil); !errors.Is(err, fault.ErrInvalid) {
			t.Fatalf("import without posts: %v", err)
		}
		err = s.ImportThread(ctx, &forum.Thread{BoardID: 424242, Title: "无版"}, []*forum.Post{{AuthorID: u.ID, Body: "x", CreatedAt: at(1)}})
		if !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("import into a missing board: %v", err)
		}
		if gb2, _ := s.BoardByID(ctx, b.ID); gb2.ThreadCount != 3 || gb2.PostCount != 61 {
			t.Fatalf("refused imports changed the board: %+v", gb2)
		}
	})
}

// TestLastActivityForwardOnly: a writer that finishes late with an older time must not
// move a thread or board back in the listing (the SQLite engine uses MAX()).
func TestLastActivityForwardOnly(t *testing.T) {
	eachServer(t, func(t *testing.T, _, _ string, s *mongostore.Store) {
		ctx := context.Background()
		u, b := seed(t, s)
		th := &forum.Thread{BoardID: b.ID, Title: "t", AuthorID: u.ID, CreatedAt: at(1), LastActivityAt: at(1)}
		must(t, s.CreateThread(ctx, th, &forum.Post{AuthorID: u.ID, Body: "1", HTML: "1", CreatedAt: at(1)}))
		for _, m := range []int{10, 5} {
			must(t, s.CreatePost(ctx, &forum.Post{ThreadID: th.ID, AuthorID: u.ID, Body: "r", HTML: "r", CreatedAt: at(m)}))
		}
		gt, err := s.ThreadByID(ctx, th.ID)
		must(t, err)
		gb, err := s.BoardByID(ctx, b.ID)
		must(t, err)
		if !gt.LastActivityAt.Equal(at(10)) || gt.ReplyCount != 2 || !gb.LastActivityAt.Equal(at(10)) || gb.PostCount != 3 {
			t.Fatalf("thread %+v board %+v", gt, gb)
		}
		if got := gt.LastActivityAt.Location(); got != time.UTC {
			t.Fatalf("time read back in %v, want UTC", got)
		}
	})
}

// TestOperatorTextIsData: strings that look like query operators are values, never
// operators, in every lookup.
func TestOperatorTextIsData(t *testing.T) {
	eachServer(t, func(t *testing.T, _, _ string, s *mongostore.Store) {
		ctx := context.Background()
		seed(t, s)
		for _, text := range []string{`{"$gt": ""}`, `{"$ne": null}`, "$where", "b.slug", ""} {
			if _, err := s.UserByUsername(ctx, text); !errors.Is(err, fault.ErrNotFound) {
				t.Fatalf("UserByUsername(%q): %v", text, err)
			}
			if _, err := s.BoardBySlug(ctx, text); !errors.Is(err, fault.ErrNotFound) {
				t.Fatalf("BoardBySlug(%q): %v", text, err)
			}
			if _, err := s.SessionByHash(ctx, text); !errors.Is(err, fault.ErrNotFound) {
				t.Fatalf("SessionByHash(%q): %v", text, err)
			}
		}
		u := &accounts.User{Username: `{"$gt": ""}`, DisplayName: "$set", PasswordHash: "h", CreatedAt: at(0)}
		must(t, s.CreateUser(ctx, u))
		got, err := s.UserByUsername(ctx, `{"$gt": ""}`)
		must(t, err)
		if got.ID != u.ID || got.DisplayName != "$set" {
			t.Fatalf("got %+v", got)
		}
	})
}

// TestReopen: Open on an existing database (a restart) keeps the data and the indexes.
func TestReopen(t *testing.T) {
	eachServer(t, func(t *testing.T, uri, db string, s *mongostore.Store) {
		ctx := context.Background()
		_, b := seed(t, s)
		s2, err := mongostore.Open(ctx, uri, db)
		must(t, err)
		defer s2.Close()
		must(t, s2.Ping(ctx))
		if got, err := s2.BoardByID(ctx, b.ID); err != nil || got.Slug != "b" {
			t.Fatalf("after reopen: %+v, %v", got, err)
		}
		if err := s2.CreateBoard(ctx, &forum.Board{Slug: "b", Name: l10n.Text{"zh-Hans": "x"}, CreatedAt: at(0)}); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("unique slug after reopen: %v", err)
		}
		if ps, err := s2.ListThreads(ctx, b.ID, nil, 0); err != nil || len(ps) != 0 {
			t.Fatalf("limit 0: %v, %v", ps, err)
		}
	})
}
