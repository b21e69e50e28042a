package reactor

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
)

// Port is a listening endpoint serving a factory (Twisted's IListeningPort),
// as returned by Reactor.Listen. Service wraps one for the service tree.
type Port interface {
	// Addr returns the bound address (read the port back after tcp:0).
	Addr() net.Addr
	// Serve calls the factory's StartFactory and begins accepting.
	Serve() error
	// StopListening stops accepting new connections; open ones go on.
	StopListening()
	// Stop stops listening, asks every connection to LoseConnection, waits
	// for them until ctx ends, aborts those left, and then calls
	// StopFactory. Safe to call twice and without Serve.
	Stop(ctx context.Context) error
	// Connections returns the number of open connections.
	Connections() int
}

// portCore is the bookkeeping both reactors' ports share: the open
// connections, the goroutines to wait for, and the factory.
type portCore struct {
	f    Factory
	opts *Options
	log  *slog.Logger
	desc string

	mu       sync.Mutex
	conns    map[*conn]struct{}
	refusing bool
	drained  chan struct{} // made by drain, closed when conns is empty
	wg       sync.WaitGroup

	started bool // StartFactory was called
	stopped bool
}

func newPortCore(f Factory, opts *Options, log *slog.Logger, desc string) portCore {
	if log == nil {
		log = discard
	}
	return portCore{f: f, opts: opts, log: log, desc: desc, conns: map[*conn]struct{}{}}
}

// add registers c and counts it for Stop; false once Stop has begun.
func (p *portCore) add(c *conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refusing {
		return false
	}
	p.conns[c] = struct{}{}
	p.wg.Add(1)
	return true
}

// connDone implements owner.
func (p *portCore) connDone(c *conn, reason error) {
	p.mu.Lock()
	delete(p.conns, c)
	if p.drained != nil && len(p.conns) == 0 {
		close(p.drained)
		p.drained = nil
	}
	p.mu.Unlock()
	p.log.Debug(fmt.Sprintf("connection from %s closed: %v", c.peer, reason))
	p.wg.Done()
}

// spawn implements owner; only live connections call it, so the wait
// group is above zero when it does.
func (p *portCore) spawn(fn func()) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		fn()
	}()
}

// Connections implements Port.
func (p *portCore) Connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// startFactory calls StartFactory once per port.
func (p *portCore) startFactory() {
	p.mu.Lock()
	first := !p.started
	p.started = true
	p.mu.Unlock()
	if first {
		startFactory(p.f, p.log)
	}
}

// drain refuses new connections, closes the open ones gracefully, aborts
// them when ctx ends, waits for every goroutine of the port and then stops
// the factory. It returns ctx's error if it had to abort.
func (p *portCore) drain(ctx context.Context) error {
	p.mu.Lock()
	p.refusing = true
	var open []*conn
	for c := range p.conns {
		open = append(open, c)
	}
	var drained chan struct{}
	if len(p.conns) > 0 {
		drained = make(chan struct{})
		p.drained = drained
	}
	p.mu.Unlock()
	for _, c := range open {
		c.LoseConnection()
	}
	var err error
	if drained != nil {
		select {
		case <-drained:
		case <-ctx.Done():
			err = ctx.Err()
			p.abortAll()
			<-drained
		}
	}
	p.wg.Wait()
	p.mu.Lock()
	stop := p.started && !p.stopped
	p.stopped = true
	p.mu.Unlock()
	if stop {
		stopFactory(p.f, p.log)
	}
	return err
}

// abortAll aborts every open connection.
func (p *portCore) abortAll() {
	p.mu.Lock()
	var open []*conn
	for c := range p.conns {
		open = append(open, c)
	}
	p.mu.Unlock()
	for _, c := range open {
		c.AbortConnection()
	}
}

// buildProtocol asks the factory for a protocol, turning a panic into a
// refusal.
func buildProtocol(f Factory, addr net.Addr, log *slog.Logger) (p Protocol) {
	defer func() {
		if r := recover(); r != nil {
			log.Error(fmt.Sprintf("factory %T panicked building a protocol for %s: %v", f, addr, r))
			p = nil
		}
	}()
	return f.BuildProtocol(addr)
}
