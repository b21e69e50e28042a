package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
)

// StreamServer is a server library's serving half: it serves connections
// from a listener that is already bound until Shutdown. *http.Server fits.
type StreamServer interface {
	Serve(l net.Listener) error
	Shutdown(ctx context.Context) error
}

// ListenFunc binds one listener; endpoint.Endpoint's Listen, curried with
// the runner's endpoint environment, is the usual one.
type ListenFunc func(ctx context.Context) (net.Listener, error)

// Stream turns a listen function and a StreamServer into a Service
// (Twisted's StreamServerEndpointService): it binds in PrivilegedStart,
// serves in Start, closes the listener in BeginStop and shuts the server down
// in Stop. Each milestone is one log line naming the endpoint.
type Stream struct {
	name   string
	desc   string
	listen ListenFunc
	srv    StreamServer
	log    *slog.Logger
	fail   func(error)

	mu       sync.Mutex
	l        net.Listener
	served   chan struct{} // closed when Serve returns
	stopping atomic.Bool
	begin    sync.Once
	stop     sync.Once
	stopErr  error
}

// NewStream returns a Stream called name. desc is the endpoint's canonical
// string for log lines; log may be nil (no lines); fail, which may be nil,
// is called if Serve ends by itself with an error, so that the runner can
// stop the process instead of running on without this server.
func NewStream(name, desc string, listen ListenFunc, srv StreamServer, log *slog.Logger, fail func(error)) *Stream {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Stream{name: name, desc: desc, listen: listen, srv: srv, log: log, fail: fail}
}

// Name returns the name given to NewStream.
func (s *Stream) Name() string { return s.name }

// Binds returns the endpoint's canonical string (service.Binder).
func (s *Stream) Binds() []string { return []string{s.desc} }

// Addr returns the bound address, or nil before PrivilegedStart.
func (s *Stream) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.l == nil {
		return nil
	}
	return s.l.Addr()
}

// PrivilegedStart binds the listener.
func (s *Stream) PrivilegedStart(ctx context.Context) error {
	l, err := s.listen(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.l = l
	s.mu.Unlock()
	s.log.Info(fmt.Sprintf("listening on %s (%s)", s.desc, l.Addr()))
	return nil
}

// Start serves on the listener in a goroutine.
func (s *Stream) Start(ctx context.Context) error {
	s.mu.Lock()
	l := s.l
	s.mu.Unlock()
	if l == nil {
		return fmt.Errorf("%s: Start before PrivilegedStart", s.desc)
	}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		err := s.srv.Serve(l)
		if err != nil && !s.stopping.Load() && s.fail != nil {
			s.fail(fmt.Errorf("%s stopped serving: %w", s.desc, err))
		}
	}()
	return nil
}

// BeginStop closes the listener, so no new connection is accepted.
func (s *Stream) BeginStop() {
	s.begin.Do(func() {
		s.stopping.Store(true)
		s.mu.Lock()
		l := s.l
		s.mu.Unlock()
		if l == nil {
			return
		}
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Warn(fmt.Sprintf("closing %s: %v", s.desc, err))
		}
		s.log.Info(fmt.Sprintf("closed %s", s.desc))
	})
}

// Stop closes the listener if BeginStop did not, then lets the server drain
// its connections until ctx ends.
func (s *Stream) Stop(ctx context.Context) error {
	s.BeginStop()
	s.stop.Do(func() {
		if s.served == nil {
			return
		}
		s.stopErr = s.srv.Shutdown(ctx)
		if errors.Is(s.stopErr, net.ErrClosed) {
			// http.Server.Shutdown closes its listeners again; BeginStop
			// already did, and that is not a failed stop.
			s.stopErr = nil
		}
		select {
		case <-s.served:
		case <-ctx.Done():
			if s.stopErr == nil {
				s.stopErr = ctx.Err()
			}
		}
	})
	return s.stopErr
}

var (
	_ Service      = (*Stream)(nil)
	_ StopBeginner = (*Stream)(nil)
	_ Binder       = (*Stream)(nil)
)
