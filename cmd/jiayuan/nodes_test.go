package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	natsserver "github.com/nats-io/nats-server/v2/server"

	"jiayuan/app/org"
	"jiayuan/app/testkit"
)

// TestTwoNodes: two servers share one database and an embedded NATS server. A reply
// posted on node A reaches a socket of node B, and B's page cache lets go of the thread.
func TestTwoNodes(t *testing.T) {
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server did not start")
	}
	data := t.TempDir()
	a, na := startNodeWith(t, "--data", data, "--search-dir", t.TempDir(), "--nats-url", ns.ClientURL())
	b := startNode(t, "--data", data, "--search-dir", t.TempDir(), "--nats-url", ns.ClientURL())

	writer := newAPIClient(t, a)
	writer.signUp("nodea")
	st, m := writer.call("POST", "/api/v1/boards/shanxing/threads", `{"title":"志愿者招募","body":"周六龙华烈士纪念馆"}`)
	if st != 201 {
		t.Fatalf("thread on A: %d %v", st, m)
	}
	tid := int64(m["thread"].(map[string]any)["id"].(float64))

	// B serves the thread (and caches it) before the reply.
	reader := newAPIClient(t, b)
	if st, m := reader.call("GET", fmt.Sprintf("/api/v1/threads/%d", tid), ""); st != 200 || len(m["posts"].([]any)) != 1 {
		t.Fatalf("thread on B: %d %v", st, m)
	}
	h := http.Header{}
	h.Set("Origin", b)
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(b, "http")+"/ws", h)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.WriteJSON(map[string]any{"type": "subscribe", "channel": fmt.Sprintf("thread:%d", tid)}); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var msg map[string]any
	if err := conn.ReadJSON(&msg); err != nil || msg["type"] != "subscribed" {
		t.Fatalf("subscribe on B: %v %v", msg, err)
	}

	if st, m := writer.call("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), `{"body":"我报名！"}`); st != 201 {
		t.Fatalf("reply on A: %d %v", st, m)
	}
	if err := conn.ReadJSON(&msg); err != nil {
		t.Fatalf("no reply on B's socket: %v", err)
	}
	if msg["type"] != "post.created" || msg["post"].(map[string]any)["body"] != "我报名！" {
		t.Fatalf("B's socket got %v", msg)
	}
	if st, m := reader.call("GET", fmt.Sprintf("/api/v1/threads/%d", tid), ""); st != 200 || len(m["posts"].([]any)) != 2 {
		t.Fatalf("B still serves the thread without the reply (stale cache): %v", m)
	}

	// A role granted on A holds on B at once (through the bus, not B's periodic check of
	// the store, which is 10 s away), and so does a board's new access level.
	if _, err := na.Org.GrantFromConsole(t.Context(), org.RoleChange{Username: "nodea", Role: "admin"}); err != nil {
		t.Fatal(err)
	}
	admin := writer
	mod := newAPIClient(t, b)
	mod.signUp("nodebmod")
	pin := func() int {
		st, _ := mod.call("PATCH", fmt.Sprintf("/api/v1/threads/%d", tid), `{"pinned":true}`)
		return st
	}
	if st := pin(); st != 403 {
		t.Fatalf("pin before the grant: %d", st)
	}
	if st, m := admin.call("POST", "/api/v1/admin/roles", `{"username":"nodebmod","role":"moderator","board":"shanxing"}`); st != 201 {
		t.Fatalf("grant on A: %d %v", st, m)
	}
	eventually(t, 3*time.Second, "the grant made on A to hold on B", func() bool { return pin() == 200 })
	if st, m := admin.call("PATCH", "/api/v1/admin/boards/shanxing", `{"read_access":"staff"}`); st != 200 {
		t.Fatalf("restrict on A: %d %v", st, m)
	}
	guest := newAPIClient(t, b)
	eventually(t, 3*time.Second, "B to refuse guests the restricted board", func() bool {
		st, _ := guest.call("GET", "/api/v1/boards/shanxing/threads", "")
		return st == 401
	})
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, within, what, cond)
}
