package runner

import (
	"context"
	"log/slog"
	"net"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/service"
)

// Env is what the runner hands a plugin's Make: the decisions it took for
// the whole process. The zero value works (no log lines, default reactor,
// failures ignored), so tests may build one by hand.
type Env struct {
	// Logger prefixes every line with the plugin's name, as [echo]; a
	// service may narrow it with Logger.With("system", "echo,3,127.0.0.1").
	Logger *slog.Logger
	// Reactor is the reactor chosen with --reactor ("netpoll" by default).
	Reactor string
	// Endpoints carries what endpoints need at Listen time (sockets
	// inherited from systemd). The runner fills it before PrivilegedStart.
	Endpoints *endpoint.Env
	// Debug is true under --debug or --spew: log more.
	Debug bool
	// OnFail, when set, is called by a service whose serving loop died; the
	// runner then stops the tree and exits non-zero. Call Fail, not this.
	OnFail func(error)
}

// Log returns the plugin's logger, or one that discards when none was set.
func (e Env) Log() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

// ReactorName returns Reactor, or the default reactor when none was set.
func (e Env) ReactorName() string {
	if e.Reactor == "" {
		return DefaultReactor
	}
	return e.Reactor
}

// EndpointEnv returns Endpoints, or an empty environment when none was set.
func (e Env) EndpointEnv() *endpoint.Env {
	if e.Endpoints == nil {
		return &endpoint.Env{}
	}
	return e.Endpoints
}

// Fail reports that a service can no longer serve.
func (e Env) Fail(err error) {
	if e.OnFail != nil && err != nil {
		e.OnFail(err)
	}
}

// Stream is the usual way a plugin serves one endpoint with a library
// server (net/http, miekg/dns over TCP, ...): the endpoint is bound in
// PrivilegedStart and every milestone is logged under the plugin's name.
func (e Env) Stream(name string, ep endpoint.Endpoint, srv service.StreamServer) *service.Stream {
	listen := func(ctx context.Context) (net.Listener, error) { return ep.Listen(ctx, e.EndpointEnv()) }
	return service.NewStream(name, ep.String(), listen, srv, e.Log(), e.Fail)
}
