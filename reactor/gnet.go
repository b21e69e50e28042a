package reactor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/gotwistd/gotwistd/endpoint"
)

// gnetReactor runs connections on gnet's event loops: one engine per
// listening port, its sockets bound by gnet itself.
type gnetReactor struct {
	clients
	gcli *gnet.Client // guarded by clients.mu; started by the first Connect
}

func (r *gnetReactor) Name() string { return "gnet" }

// gnetAddr turns an endpoint into gnet's address form, or says why gnet
// cannot serve it.
func gnetAddr(ep endpoint.Endpoint) (string, error) {
	switch e := ep.(type) {
	case *endpoint.TCP:
		return e.Network() + "://" + e.Addr(), nil
	case *endpoint.Unix:
		return "", fmt.Errorf("reactor gnet cannot serve %s: gnet deletes whatever is at a unix socket's path before binding, without twistd's lock; use --reactor netpoll for unix: endpoints", ep)
	case *endpoint.TLS:
		return "", fmt.Errorf("reactor gnet cannot serve %s: gnet has no TLS; use --reactor netpoll for ssl: endpoints", ep)
	case *endpoint.Systemd:
		return "", fmt.Errorf("reactor gnet cannot serve %s: gnet binds its own sockets and cannot take one from systemd; use --reactor netpoll", ep)
	}
	return "", fmt.Errorf("reactor gnet cannot serve %s: it serves tcp and tcp6 endpoints only", ep)
}

// gnetOptions are the engine options every gnet port and client uses.
func gnetOptions(o *Options, log *slog.Logger) []gnet.Option {
	opts := []gnet.Option{
		gnet.WithMulticore(true),
		gnet.WithReuseAddr(true),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithLogger(gnetLogger{log}),
	}
	if o.EventLoops > 0 {
		opts = append(opts, gnet.WithNumEventLoop(o.EventLoops))
	}
	return opts
}

// Listen starts a gnet engine on ep and returns once it is bound. The
// engine's event loops wait for Serve before accepting anything.
func (r *gnetReactor) Listen(ctx context.Context, ep endpoint.Endpoint, f Factory, log *slog.Logger, opts ...Option) (Port, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	addr, err := gnetAddr(ep)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := &gnetPort{
		portCore: newPortCore(f, o, log, ep.String()),
		booted:   make(chan struct{}),
		release:  make(chan bool, 1),
		ran:      make(chan struct{}),
	}
	go p.run(addr)
	select {
	case <-p.booted:
		return p, nil
	case <-p.ran:
		return nil, fmt.Errorf("listen %s: %w", ep, p.runErr)
	case <-ctx.Done():
		p.release <- false
		<-p.ran
		return nil, ctx.Err()
	}
}

// gnetPort is one gnet engine serving one factory; it is the engine's
// event handler.
type gnetPort struct {
	portCore
	gnet.BuiltinEventEngine

	eng     gnet.Engine
	addr    net.Addr
	booted  chan struct{} // closed by OnBoot
	release chan bool     // true: serve; false: shut down without serving
	ran     chan struct{} // closed when gnet.Run returned
	runErr  error

	serveOnce sync.Once
	stopOnce  sync.Once
	stopErr   error
	stopping  bool // guarded by portCore.mu
}

func (p *gnetPort) run(addr string) {
	defer close(p.ran)
	p.runErr = gnet.Run(p, addr, gnetOptions(p.opts, p.log)...)
	p.mu.Lock()
	stopping := p.stopping
	p.mu.Unlock()
	select {
	case <-p.booted:
		if !stopping && p.opts.Fail != nil {
			err := p.runErr
			if err == nil {
				err = errors.New("the gnet engine shut down")
			}
			p.opts.Fail(fmt.Errorf("%s stopped serving: %w", p.desc, err))
		}
	default:
	}
}

// OnBoot runs once gnet has bound the listener, before its event loops
// start: it reads the bound address back, reports the boot, and holds the
// loops until Serve (or Stop) says what to do.
func (p *gnetPort) OnBoot(eng gnet.Engine) gnet.Action {
	p.eng = eng
	p.addr = boundAddr(eng)
	close(p.booted)
	if !<-p.release {
		return gnet.Shutdown
	}
	return gnet.None
}

// boundAddr asks the kernel for the listener's address.
func boundAddr(eng gnet.Engine) net.Addr {
	fd, err := eng.Dup()
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil
	}
	return sockaddrTCP(sa)
}

func sockaddrTCP(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	}
	return nil
}

func (p *gnetPort) Addr() net.Addr { return p.addr }

// localAddr is a connection's local address: gnet gives the listener's
// address as written (port 0, or an unspecified IP), so ask the kernel
// unless the bound address says it all.
func (p *gnetPort) localAddr(gc gnet.Conn) net.Addr {
	if a, ok := p.addr.(*net.TCPAddr); ok && !a.IP.IsUnspecified() {
		return a
	}
	if sa, err := unix.Getsockname(gc.Fd()); err == nil {
		if a := sockaddrTCP(sa); a != nil {
			return a
		}
	}
	return gc.LocalAddr()
}

func (p *gnetPort) Serve() error {
	p.serveOnce.Do(func() {
		p.startFactory()
		p.release <- true
	})
	return nil
}

// StopListening refuses new connections. gnet offers no way to close its
// listener apart from the whole engine, so the port stays bound until
// Stop, and a connection that arrives meanwhile is closed at once.
func (p *gnetPort) StopListening() {
	p.mu.Lock()
	p.refusing = true
	p.stopping = true
	p.mu.Unlock()
}

func (p *gnetPort) Stop(ctx context.Context) error {
	p.StopListening()
	p.stopOnce.Do(func() {
		select {
		case p.release <- false: // never served: OnBoot shuts the engine down
		default:
		}
		p.stopErr = p.drain(ctx)
		// Engine.Stop polls every half second for the engine to be gone;
		// with an ended context it only triggers the shutdown, and the end
		// of gnet.Run says when it is complete.
		done, cancel := context.WithCancel(context.Background())
		cancel()
		_ = p.eng.Stop(done)
		<-p.ran
	})
	return p.stopErr
}

// OnOpen builds the protocol of a new connection and calls ConnectionMade
// on the event loop.
func (p *gnetPort) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	c := newGConn(gc, p, p.opts, p.log)
	c.host = p.localAddr(gc)
	if !p.add(&c.conn) {
		return nil, gnet.Close
	}
	gc.SetContext(c)
	c.proto = buildProtocol(p.f, c.peer, p.log)
	if c.proto == nil {
		return nil, gnet.Close
	}
	c.begin(true)
	return nil, gnet.None
}

func (p *gnetPort) OnTraffic(gc gnet.Conn) gnet.Action { return onTraffic(gc) }

func (p *gnetPort) OnClose(gc gnet.Conn, err error) gnet.Action {
	onClose(gc, err)
	return gnet.None
}

// gConn is a connection on a gnet event loop. Its callbacks run on the
// loop, except those of timers and ResumeProducing, which run on their own
// goroutine and hand their writes to the loop with Wake.
type gConn struct {
	conn
	gc gnet.Conn
	// Guarded by conn.mu. gone is set by OnClose: after it the gnet.Conn
	// must not be touched from outside the loop, since its poller may be
	// closed and the eventfd's number reused.
	gone    bool
	kicked  bool // a Wake to flush is on its way
	closing bool // Close was asked of gnet
	polling bool // a drain poll is armed
	pollDur time.Duration
	flushFn func() // c.flushOnLoop, made once

	// Loop-only: the event loop's epoll descriptor (-1: unknown) and
	// whether reading is switched off (see gnet_pause_linux.go).
	epfd    int
	readOff bool
}

func newGConn(gc gnet.Conn, own owner, opts *Options, log *slog.Logger) *gConn {
	c := &gConn{gc: gc}
	c.conn = conn{io: c, own: own, opts: opts, log: log, peer: gc.RemoteAddr(), host: gc.LocalAddr()}
	c.flushFn = c.flushOnLoop
	c.epfd = pollerFD(gc)
	return c
}

// onTraffic delivers what gnet read (or, after a Wake, what it kept while
// the connection was paused) and flushes what the protocol wrote.
func onTraffic(gc gnet.Conn) gnet.Action {
	c, _ := gc.Context().(*gConn)
	if c == nil {
		return gnet.Close
	}
	// gnet does not say when its write buffer drains: look now, so that a
	// connection paused by its write buffer resumes as soon as it can.
	out := gc.OutboundBuffered()
	c.mu.Lock()
	var low Producer
	if !c.gone && len(c.pending) == 0 && out < c.inflight {
		c.inflight = out
		low, _ = c.checkLowLocked()
	}
	state, paused := c.state, c.paused || c.wpaused
	c.mu.Unlock()
	if low != nil {
		low.ResumeProducing()
	}
	switch {
	case state != stateOpen:
		_, _ = gc.Discard(gc.InboundBuffered())
	case paused:
		if gc.InboundBuffered() > c.opts.MaxPausedRead {
			c.closeWith(ErrReadBufferFull, true)
		}
	case gc.InboundBuffered() > 0:
		data, _ := gc.Next(-1)
		c.touch()
		c.callback(true, func() { c.proto.DataReceived(data) })
		return gnet.None
	}
	c.flushOnLoop()
	return gnet.None
}

// onClose hands the last bytes to gnet, which tries to send them before it
// closes the socket, and delivers ConnectionLost.
func onClose(gc gnet.Conn, err error) {
	c, _ := gc.Context().(*gConn)
	if c == nil {
		return
	}
	c.mu.Lock()
	c.gone = true
	last := c.pending
	c.pending = nil
	aborted := c.state == stateClosed && c.reason != nil && !errors.Is(c.reason, ErrConnectionDone)
	c.mu.Unlock()
	if len(last) > 0 && !aborted {
		_, _ = gc.Write(last)
	}
	c.finish(err)
}

// flushOnLoop writes pending into gnet (which keeps what the socket does
// not take), then looks at what is left: flow control, a LoseConnection
// that is complete, a drain poll while gnet still holds bytes.
func (c *gConn) flushOnLoop() {
	c.mu.Lock()
	if c.gone {
		c.mu.Unlock()
		return
	}
	buf := c.pending
	c.pending = nil
	c.kicked = false
	prev := c.inflight
	c.inflight += len(buf) // until gnet says what it kept
	c.mu.Unlock()
	if len(buf) > 0 {
		_, _ = c.gc.Write(buf)
	}
	c.mu.Lock()
	if c.gone { // the write failed and gnet closed the connection
		c.mu.Unlock()
		return
	}
	if cap(buf) <= 2*readBufferSize && c.spare == nil {
		c.spare = buf[:0]
	}
	c.inflight = c.gc.OutboundBuffered()
	high := c.checkHighLocked()
	low, _ := c.checkLowLocked()
	closeNow := c.state == stateLosing && len(c.pending) == 0 && c.inflight == 0
	if closeNow {
		c.state = stateClosed
		c.closing = true
	}
	if c.inflight == 0 {
		c.pollDur = 0
	} else if !c.polling && !closeNow {
		c.polling = true
		c.pollDur = min(max(2*c.pollDur, time.Millisecond), 64*time.Millisecond)
		time.AfterFunc(c.pollDur, c.poll)
	}
	c.mu.Unlock()
	if c.inflight < prev {
		c.touch()
	}
	if high != nil {
		high.PauseProducing()
	}
	if low != nil {
		low.ResumeProducing()
	}
	if closeNow {
		_ = c.gc.Close()
		return
	}
	c.syncReading()
}

// syncReading switches reading off while the connection is paused (by
// PauseProducing or by its write buffer) and back on after. While off it
// reapplies the setting every time, since gnet turns reading on again
// when its write buffer drains. On the loop only.
func (c *gConn) syncReading() {
	if c.epfd < 0 {
		return
	}
	c.mu.Lock()
	want := c.state != stateOpen || !(c.paused || c.wpaused)
	gone := c.gone
	c.mu.Unlock()
	if gone || (want && !c.readOff) {
		return
	}
	if err := setReading(c.epfd, c.gc.Fd(), want, c.gc.OutboundBuffered() > 0); err == nil {
		c.readOff = !want
	}
}

// poll wakes the loop to look at a connection whose bytes gnet still
// holds: gnet does not say when its buffer drains.
func (c *gConn) poll() {
	c.mu.Lock()
	c.polling = false
	if !c.gone {
		_ = c.gc.Wake(nil)
	}
	c.mu.Unlock()
}

// kickLocked wakes the loop to flush. Wake only queues a task, so it is
// called with the lock held, which keeps OnClose (and the poller's close)
// from passing in between.
func (c *gConn) kickLocked() func() {
	if !c.kicked && !c.gone {
		c.kicked = true
		_ = c.gc.Wake(nil)
	}
	return nil
}

func (c *gConn) afterCallbackLocked(onLoop bool) func() {
	if onLoop {
		return c.flushFn
	}
	if len(c.pending) > 0 {
		return c.kickLocked()
	}
	return nil
}

func (c *gConn) quietLocked() bool {
	return len(c.pending) == 0 && c.inflight == 0 && !c.kicked
}

func (c *gConn) closeSocket() {
	c.mu.Lock()
	if !c.gone && !c.closing {
		c.closing = true
		_ = c.gc.Close()
	}
	c.mu.Unlock()
}

// wakeReader wakes the loop so that it delivers what gnet kept while the
// connection was paused.
func (c *gConn) wakeReader() {
	c.mu.Lock()
	if !c.gone {
		_ = c.gc.Wake(nil)
	}
	c.mu.Unlock()
}

// gnetLogger sends gnet's own log lines to the service's logger; gnet's
// chatter is debug detail, its errors are errors.
type gnetLogger struct{ log *slog.Logger }

func (l gnetLogger) Debugf(format string, args ...any) {
	l.log.Debug("gnet: " + fmt.Sprintf(format, args...))
}
func (l gnetLogger) Infof(format string, args ...any) {
	l.log.Debug("gnet: " + fmt.Sprintf(format, args...))
}
func (l gnetLogger) Warnf(format string, args ...any) {
	l.log.Warn("gnet: " + fmt.Sprintf(format, args...))
}
func (l gnetLogger) Errorf(format string, args ...any) {
	l.log.Error("gnet: " + fmt.Sprintf(format, args...))
}
func (l gnetLogger) Fatalf(format string, args ...any) {
	l.log.Error("gnet: " + fmt.Sprintf(format, args...))
}
