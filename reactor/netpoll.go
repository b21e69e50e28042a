package reactor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gotwistd/gotwistd/endpoint"
)

// netpollReactor runs each connection on its own goroutine over Go's
// runtime netpoller. It has no state of its own: ports and connectors hold
// everything.
type netpollReactor struct {
	clients
}

func (r *netpollReactor) Name() string { return "netpoll" }

// Listen binds ep with its own Listen, so every stream endpoint works.
func (r *netpollReactor) Listen(ctx context.Context, ep endpoint.Endpoint, f Factory, log *slog.Logger, opts ...Option) (Port, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if _, ok := ep.(endpoint.PacketEndpoint); ok {
		return nil, fmt.Errorf("reactor: %s is a datagram endpoint; protocols need a stream (tcp, unix, ssl)", ep)
	}
	l, err := ep.Listen(ctx, o.EndpointEnv)
	if err != nil {
		return nil, err
	}
	return &npPort{portCore: newPortCore(f, o, log, ep.String()), l: l}, nil
}

// npPort accepts on a net.Listener, one goroutine per connection.
type npPort struct {
	portCore
	l        net.Listener
	stopping atomic.Bool
	serving  sync.Once
	accepted chan struct{} // closed when the accept loop ends
	stopOnce sync.Once
	stopErr  error
}

func (p *npPort) Addr() net.Addr { return p.l.Addr() }

func (p *npPort) Serve() error {
	p.serving.Do(func() {
		p.startFactory()
		p.accepted = make(chan struct{})
		go p.acceptLoop()
	})
	return nil
}

func (p *npPort) acceptLoop() {
	defer close(p.accepted)
	var delay time.Duration
	for {
		nc, err := p.l.Accept()
		if err != nil {
			if p.stopping.Load() || errors.Is(err, net.ErrClosed) {
				if !p.stopping.Load() && p.opts.Fail != nil {
					p.opts.Fail(fmt.Errorf("%s stopped accepting: %w", p.desc, err))
				}
				return
			}
			// Out of file descriptors and the like: wait and try again,
			// as net/http does, instead of spinning or giving up.
			if delay == 0 {
				delay = 5 * time.Millisecond
			} else if delay *= 2; delay > time.Second {
				delay = time.Second
			}
			p.log.Warn(fmt.Sprintf("accept on %s: %v; retrying in %s", p.desc, err, delay))
			time.Sleep(delay)
			continue
		}
		delay = 0
		c := newNPConn(nc, p, p.opts, p.log)
		if !p.add(&c.conn) {
			nc.Close()
			continue
		}
		go c.serve(p.f, nil)
	}
}

func (p *npPort) StopListening() {
	if p.stopping.Swap(true) {
		return
	}
	p.l.Close()
}

func (p *npPort) Stop(ctx context.Context) error {
	p.StopListening()
	p.stopOnce.Do(func() {
		if p.accepted != nil {
			<-p.accepted
		}
		p.stopErr = p.drain(ctx)
	})
	return p.stopErr
}

// npConn is a connection served by its own goroutine: the reader. The
// reader calls every callback that data triggers and writes what they
// wrote before reading again, so a peer that does not read stops the
// reader; writes from other goroutines are sent by a short-lived flusher.
type npConn struct {
	conn
	nc   net.Conn
	rc   syscall.RawConn // nil when nc has no file descriptor (TLS)
	cond sync.Cond       // on conn.mu: pausing, writing or state changed

	writing   bool // a goroutine owns the write side
	closeOnce sync.Once

	flushFn func() // c.flush, made once

	// The reader's state for rawRead.
	rawRead func(fd uintptr) bool
	rbuf    *[]byte
	rn      int
	rerr    error
}

func newNPConn(nc net.Conn, own owner, opts *Options, log *slog.Logger) *npConn {
	c := &npConn{nc: nc}
	c.conn = conn{io: c, own: own, opts: opts, log: log, peer: nc.RemoteAddr(), host: nc.LocalAddr()}
	c.cond.L = &c.conn.mu
	c.flushFn = c.flush
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			c.rc = rc
			c.rawRead = c.readRaw
		}
	}
	return c
}

// serve is the reader goroutine: build the protocol, then read and
// deliver until the connection ends, then ConnectionLost. after, when not
// nil, runs after ConnectionLost (connectors report the loss there).
func (c *npConn) serve(f Factory, after func()) {
	c.proto = buildProtocol(f, c.peer, c.log)
	if c.proto == nil {
		c.closeSocket()
		c.finish(nil)
		return
	}
	c.begin(true)
	err := c.readLoop()
	switch {
	case err == nil:
	case isEOF(err):
		// The peer is done sending; what we still have to send goes
		// first, as LoseConnection would.
		c.closeWith(ErrConnectionDone, false)
	default:
		c.closeWith(lostReason(err), true)
	}
	c.mu.Lock()
	for c.state != stateClosed || c.writing {
		c.cond.Wait()
	}
	c.mu.Unlock()
	c.closeSocket()
	c.finish(err)
}

// readLoop reads and delivers until reading fails or the connection stops
// being open; it returns the read error, nil when the state ended it.
func (c *npConn) readLoop() error {
	for {
		c.mu.Lock()
		for c.state == stateOpen && (c.paused || c.wpaused) {
			c.cond.Wait()
		}
		open := c.state == stateOpen
		c.mu.Unlock()
		if !open {
			return nil
		}
		buf, n, err := c.read()
		if n > 0 {
			c.touch()
			c.mu.Lock()
			for c.state == stateOpen && c.paused {
				c.cond.Wait()
			}
			open = c.state == stateOpen
			c.mu.Unlock()
			if open {
				c.deliver((*buf)[:n])
			}
		}
		putReadBuf(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
	}
}

// deliver runs DataReceived as a callback.
func (c *npConn) deliver(data []byte) {
	c.callback(true, func() { c.proto.DataReceived(data) })
}

// read waits for data and reads it. With a file descriptor the buffer is
// taken from the pool only once data is there, so an idle connection
// holds none. The returned buffer goes back with putReadBuf.
func (c *npConn) read() (*[]byte, int, error) {
	if c.rc == nil {
		buf := getReadBuf()
		n, err := c.nc.Read(*buf)
		return buf, n, err
	}
	c.rbuf, c.rn, c.rerr = nil, 0, nil
	err := c.rc.Read(c.rawRead)
	buf, n, rerr := c.rbuf, c.rn, c.rerr
	c.rbuf = nil
	if n < 0 {
		n = 0
	}
	switch {
	case err != nil:
		return buf, n, err
	case rerr != nil:
		return buf, n, &net.OpError{Op: "read", Net: c.nc.LocalAddr().Network(), Source: c.host, Addr: c.peer, Err: rerr}
	case n == 0:
		return buf, 0, io.EOF
	}
	return buf, n, nil
}

// rawRead is the function given to RawConn.Read (made once per
// connection, so reading allocates nothing): false asks to wait for the
// socket to be readable.
func (c *npConn) readRaw(fd uintptr) bool {
	if c.rbuf == nil {
		c.rbuf = getReadBuf()
	}
	for {
		c.rn, c.rerr = syscall.Read(int(fd), *c.rbuf)
		if c.rerr != syscall.EINTR {
			break
		}
	}
	if c.rerr == syscall.EAGAIN {
		putReadBuf(c.rbuf)
		c.rbuf = nil
		return false
	}
	return true
}

// kickLocked starts a flusher for bytes written from outside the
// connection's callbacks, unless a goroutine already owns the write side.
func (c *npConn) kickLocked() func() {
	if c.writing {
		return nil
	}
	c.writing = true
	return func() { c.own.spawn(c.flushFn) }
}

// afterCallbackLocked makes the goroutine that ran the callback write
// what it wrote, unless a flusher is already at it.
func (c *npConn) afterCallbackLocked(bool) func() {
	if c.writing || len(c.pending) == 0 {
		return nil
	}
	c.writing = true
	return c.flushFn
}

func (c *npConn) quietLocked() bool { return !c.writing && len(c.pending) == 0 }

// flush writes pending until it is empty; the caller set writing. It
// closes the connection once a LoseConnection is complete.
func (c *npConn) flush() {
	for {
		c.mu.Lock()
		if len(c.pending) == 0 || c.state == stateClosed {
			c.writing = false
			c.inflight = 0
			closeNow := c.state == stateLosing
			if closeNow {
				c.state = stateClosed
			}
			prod, wake := c.checkLowLocked()
			c.mu.Unlock()
			c.cond.Broadcast()
			if closeNow {
				c.closeSocket()
			}
			if prod != nil {
				prod.ResumeProducing()
			}
			_ = wake
			return
		}
		buf := c.pending
		c.pending = nil
		c.inflight = len(buf)
		c.mu.Unlock()

		_, err := c.nc.Write(buf)

		c.mu.Lock()
		c.inflight = 0
		if cap(buf) <= 2*readBufferSize {
			c.spare = buf[:0]
		}
		prod, wake := c.checkLowLocked()
		c.mu.Unlock()
		if wake {
			c.cond.Broadcast()
		}
		if prod != nil {
			prod.ResumeProducing()
		}
		if err != nil {
			c.mu.Lock()
			c.writing = false
			c.mu.Unlock()
			c.cond.Broadcast()
			c.closeWith(lostReason(err), true)
			return
		}
		c.touch()
	}
}

func (c *npConn) closeSocket() {
	c.closeOnce.Do(func() { c.nc.Close() })
}

func (c *npConn) wakeReader() { c.cond.Broadcast() }

// readPool holds read buffers between reads.
var readPool = sync.Pool{New: func() any { b := make([]byte, readBufferSize); return &b }}

func getReadBuf() *[]byte { return readPool.Get().(*[]byte) }

func putReadBuf(b *[]byte) {
	if b != nil {
		readPool.Put(b)
	}
}
