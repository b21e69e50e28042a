package reactor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/service"
)

// Service serves a factory on one endpoint with the chosen reactor, as a
// node of the service tree (Twisted's StreamServerEndpointService):
//
//	PrivilegedStart  bind (gnet: run the engine and wait for its boot)
//	Start            StartFactory, then accept connections
//	BeginStop        stop accepting (logs "closed ...")
//	Stop             close every connection gracefully, abort what is left
//	                 when ctx ends, then StopFactory
//
// Log lines have the shape of service.Stream's: "listening on ENDPOINT
// (ADDRESS)" and "closed ENDPOINT".
type Service struct {
	name string
	r    Reactor
	ep   endpoint.Endpoint
	f    Factory
	log  *slog.Logger
	opts []Option

	mu    sync.Mutex
	port  Port
	begin sync.Once
}

// NewService returns a Service called name that serves f on ep with the
// reactor called reactorName (pass runner.Env.Reactor). It binds nothing:
// it only checks that the reactor exists, that it can serve ep and that
// the options are sane, so plugins call it from Make. Pass
// WithEndpointEnv(env.EndpointEnv()) for systemd sockets and
// WithFail(env.Fail) so that a listener that dies stops the process.
func NewService(name, reactorName string, ep endpoint.Endpoint, f Factory, log *slog.Logger, opts ...Option) (*Service, error) {
	if f == nil {
		return nil, errors.New("reactor: NewService without a factory")
	}
	if err := CheckEndpoint(reactorName, ep); err != nil {
		return nil, err
	}
	if _, err := buildOptions(opts); err != nil {
		return nil, err
	}
	r, err := New(reactorName)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = discard
	}
	return &Service{name: name, r: r, ep: ep, f: f, log: log, opts: opts}, nil
}

// Name returns the name given to NewService.
func (s *Service) Name() string { return s.name }

// Reactor returns the reactor serving the service.
func (s *Service) Reactor() Reactor { return s.r }

// Addr returns the bound address, or nil before PrivilegedStart.
func (s *Service) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.port == nil {
		return nil
	}
	return s.port.Addr()
}

// Connections returns the number of open connections.
func (s *Service) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.port == nil {
		return 0
	}
	return s.port.Connections()
}

// PrivilegedStart binds the endpoint.
func (s *Service) PrivilegedStart(ctx context.Context) error {
	p, err := s.r.Listen(ctx, s.ep, s.f, s.log, s.opts...)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.port = p
	s.mu.Unlock()
	s.log.Info(fmt.Sprintf("listening on %s (%s)", s.ep, p.Addr()))
	return nil
}

// Start begins accepting connections.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	p := s.port
	s.mu.Unlock()
	if p == nil {
		return fmt.Errorf("%s: Start before PrivilegedStart", s.ep)
	}
	return p.Serve()
}

// BeginStop stops accepting new connections.
func (s *Service) BeginStop() {
	s.begin.Do(func() {
		s.mu.Lock()
		p := s.port
		s.mu.Unlock()
		if p == nil {
			return
		}
		p.StopListening()
		s.log.Info(fmt.Sprintf("closed %s", s.ep))
	})
}

// Stop closes the connections and waits for them until ctx ends.
func (s *Service) Stop(ctx context.Context) error {
	s.BeginStop()
	s.mu.Lock()
	p := s.port
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.Stop(ctx)
}

var (
	_ service.Service      = (*Service)(nil)
	_ service.StopBeginner = (*Service)(nil)
)
