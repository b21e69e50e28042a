// Package echo is `gotwistd echo`: the classic Twisted echo protocol (RFC
// 862 over TCP or unix sockets), every byte a client sends comes back. It
// is written on the protocol API (package reactor) and runs on both
// reactors, netpoll and gnet.
package echo

import (
	"fmt"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/reactor"
	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

func init() { runner.Register(Plugin()) }

// Plugin returns the echo service maker.
func Plugin() runner.Plugin {
	return runner.Plugin{
		Name:  "echo",
		Usage: "echo server: every byte received is sent back (RFC 862)",
		Description: "Listens on every --listen endpoint (and -p) and echoes each connection's bytes back\n" +
			"until the client closes it or it stays idle for --idle-timeout.",
		Reactors: []string{"netpoll", "gnet"},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "port", Aliases: []string{"p"}, Usage: "listen on `PORT` or endpoint string (tcp:8000:interface=127.0.0.1) [default: tcp:8000 when no --listen]"},
			&cli.StringSliceFlag{Name: "listen", Usage: "listen on `ENDPOINT` too (repeatable): tcp:PORT, tcp6:..., unix:PATH, ssl:..."},
			&cli.DurationFlag{Name: "idle-timeout", Value: 5 * time.Minute, Usage: "close a connection that sends nothing for `DURATION` (0 = never)"},
		},
		Make: Make,
	}
}

// Make builds one echo service per endpoint under a Multi named "echo".
func Make(f runner.Flags, env runner.Env) (service.Service, error) {
	descs := f.StringSlice("listen")
	if p := f.String("port"); p != "" {
		descs = append([]string{p}, descs...)
	}
	if len(descs) == 0 {
		descs = []string{"tcp:8000"}
	}
	idle := f.Duration("idle-timeout")
	if idle < 0 {
		return nil, fmt.Errorf("--idle-timeout %s: must be 0 (never) or more", idle)
	}
	root := service.NewMulti("echo")
	for i, d := range descs {
		ep, err := endpoint.Parse(d)
		if err != nil {
			return nil, err
		}
		if _, ok := ep.(endpoint.PacketEndpoint); ok {
			return nil, fmt.Errorf("endpoint %q: echo serves streams; use tcp:, unix: or ssl:", d)
		}
		svc, err := reactor.NewService("echo-"+strconv.Itoa(i), env.ReactorName(), ep, factory, env.Log(),
			reactor.WithIdleTimeout(idle), reactor.WithEndpointEnv(env.EndpointEnv()), reactor.WithFail(env.Fail))
		if err != nil {
			return nil, err
		}
		if err := root.Add(svc); err != nil {
			return nil, err
		}
	}
	return root, nil
}
