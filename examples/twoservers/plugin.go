// Package twoservers is `gotwistd twoservers`, Twisted's "two servers, one
// process": a hello server and a bonjour server on two ports, two
// reactor services in one service tree.
package twoservers

import (
	"fmt"
	"net"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/reactor"
	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

func init() { runner.Register(Plugin()) }

// Plugin returns the twoservers service maker.
func Plugin() runner.Plugin {
	return runner.Plugin{
		Name:  "twoservers",
		Usage: "example: two servers, one process (hello and bonjour on two ports)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "hello", Value: "tcp:8000", Usage: "serve hello on `ENDPOINT`"},
			&cli.StringFlag{Name: "bonjour", Value: "tcp:8001", Usage: "serve bonjour on `ENDPOINT`"},
		},
		Reactors: []string{"netpoll", "gnet"},
		Make:     Make,
	}
}

// Make builds a tree of two services, "hello" and "bonjour".
func Make(f runner.Flags, env runner.Env) (service.Service, error) {
	root := service.NewMulti("twoservers")
	for _, s := range []struct{ name, greeting string }{
		{"hello", "Hello, world!"},
		{"bonjour", "Bonjour, le monde !"},
	} {
		ep, err := endpoint.Parse(f.String(s.name))
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", s.name, err)
		}
		svc, err := reactor.NewService(s.name, env.Reactor, ep, greeter(s.greeting), env.Log(),
			reactor.WithEndpointEnv(env.EndpointEnv()), reactor.WithFail(env.Fail))
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", s.name, err)
		}
		if err := root.Add(svc); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// greeter is a factory whose protocols send the greeting and hang up.
type greeter string

func (g greeter) BuildProtocol(net.Addr) reactor.Protocol { return &greeting{text: string(g)} }

type greeting struct{ text string }

func (g *greeting) ConnectionMade(t reactor.Transport) {
	fmt.Fprintf(t, "%s\r\n", g.text)
	t.LoseConnection()
}

func (g *greeting) DataReceived([]byte)  {}
func (g *greeting) ConnectionLost(error) {}
