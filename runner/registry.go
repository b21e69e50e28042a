// Package runner is everything process-wide in gotwistd: the registry of
// compiled-in plugins, the command line, and the start sequence that turns a
// plugin's service tree into a daemon with a pidfile, a log, dropped
// privileges and a clean stop. Nothing outside this package knows about
// daemons, pidfiles or uids.
package runner

import (
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/service"
)

// Plugin is a compile-time service maker: one subcommand of gotwistd.
type Plugin struct {
	// Name is the subcommand, e.g. "web"; it must match ^[a-z][a-z0-9-]*$.
	Name string
	// Usage is the one-line description shown in `gotwistd --help`.
	Usage string
	// Description is the longer text of `gotwistd NAME --help`; optional.
	Description string
	// Flags are the plugin's own options. A global option of the same name
	// or alias is not offered after the plugin name: the plugin's wins.
	Flags []cli.Flag
	// Reactors lists the reactors the plugin runs on; empty means the
	// default reactor only.
	Reactors []string
	// Hidden keeps the plugin out of `gotwistd --help` (diagnostic plugins).
	Hidden bool
	// Make builds the plugin's service tree from its flags. It runs in the
	// starting directory before anything else happens (so relative paths are
	// made absolute here, and a bad option fails before daemonizing), and it
	// may run twice, since the daemon re-executes the binary: it must not
	// bind, start goroutines or write files. An error from Make is shown as
	// a usage error (exit 2).
	Make func(f Flags, env Env) (service.Service, error)
}

// Flags is what Make may read of the command line. *cli.Context satisfies
// it; tests pass a map-backed fake.
type Flags interface {
	String(name string) string
	StringSlice(name string) []string
	Bool(name string) bool
	Int(name string) int
	Duration(name string) time.Duration
	IsSet(name string) bool
}

var _ Flags = (*cli.Context)(nil)

// reserved are the subcommands the runner itself provides.
var reserved = map[string]bool{"stop": true, "status": true, "reload": true, "help": true}

var validName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

var registry = struct {
	sync.Mutex
	plugins map[string]Plugin
	sealed  bool
}{plugins: map[string]Plugin{}}

// Register adds p to the plugins that Main offers. It is meant for a
// plugin's init function, and panics on a bad or duplicate name, a nil
// Make, or a call after Main has built the command line: each is a
// programming error that must stop the binary at once.
func Register(p Plugin) {
	if err := check(p); err != nil {
		panic("runner.Register: " + err.Error())
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.sealed {
		panic(fmt.Sprintf("runner.Register: plugin %q registered after Main started", p.Name))
	}
	if _, dup := registry.plugins[p.Name]; dup {
		panic(fmt.Sprintf("runner.Register: plugin %q registered twice", p.Name))
	}
	registry.plugins[p.Name] = p
}

// check reports what is wrong with p, for Register and NewApp alike.
func check(p Plugin) error {
	switch {
	case !validName.MatchString(p.Name):
		return fmt.Errorf("plugin name %q must match %s", p.Name, validName)
	case reserved[p.Name]:
		return fmt.Errorf("plugin name %q is a gotwistd command", p.Name)
	case p.Make == nil:
		return fmt.Errorf("plugin %q has no Make function", p.Name)
	}
	for _, r := range p.Reactors {
		if _, ok := reactorByName(r); !ok {
			return fmt.Errorf("plugin %q names unknown reactor %q", p.Name, r)
		}
	}
	return nil
}

// Registered returns the registered plugins sorted by name.
func Registered() []Plugin {
	registry.Lock()
	defer registry.Unlock()
	ps := make([]Plugin, 0, len(registry.plugins))
	for _, p := range registry.plugins {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}

func seal() {
	registry.Lock()
	registry.sealed = true
	registry.Unlock()
}
