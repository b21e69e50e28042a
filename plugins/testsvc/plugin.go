// Package testsvc is `gotwistd testsvc`, a diagnostic plugin whose timing
// the caller controls: it builds a tree of leaves and multi-services from
// --tree, and its leaves take as long to start or stop as they are told.
// The runner's end-to-end tests use it to show the start and stop order,
// the daemon parent waiting for a slow start, and the shutdown deadline.
// It is compiled into the normal binary but left out of `gotwistd --help`.
package testsvc

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

func init() { runner.Register(Plugin()) }

// Plugin returns the testsvc service maker.
func Plugin() runner.Plugin {
	return runner.Plugin{
		Name:   "testsvc",
		Usage:  "diagnostic services with controlled start and stop times (for testing the runner)",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "tree", Value: "testsvc", Usage: "build the tree `SPEC`: a,m[m1,m2],b is leaves a and b around multi-service m holding m1 and m2"},
			&cli.StringSliceFlag{Name: "start-delay", Usage: "`NAME=DUR`: that leaf's Start takes DUR (repeatable)"},
			&cli.StringSliceFlag{Name: "stop-delay", Usage: "`NAME=DUR|forever`: that leaf's Stop takes DUR, or never returns (repeatable)"},
			&cli.StringSliceFlag{Name: "fail-start", Usage: "that leaf's Start fails (`NAME`, repeatable)"},
			&cli.IntFlag{Name: "log-bytes", Usage: "log about `N` bytes of filler lines at start (to show size rotation)"},
		},
		Make: Make,
	}
}

// Make builds the tree.
func Make(f runner.Flags, env runner.Env) (service.Service, error) {
	nodes, err := parseTree(f.String("tree"))
	if err != nil {
		return nil, err
	}
	known := leaves(nodes, map[string]bool{})
	starts, err := parseDelays("start-delay", f.StringSlice("start-delay"), known, false)
	if err != nil {
		return nil, err
	}
	stops, err := parseDelays("stop-delay", f.StringSlice("stop-delay"), known, true)
	if err != nil {
		return nil, err
	}
	fails := map[string]bool{}
	for _, n := range f.StringSlice("fail-start") {
		if !known[n] {
			return nil, fmt.Errorf("--fail-start %q: not a leaf of --tree", n)
		}
		fails[n] = true
	}
	if f.Int("log-bytes") < 0 {
		return nil, fmt.Errorf("--log-bytes %d: must be 0 or more", f.Int("log-bytes"))
	}
	b := builder{log: env.Log(), starts: starts, stops: stops, fails: fails}
	root := &tree{Multi: service.NewMulti("testsvc"), log: env.Log(), filler: f.Int("log-bytes")}
	if err := b.addAll(root.Multi, nodes); err != nil {
		return nil, err
	}
	return root, nil
}

type builder struct {
	log    *slog.Logger
	starts map[string]delay
	stops  map[string]delay
	fails  map[string]bool
}

func (b builder) addAll(m *service.Multi, nodes []*node) error {
	for _, n := range nodes {
		var s service.Service
		if n.multi {
			sub := service.NewMulti(n.name)
			if err := b.addAll(sub, n.children); err != nil {
				return err
			}
			s = sub
		} else {
			s = &leaf{
				name:  n.name,
				log:   b.log.With(runner.SystemKey, n.name),
				start: b.starts[n.name],
				stop:  b.stops[n.name],
				fail:  b.fails[n.name],
			}
		}
		if err := m.Add(s); err != nil {
			return err
		}
	}
	return nil
}

// tree is the root: a Multi that also logs one two-line message at start,
// to show the log format's continuation lines.
type tree struct {
	*service.Multi
	log    *slog.Logger
	filler int // bytes of filler lines to log at start
}

func (t *tree) Start(ctx context.Context) error {
	t.log.Info("testsvc multi-line first\ntestsvc multi-line second")
	line := strings.Repeat("x", 100)
	for n := 0; n < t.filler; n += len(line) + 40 { // 40: timestamp and prefix
		t.log.Info(line)
	}
	return t.Multi.Start(ctx)
}
