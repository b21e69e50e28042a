package mail

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gotwistd/gotwistd/endpoint"
)

// tracker follows the connections of one listener so that a stop can end
// the idle ones at once and let the busy ones finish their work: an SMTP
// connection is busy from MAIL to the reply after DATA, a POP3 one while a
// QUIT applies its deletions. Ending a connection is done by moving its
// read deadline into the past, so the server's own read loop sees a
// timeout and closes it the normal way (go-smtp answers "421").
type tracker struct {
	mu      sync.Mutex
	conns   map[*trackedConn]struct{}
	closing bool

	// coalesce holds each connection's replies until it next reads (see
	// trackedConn.Write).
	coalesce bool
	// limits caps the connections open at once; nil: no limits.
	limits *connLimits
	// plain: the listener speaks the protocol in the clear, so a refused
	// client can be told why (not so below implicit TLS).
	plain bool
}

func newTracker() *tracker {
	return &tracker{conns: map[*trackedConn]struct{}{}}
}

// listener wraps l so that every accepted connection is tracked; use it
// below any TLS layer.
func (t *tracker) listener(l net.Listener) net.Listener {
	return &trackedListener{Listener: l, t: t}
}

// closeIdle marks the tracker closing and ends every idle connection; a
// busy one ends when it becomes idle.
func (t *tracker) closeIdle() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closing = true
	for c := range t.conns {
		if !c.busy {
			c.Conn.SetReadDeadline(aLongTimeAgo)
		}
	}
}

// closeAll closes every connection, busy or not.
func (t *tracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.conns {
		c.Conn.Close()
	}
}

var aLongTimeAgo = time.Unix(1, 0)

type trackedListener struct {
	net.Listener
	t *tracker
}

// Accept returns the next connection within the limits; one over them is
// refused and closed here, and Accept goes on waiting.
func (l *trackedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.t.mu.Lock()
		open := len(l.t.conns)
		l.t.mu.Unlock()
		if ok, why := l.t.limits.admit(c, open); !ok {
			l.t.limits.refuse(c, l.t.plain, why)
			continue
		}
		tracked := &trackedConn{Conn: c, t: l.t, coalesce: l.t.coalesce}
		l.t.mu.Lock()
		l.t.conns[tracked] = struct{}{}
		if l.t.closing {
			c.SetReadDeadline(aLongTimeAgo)
		}
		l.t.mu.Unlock()
		return tracked, nil
	}
}

// track makes ep bind through t, and tells t whether its clients speak in
// the clear (so that a refused one can be told why).
func track(ep endpoint.Endpoint, t *tracker) endpoint.Endpoint {
	_, tlsOnTop := ep.(*endpoint.TLS)
	t.plain = !tlsOnTop
	return trackedEndpoint{Endpoint: ep, t: t}
}

// trackedEndpoint binds like the endpoint it wraps, with the tracker
// between the socket and TLS: for an ssl: endpoint it binds the TCP part
// and puts TLS on top itself (as endpoint.TLS's documentation offers), so
// the server still sees *tls.Conn and the tracker still sees the socket.
type trackedEndpoint struct {
	endpoint.Endpoint
	t *tracker
}

func (e trackedEndpoint) Listen(ctx context.Context, env *endpoint.Env) (net.Listener, error) {
	if t, ok := e.Endpoint.(*endpoint.TLS); ok {
		l, err := t.TCP.Listen(ctx, env)
		if err != nil {
			return nil, err
		}
		return tls.NewListener(e.t.listener(l), t.Config()), nil
	}
	l, err := e.Endpoint.Listen(ctx, env)
	if err != nil {
		return nil, err
	}
	return e.t.listener(l), nil
}

// trackedConn is a connection whose deadlines the tracker may override.
type trackedConn struct {
	net.Conn
	t    *tracker
	busy bool // guarded by t.mu

	coalesce bool
	wmu      sync.Mutex
	held     []byte // replies written but not yet sent
}

// maxHeld bounds what a connection holds back; more is sent at once.
const maxHeld = 4096

// Write holds p back when the connection coalesces, until the server next
// reads (or closes): a server reads only when it has answered everything
// it was sent, so a client that pipelines MAIL, RCPT and DATA gets the
// three replies in one packet instead of three, as RFC 2920 advises and
// Postfix does, and one that does not pipeline gets each reply as before.
func (c *trackedConn) Write(p []byte) (int, error) {
	if !c.coalesce {
		return c.Conn.Write(p)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if len(c.held)+len(p) > maxHeld {
		if err := c.sendHeldLocked(); err != nil {
			return 0, err
		}
		if len(p) > maxHeld {
			return c.Conn.Write(p)
		}
	}
	c.held = append(c.held, p...)
	return len(p), nil
}

// Read first sends what is held: the server waits for the client now, and
// the client may be waiting for those replies.
func (c *trackedConn) Read(p []byte) (int, error) {
	if c.coalesce {
		c.wmu.Lock()
		err := c.sendHeldLocked()
		c.wmu.Unlock()
		if err != nil {
			return 0, err
		}
	}
	return c.Conn.Read(p)
}

func (c *trackedConn) sendHeldLocked() error {
	if len(c.held) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.held)
	c.held = c.held[:0]
	return err
}

// setBusy marks the connection busy or idle; an idle one of a closing
// tracker is ended at once.
func (c *trackedConn) setBusy(b bool) {
	if c == nil {
		return
	}
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	c.busy = b
	if !b && c.t.closing {
		c.Conn.SetReadDeadline(aLongTimeAgo)
	}
}

func (c *trackedConn) SetReadDeadline(d time.Time) error {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	if c.t.closing && !c.busy {
		d = aLongTimeAgo
	}
	return c.Conn.SetReadDeadline(d)
}

// SetWriteDeadline sends what is held first when d is already due: TLS
// sets one right after queueing its close alert, and that alert and the
// reply before it must still go out.
func (c *trackedConn) SetWriteDeadline(d time.Time) error {
	c.sendHeldBefore(d)
	return c.Conn.SetWriteDeadline(d)
}

func (c *trackedConn) sendHeldBefore(d time.Time) {
	if c.coalesce && !d.IsZero() && !d.After(time.Now()) {
		c.wmu.Lock()
		c.sendHeldLocked()
		c.wmu.Unlock()
	}
}

func (c *trackedConn) SetDeadline(d time.Time) error {
	c.sendHeldBefore(d)
	if err := c.Conn.SetWriteDeadline(d); err != nil {
		return err
	}
	return c.SetReadDeadline(d)
}

// Close sends what is held (a last "221" or "421"), counts the connection
// out of the limits, and closes it once the client has had its chance to
// read the last reply (see lingerBeforeClose). Only the first call does
// more than close.
func (c *trackedConn) Close() error {
	if c.coalesce {
		c.wmu.Lock()
		c.sendHeldLocked()
		c.wmu.Unlock()
	}
	c.t.mu.Lock()
	_, open := c.t.conns[c]
	delete(c.t.conns, c)
	stopping := c.t.closing
	c.t.mu.Unlock()
	if open {
		c.t.limits.release(c.Conn)
		if !stopping {
			lingerBeforeClose(c.Conn)
		}
	}
	return c.Conn.Close()
}

// lingerBeforeClose half-closes a TCP connection and reads and drops what
// the client still sends, for up to a second, until it closes too.
// Closing a socket with unread input makes the kernel send a reset, which
// can destroy a reply still on its way, such as the one that explains why
// the server is hanging up ("line too long"). During a stop the server
// does not wait: the connections it ends then are idle, with nothing
// unread.
func lingerBeforeClose(c net.Conn) {
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	io.CopyN(io.Discard, c, 1<<18)
}

// trackedOf finds the tracked connection under c (which may be TLS).
func trackedOf(c net.Conn) *trackedConn {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	t, _ := c.(*trackedConn)
	return t
}
