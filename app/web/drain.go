package web

import (
	"io"
	"net"
	"sync/atomic"
	"time"
)

// A body over MaxRequestBody is refused from its Content-Length, before it is read, and
// the connection is closed after the 413. A client that sends the whole body before it
// reads the answer (Go's net/http, curl) is then still writing into a socket that the
// server closed with unread data, so the kernel answers with a reset and the client
// sees "connection reset" instead of the 413. So such a connection reads and discards
// the rest of the body, up to these bounds, between sending the answer and closing.
const (
	drainBytes = 16 * MaxRequestBody
	drainTime  = 5 * time.Second
)

// drainListener hands out connections that can drain before they close.
type drainListener struct{ net.Listener }

func (l drainListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &drainConn{Conn: c}, nil
}

type drainConn struct {
	net.Conn
	drain atomic.Bool // set when an answer left the request body unread
}

func (c *drainConn) Close() error {
	if c.drain.Load() {
		// The answer is written: end our side, so the client reads it to the end,
		// then take what it still sends until it closes or a bound is reached.
		if tc, ok := c.Conn.(interface{ CloseWrite() error }); ok {
			_ = tc.CloseWrite()
		}
		_ = c.SetReadDeadline(time.Now().Add(drainTime))
		_, _ = io.CopyN(io.Discard, c.Conn, drainBytes)
	}
	return c.Conn.Close()
}

// drainOnClose asks conn, if it came from a drainListener, to drain before it closes.
func drainOnClose(conn net.Conn) {
	if d, ok := conn.(*drainConn); ok {
		d.drain.Store(true)
	}
}
