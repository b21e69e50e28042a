package reactor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
)

// errRefused is given to ClientConnectionFailed when the factory's
// BuildProtocol returned nil.
var errRefused = errors.New("the factory built no protocol")

// clients is the client half every reactor shares: the connectors made by
// Connect and the goroutines to wait for. dial hands an established
// connection to the reactor.
type clients struct {
	dial func(cn *Connector, nc net.Conn) error

	mu     sync.Mutex
	set    map[*Connector]struct{}
	wg     sync.WaitGroup
	closed bool
	stop   func() // frees the reactor's client machinery on Close
}

// Connect implements Reactor.
func (cs *clients) Connect(desc string, f ClientFactory, log *slog.Logger, opts ...Option) (*Connector, error) {
	ep, err := ParseClient(desc)
	if err != nil {
		return nil, err
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, errors.New("reactor: Connect without a factory")
	}
	if log == nil {
		log = discard
	}
	cn := &Connector{cs: cs, ep: ep, f: f, opts: o, log: log}
	cs.mu.Lock()
	if cs.closed {
		cs.mu.Unlock()
		return nil, errors.New("reactor: Connect after Close")
	}
	if cs.set == nil {
		cs.set = map[*Connector]struct{}{}
	}
	cs.set[cn] = struct{}{}
	cs.mu.Unlock()
	cn.Connect()
	return cn, nil
}

// spawn runs fn on a goroutine Close waits for; false after Close.
func (cs *clients) spawn(fn func()) bool {
	cs.mu.Lock()
	if cs.closed {
		cs.mu.Unlock()
		return false
	}
	cs.wg.Add(1)
	cs.mu.Unlock()
	go func() {
		defer cs.wg.Done()
		fn()
	}()
	return true
}

// Close implements Reactor.
func (cs *clients) Close(ctx context.Context) error {
	cs.mu.Lock()
	cs.closed = true
	var all []*Connector
	for cn := range cs.set {
		all = append(all, cn)
	}
	cs.mu.Unlock()
	for _, cn := range all {
		cn.Disconnect()
	}
	done := make(chan struct{})
	go func() {
		cs.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		for _, cn := range all {
			cn.abort()
		}
		<-done
	}
	cs.mu.Lock()
	stop := cs.stop
	cs.stop = nil
	cs.mu.Unlock()
	if stop != nil {
		stop()
	}
	return err
}

// Connector is one outgoing connection, made by Reactor.Connect (Twisted's
// IConnector). After a failure or a loss it can Connect again.
type Connector struct {
	cs   *clients
	ep   ClientEndpoint
	f    ClientFactory
	opts *Options
	log  *slog.Logger

	mu     sync.Mutex
	busy   bool // an attempt or a connection is under way
	cancel context.CancelFunc
	c      *conn
}

// Destination returns the client endpoint being connected to.
func (cn *Connector) Destination() ClientEndpoint { return cn.ep }

// Connect starts a new attempt, unless one is under way or connected; call
// it from ClientConnectionFailed or ClientConnectionLost to retry.
func (cn *Connector) Connect() {
	cn.mu.Lock()
	if cn.busy {
		cn.mu.Unlock()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cn.ep.Timeout)
	cn.busy, cn.cancel = true, cancel
	cn.mu.Unlock()
	startFactory(cn.f, cn.log)
	if !cn.cs.spawn(func() { cn.attempt(ctx) }) {
		cancel()
		cn.mu.Lock()
		cn.busy = false
		cn.mu.Unlock()
		stopFactory(cn.f, cn.log)
	}
}

func (cn *Connector) attempt(ctx context.Context) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, cn.ep.Network, cn.ep.Address)
	if err == nil {
		err = cn.cs.dial(cn, nc)
	}
	cn.mu.Lock()
	cn.cancel()
	cn.cancel = nil
	if err != nil {
		cn.busy = false
	}
	cn.mu.Unlock()
	if err != nil {
		cn.failed(fmt.Errorf("connect to %s: %w", cn.ep, err))
	}
}

// failed reports a failed attempt and releases the factory.
func (cn *Connector) failed(err error) {
	safeCall(cn.log, "ClientConnectionFailed", func() { cn.f.ClientConnectionFailed(cn, err) })
	stopFactory(cn.f, cn.log)
}

// attach records the connection the reactor made for this connector; the
// connection counts for Close until connDone.
func (cn *Connector) attach(c *conn) {
	cn.cs.mu.Lock()
	cn.cs.wg.Add(1) // the attempt's goroutine holds the count above zero
	cn.cs.mu.Unlock()
	cn.mu.Lock()
	cn.c = c
	cn.mu.Unlock()
}

// connDone implements owner: the connection ended, after ConnectionLost.
func (cn *Connector) connDone(c *conn, reason error) {
	cn.mu.Lock()
	cn.c = nil
	cn.busy = false
	cn.mu.Unlock()
	c.mu.Lock()
	made := c.made
	c.mu.Unlock()
	if made {
		safeCall(cn.log, "ClientConnectionLost", func() { cn.f.ClientConnectionLost(cn, reason) })
		stopFactory(cn.f, cn.log)
	} else {
		cn.failed(fmt.Errorf("connect to %s: %w", cn.ep, errRefused))
	}
	cn.cs.wg.Done()
}

// spawn implements owner.
func (cn *Connector) spawn(fn func()) {
	cn.cs.wg.Add(1) // a live connection holds the count above zero
	go func() {
		defer cn.cs.wg.Done()
		fn()
	}()
}

// StopConnecting abandons an attempt under way; ClientConnectionFailed
// follows with context.Canceled.
func (cn *Connector) StopConnecting() {
	cn.mu.Lock()
	cancel := cn.cancel
	cn.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// Disconnect stops an attempt under way or closes the connection
// gracefully.
func (cn *Connector) Disconnect() {
	cn.StopConnecting()
	cn.mu.Lock()
	c := cn.c
	cn.mu.Unlock()
	if c != nil {
		c.LoseConnection()
	}
}

func (cn *Connector) abort() {
	cn.StopConnecting()
	cn.mu.Lock()
	c := cn.c
	cn.mu.Unlock()
	if c != nil {
		c.AbortConnection()
	}
}

// dialNetpoll serves an established connection on its own goroutine.
func dialNetpoll(cn *Connector, nc net.Conn) error {
	c := newNPConn(nc, cn, cn.opts, cn.log)
	cn.attach(&c.conn)
	cn.spawn(func() { c.serve(cn.f, nil) })
	return nil
}

// safeCall runs a factory callback, logging a panic instead of dying.
func safeCall(log *slog.Logger, what string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			log.Error(fmt.Sprintf("%s panicked: %v", what, r))
		}
	}()
	fn()
}
