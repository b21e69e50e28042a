package reactor

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gotwistd/gotwistd/endpoint"
)

// Reactor runs protocols over the network: it listens for connections and
// makes them. Get one with New.
type Reactor interface {
	// Name is the name New knows the reactor by.
	Name() string
	// Listen binds ep and returns a Port that serves f once Serve is called.
	// log receives the port's debug lines and protocol panics; nil discards.
	Listen(ctx context.Context, ep endpoint.Endpoint, f Factory, log *slog.Logger, opts ...Option) (Port, error)
	// Connect starts connecting to desc, a client endpoint string such as
	// "tcp:host=127.0.0.1:port=8000" (see ParseClient), and returns at
	// once; f hears how it goes. Only the option IdleTimeout and the
	// buffer limits apply.
	Connect(desc string, f ClientFactory, log *slog.Logger, opts ...Option) (*Connector, error)
	// Close stops every connector made by Connect, closes their
	// connections and waits for their callbacks. Ports are stopped by
	// their own Stop.
	Close(ctx context.Context) error
}

// Names lists the reactors, the default first.
func Names() []string { return []string{"netpoll", "gnet"} }

// Default is the reactor used when none is named.
const Default = "netpoll"

// New returns a new reactor by name ("" means Default).
func New(name string) (Reactor, error) {
	switch name {
	case "", "netpoll":
		return &netpollReactor{clients: clients{dial: dialNetpoll}}, nil
	case "gnet":
		r := &gnetReactor{}
		r.clients.dial = r.dialGnet
		return r, nil
	}
	return nil, fmt.Errorf("reactor: unknown reactor %q (known: netpoll, gnet)", name)
}

// CheckEndpoint reports whether reactor name can listen on ep, without
// binding anything: plugins call it from Make so that a bad combination
// fails before the process daemonizes.
func CheckEndpoint(name string, ep endpoint.Endpoint) error {
	if _, err := New(name); err != nil {
		return err
	}
	if _, ok := ep.(endpoint.PacketEndpoint); ok {
		return fmt.Errorf("endpoint %s is datagram-only; protocols need a stream endpoint (tcp, unix, ssl)", ep)
	}
	if name == "gnet" {
		_, err := gnetAddr(ep)
		return err
	}
	return nil
}
