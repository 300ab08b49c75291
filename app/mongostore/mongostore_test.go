package mongostore_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"

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

func open(t *testing.T, uri string) storetest.Store {
	ctx := context.Background()
	s, err := mongostore.Open(ctx, uri, fmt.Sprintf("jiayuan_test_%d_%d", os.Getpid(), dbCounter.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Drop(context.Background())
		_ = s.Close()
	})
	return s
}

// TestConformanceFerretDB runs the suite against FerretDB over one connection: FerretDB
// loses concurrent updates when a client uses several.
func TestConformanceFerretDB(t *testing.T) {
	uri := withParam(ferretURI, "maxPoolSize=1")
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t, uri) })
}

// TestConformanceMongoDB runs the suite against a real MongoDB when one is configured.
func TestConformanceMongoDB(t *testing.T) {
	uri := os.Getenv("JIAYUAN_TEST_MONGODB_URI")
	if uri == "" {
		t.Skip("JIAYUAN_TEST_MONGODB_URI is not set; FerretDB stands in for MongoDB")
	}
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t, uri) })
}
