package realtime

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"jiayuan/app/events"
	"jiayuan/app/testkit"
)

// TestBridgeRelaysAccessChanged: a sign-out or ban on one node reaches the other nodes'
// buses, where their sockets of that user re-check their credential; an event for the
// node itself (Local) does not, so the nodes do not echo one change to each other.
func TestBridgeRelaysAccessChanged(t *testing.T) {
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server did not start")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, b := events.NewBus(log), events.NewBus(log)
	var mu sync.Mutex
	var got []events.Event
	b.Subscribe(func(e events.Event) { mu.Lock(); got = append(got, e); mu.Unlock() })
	for node, bus := range map[string]*events.Bus{"a": a, "b": b} {
		br, err := Connect(ns.ClientURL(), node, bus, log)
		if err != nil {
			t.Fatal(err)
		}
		bus.Subscribe(br.Handle)
		t.Cleanup(func() { br.Close() })
	}
	// A node's own notice of a change every node sees by itself stays on that node.
	a.Publish(events.Event{Type: events.PolicyChanged, Local: true})
	a.Publish(events.Event{Type: events.AccessChanged, UserID: 42})
	var e events.Event
	testkit.Eventually(t, 5*time.Second, "AccessChanged to reach the other node", func() bool {
		mu.Lock()
		defer mu.Unlock()
		if len(got) > 0 {
			e = got[0]
		}
		return len(got) > 0
	})
	if e.Type != events.AccessChanged || e.UserID != 42 || e.Origin != "a" {
		t.Fatalf("relayed %+v", e)
	}
}
