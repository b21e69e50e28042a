package web

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// guardedListener enforces --max-connections and --write-timeout below
// net/http (and below TLS). At the limit, Accept waits for a connection to
// close, so new clients queue in the kernel's backlog instead of being
// refused. Its connections keep ReadFrom, so that net/http still sends
// files with sendfile(2).
type guardedListener struct {
	net.Listener
	slots        chan struct{} // nil: no limit
	writeTimeout time.Duration
	closeOnce    sync.Once
	closed       chan struct{}
}

func guard(l net.Listener, maxConns int, writeTimeout time.Duration) net.Listener {
	g := &guardedListener{Listener: l, writeTimeout: writeTimeout, closed: make(chan struct{})}
	if maxConns > 0 {
		g.slots = make(chan struct{}, maxConns)
	}
	return g
}

func (g *guardedListener) Accept() (net.Conn, error) {
	if g.slots != nil {
		select {
		case g.slots <- struct{}{}:
		case <-g.closed:
			return nil, net.ErrClosed
		}
	}
	c, err := g.Listener.Accept()
	if err != nil {
		g.release()
		return nil, err
	}
	return &guardedConn{Conn: c, l: g}, nil
}

func (g *guardedListener) release() {
	if g.slots != nil {
		<-g.slots
	}
}

// Close wakes an Accept waiting for a slot. The bound listener may have
// been closed already (service.Stream closes it first): that is no error.
func (g *guardedListener) Close() error {
	g.closeOnce.Do(func() { close(g.closed) })
	if err := g.Listener.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// guardedConn frees its slot once on Close and, with a write timeout,
// gives each write that long to make progress (nginx's send_timeout):
// a slow but live reader of a large file is not cut off, a stalled one is.
type guardedConn struct {
	net.Conn
	l         *guardedListener
	closeOnce sync.Once
	renewAt   atomic.Int64 // unix nanos after which the deadline is renewed
}

// sendChunk bounds one sendfile(2) call, so that the write deadline is
// renewed at least every 128 KiB of progress.
const sendChunk = 128 << 10

func (c *guardedConn) renew() {
	d := c.l.writeTimeout
	if d <= 0 {
		return
	}
	now := time.Now()
	// Renewing costs a timer update; do it at most every d/4.
	if now.UnixNano() < c.renewAt.Load() {
		return
	}
	c.renewAt.Store(now.Add(d / 4).UnixNano())
	_ = c.Conn.SetWriteDeadline(now.Add(d))
}

// SetDeadline and SetWriteDeadline are net/http's and crypto/tls's (which
// clear the write deadline after a handshake, for one): the next write
// arms the guard's own deadline again, whatever they set.
func (c *guardedConn) SetDeadline(t time.Time) error {
	c.renewAt.Store(0)
	return c.Conn.SetDeadline(t)
}

func (c *guardedConn) SetWriteDeadline(t time.Time) error {
	c.renewAt.Store(0)
	return c.Conn.SetWriteDeadline(t)
}

func (c *guardedConn) Write(b []byte) (int, error) {
	c.renew()
	return c.Conn.Write(b)
}

// ReadFrom lets net/http use sendfile(2) or splice(2) of the underlying
// connection, in chunks so that each chunk gets a fresh write deadline.
func (c *guardedConn) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := c.Conn.(io.ReaderFrom)
	if !ok {
		return io.Copy(writeOnly{c}, r)
	}
	if c.l.writeTimeout <= 0 {
		return rf.ReadFrom(r)
	}
	src, limit := r, int64(-1)
	if lr, ok := r.(*io.LimitedReader); ok {
		src, limit = lr.R, lr.N
		defer func() { lr.N = limit }()
	}
	var total int64
	for limit != 0 {
		n := int64(sendChunk)
		if limit > 0 {
			n = min(n, limit)
		}
		c.renewAt.Store(0)
		c.renew()
		got, err := rf.ReadFrom(&io.LimitedReader{R: src, N: n})
		total += got
		if limit > 0 {
			limit -= got
		}
		if err != nil || got < n {
			return total, err
		}
	}
	return total, nil
}

// CloseWrite keeps net/http's lingering close (half-close, then drain)
// working through the wrapper.
func (c *guardedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *guardedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(c.l.release)
	return err
}

type writeOnly struct{ io.Writer }
