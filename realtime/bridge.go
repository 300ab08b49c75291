package realtime

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"

	"jiayuan/app/events"
)

// Subject is the NATS subject every node publishes its events on.
const Subject = "jiayuan.events"

// Bus is the local event bus, as the bridge uses it: it publishes the other nodes'
// events there, and follows it with Handle.
type Bus interface {
	Publish(e events.Event)
}

// Bridge joins the event buses of several nodes through NATS: each node publishes the
// events of its own writes, and republishes the others' on its bus, where its caches,
// its sockets and everything else that follows the bus pick them up. Events carry ids
// only; every node reads the data from the shared database.
type Bridge struct {
	nc   *nats.Conn
	node string
	log  *slog.Logger
}

// Connect links bus to the NATS server at url as node (a name unique to this process);
// the bus's own events reach the other nodes once it is subscribed to Handle.
func Connect(url, node string, bus Bus, log *slog.Logger) (*Bridge, error) {
	nc, err := nats.Connect(url, nats.Name("jiayuan "+node), nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("nats disconnected", "err", err) }),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("nats reconnected") }))
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", url, err)
	}
	b := &Bridge{nc: nc, node: node, log: log}
	if _, err := nc.Subscribe(Subject, func(m *nats.Msg) {
		var e events.Event
		if err := json.Unmarshal(m.Data, &e); err != nil || e.Origin == "" || e.Origin == node {
			return // malformed, or our own coming back
		}
		bus.Publish(e)
	}); err != nil {
		nc.Close()
		return nil, err
	}
	// Make sure the subscription reached the server before we report ready.
	if err := nc.Flush(); err != nil {
		nc.Close()
		return nil, err
	}
	return b, nil
}

// Handle follows the local bus: it publishes this node's events to the others.
func (b *Bridge) Handle(e events.Event) {
	if e.Origin != "" || e.Local {
		return // another node's (it published it already), or for this node only
	}
	e.Origin = b.node
	data, _ := json.Marshal(e)
	// A publish only fails when the connection is closed; while NATS reconnects the
	// client buffers, and a lost event is a delay (clients catch up), not lost data.
	if err := b.nc.Publish(Subject, data); err != nil {
		b.log.Warn("nats publish", "type", e.Type, "err", err)
	}
}

// Close drains the connection: events already published are delivered first.
func (b *Bridge) Close() error { return b.nc.Drain() }
