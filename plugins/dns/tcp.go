package dns

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/gotwistd/gotwistd/service"
)

// tcpServer serves DNS over TCP with miekg/dns's server on a listener bound
// in PrivilegedStart; it is the StreamServer of a service.Stream, which
// logs the listening and closed lines and closes the listener first on
// stop. Connections then finish the query in hand and close (RFC 7766).
type tcpServer struct {
	h dns.Handler

	mu      sync.Mutex
	srv     *dns.Server
	started chan struct{}
	closed  bool
}

var _ service.StreamServer = (*tcpServer)(nil)

// Timeouts of a TCP connection: for the first query, and between queries
// (RFC 7766 §6.2.3 suggests a few seconds when idle).
const (
	tcpReadTimeout  = 2 * time.Second
	tcpWriteTimeout = 2 * time.Second
	tcpIdleTimeout  = 8 * time.Second
)

// Serve serves l until Shutdown.
func (t *tcpServer) Serve(l net.Listener) error {
	started := make(chan struct{})
	srv := &dns.Server{
		Listener:          l,
		Handler:           t.h,
		ReadTimeout:       tcpReadTimeout,
		WriteTimeout:      tcpWriteTimeout,
		IdleTimeout:       func() time.Duration { return tcpIdleTimeout },
		NotifyStartedFunc: func() { close(started) },
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.srv, t.started = srv, started
	t.mu.Unlock()
	return srv.ActivateAndServe()
}

// Shutdown stops reading new queries on every connection and waits for
// the answers in progress until ctx ends.
func (t *tcpServer) Shutdown(ctx context.Context) error {
	t.mu.Lock()
	t.closed = true
	srv, started := t.srv, t.started
	t.mu.Unlock()
	if srv == nil {
		return nil
	}
	// ActivateAndServe may not have marked the server started yet; miekg
	// refuses to shut down a server that has not started.
	select {
	case <-started:
	case <-ctx.Done():
		return ctx.Err()
	}
	return srv.ShutdownContext(ctx)
}
