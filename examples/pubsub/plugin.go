// Package pubsub is `gotwistd pubsub`, the publish/subscribe server of
// Twisted's tutorial: every line a client sends goes to every other
// connected client.
package pubsub

import (
	"net"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/reactor"
	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

func init() { runner.Register(Plugin()) }

// Plugin returns the pubsub service maker.
func Plugin() runner.Plugin {
	return runner.Plugin{
		Name:  "pubsub",
		Usage: "example: publish/subscribe (every line goes to every other client)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "port", Aliases: []string{"p"}, Value: "tcp:1025", Usage: "listen on `ENDPOINT`"},
		},
		Reactors: []string{"netpoll", "gnet"},
		Make: func(f runner.Flags, env runner.Env) (service.Service, error) {
			ep, err := endpoint.Parse(f.String("port"))
			if err != nil {
				return nil, err
			}
			return reactor.NewService("pubsub", env.Reactor, ep, NewHub(), env.Log(),
				reactor.WithEndpointEnv(env.EndpointEnv()), reactor.WithFail(env.Fail))
		},
	}
}

// Hub is the factory: the set of subscribers, guarded by its mutex since
// every connection's callbacks change or read it concurrently.
type Hub struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

// NewHub returns a hub with no subscribers.
func NewHub() *Hub { return &Hub{subs: map[*subscriber]struct{}{}} }

// BuildProtocol implements reactor.Factory.
func (h *Hub) BuildProtocol(net.Addr) reactor.Protocol {
	return reactor.NewLineReceiver(&subscriber{hub: h})
}

// subscriber is one connection.
type subscriber struct {
	hub *Hub
	r   *reactor.LineReceiver
}

// Welcome is the first line a subscriber gets; it is sent once the
// subscription is in place, so a client that has read it hears every
// line published after.
const Welcome = "Welcome! Every line you send goes to everyone else here."

func (s *subscriber) ConnectionMade(r *reactor.LineReceiver) {
	s.r = r
	s.hub.mu.Lock()
	s.hub.subs[s] = struct{}{}
	r.SendLineString(Welcome)
	s.hub.mu.Unlock()
}

// LineReceived publishes line to every other subscriber. A subscriber
// that does not read is disconnected by its transport once its write
// buffer is full, so one slow reader cannot hold up or swell the hub.
func (s *subscriber) LineReceived(line []byte) {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	for other := range s.hub.subs {
		if other != s {
			other.r.SendLine(line)
		}
	}
}

func (s *subscriber) ConnectionLost(error) {
	s.hub.mu.Lock()
	delete(s.hub.subs, s)
	s.hub.mu.Unlock()
}
