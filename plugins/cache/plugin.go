// Package cache is `gotwistd cache`: a memcached-like key-value server, two
// services in one tree on one shared store: a line protocol on the
// reactor chosen with --reactor (netpoll or gnet), and a read-only HTTP
// view of the same store (status and entries as JSON and a small HTML
// page).
package cache

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/reactor"
	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

func init() { runner.Register(Plugin()) }

// Plugin returns the cache service maker.
func Plugin() runner.Plugin {
	return runner.Plugin{
		Name:  "cache",
		Usage: "key-value cache: a line protocol (get/set/delete...) and an HTTP status page",
		Description: "Serves one in-memory store two ways: the text protocol on --port (commands version, count,\n" +
			"clear, items, status, get KEY, set KEY VALUE, delete KEY, quit; one per line) and, on --http,\n" +
			"a read-only view: / (HTML), /status, /entries and /entries/KEY (JSON); with --memcached, also\n" +
			"memcached's text protocol (get, set, add, replace, delete, flush_all) on the same store.\n" +
			"The least recently used entries are evicted past --max-entries or --max-memory.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "port", Aliases: []string{"p"}, Value: "tcp:11212", Usage: "serve the line protocol on `ENDPOINT`"},
			&cli.StringFlag{Name: "http", Value: "tcp:11280", Usage: "serve the HTTP view on `ENDPOINT` (\"\" for none)"},
			&cli.StringFlag{Name: "memcached", Usage: "also speak the memcached text protocol (get/set/add/replace/delete/flush_all) on `ENDPOINT`"},
			&cli.IntFlag{Name: "max-entries", Value: 100000, Usage: "keep at most `N` entries (0 = no limit)"},
			&cli.StringFlag{Name: "max-memory", Value: "64M", Usage: "keep at most `SIZE` of keys and values, e.g. 512K, 64M, 2G (0 = no limit)"},
			&cli.IntFlag{Name: "max-line", Value: 65536, Usage: "longest command line in `BYTES`; a longer one is answered with an error and the connection closed"},
			&cli.DurationFlag{Name: "idle-timeout", Value: 5 * time.Minute, Usage: "close a connection idle for `DURATION` (0 = never)"},
		},
		Reactors: []string{"netpoll", "gnet"},
		Make:     Make,
	}
}

// Make builds the tree: "cache" (line protocol), "cache-memcached" with
// --memcached, and "cache-http".
func Make(f runner.Flags, env runner.Env) (service.Service, error) {
	maxEntries := f.Int("max-entries")
	if maxEntries < 0 {
		return nil, fmt.Errorf("--max-entries %d: must be 0 (no limit) or more", maxEntries)
	}
	maxBytes, err := parseSize(f.String("max-memory"))
	if err != nil {
		return nil, fmt.Errorf("--max-memory %q: %v", f.String("max-memory"), err)
	}
	maxLine := f.Int("max-line")
	if maxLine < 16 || maxLine > 64<<20 {
		return nil, fmt.Errorf("--max-line %d: must be between 16 and %d", maxLine, 64<<20)
	}
	idle := f.Duration("idle-timeout")
	if idle < 0 {
		return nil, fmt.Errorf("--idle-timeout %s: must be 0 (never) or more", idle)
	}
	ep, err := endpoint.Parse(f.String("port"))
	if err != nil {
		return nil, fmt.Errorf("--port: %w", err)
	}
	store := NewStore(maxEntries, maxBytes)
	lines, err := reactor.NewService("cache", env.Reactor, ep, &factory{store: store, maxLine: maxLine}, env.Log(),
		reactor.WithEndpointEnv(env.EndpointEnv()), reactor.WithFail(env.Fail), reactor.WithIdleTimeout(idle))
	if err != nil {
		return nil, fmt.Errorf("--port: %w", err)
	}
	root := service.NewMulti("cache")
	if err := root.Add(lines); err != nil {
		return nil, err
	}
	conns := lines.Connections
	if desc := f.String("memcached"); desc != "" {
		mep, err := endpoint.Parse(desc)
		if err != nil {
			return nil, fmt.Errorf("--memcached: %w", err)
		}
		mc, err := reactor.NewService("cache-memcached", env.Reactor, mep, &mcFactory{store: store}, env.Log(),
			reactor.WithEndpointEnv(env.EndpointEnv()), reactor.WithFail(env.Fail), reactor.WithIdleTimeout(idle))
		if err != nil {
			return nil, fmt.Errorf("--memcached: %w", err)
		}
		if err := root.Add(mc); err != nil {
			return nil, err
		}
		conns = func() int { return lines.Connections() + mc.Connections() }
	}
	if desc := f.String("http"); desc != "" {
		hep, err := endpoint.Parse(desc)
		if err != nil {
			return nil, fmt.Errorf("--http: %w", err)
		}
		if _, ok := hep.(endpoint.PacketEndpoint); ok {
			return nil, fmt.Errorf("--http %s: HTTP needs a stream endpoint (tcp, unix, ssl)", hep)
		}
		srv := &http.Server{
			Handler:           newHTTPHandler(store, conns),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
		}
		if err := root.Add(env.Stream("cache-http", hep, srv)); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// parseSize reads a byte count with an optional K, M or G suffix (powers
// of 1024).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "IB"), "B")
	mult := int64(1)
	for suffix, m := range map[string]int64{"K": 1 << 10, "M": 1 << 20, "G": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("not a size; write e.g. 512K, 64M or 2G")
	}
	return n * mult, nil
}
