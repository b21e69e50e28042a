package runner

import (
	"fmt"
	"io"
	"runtime"
	"strings"
)

// DefaultReactor drives plugins unless --reactor says otherwise.
const DefaultReactor = "netpoll"

// reactorInfo describes one name --reactor accepts, or a Twisted name it
// explains away.
type reactorInfo struct {
	name, description string
	// unavailable is empty when the reactor works here, else the reason.
	unavailable string
}

// reactors are the names gotwistd knows, sorted. Twisted's names are listed
// so that an old command line gets an answer instead of a bare "unknown".
var reactors = []reactorInfo{
	{name: "asyncio", unavailable: "a Twisted reactor; gotwistd uses netpoll or gnet"},
	{name: "epoll", unavailable: "a Twisted reactor; netpoll already uses epoll on Linux"},
	{name: "gnet", description: "event loops on epoll/kqueue (github.com/panjf2000/gnet/v2), no goroutine per connection", unavailable: gnetUnavailable()},
	{name: "netpoll", description: "Go's runtime netpoller, one goroutine per connection (default)"},
	{name: "poll", unavailable: "a Twisted reactor; gotwistd uses netpoll or gnet"},
	{name: "select", unavailable: "a Twisted reactor; gotwistd uses netpoll or gnet"},
}

func gnetUnavailable() string {
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		return ""
	}
	return "gnet needs epoll or kqueue"
}

func reactorByName(name string) (reactorInfo, bool) {
	for _, r := range reactors {
		if r.name == name {
			return r, true
		}
	}
	return reactorInfo{}, false
}

// pluginReactors returns the reactors p runs on.
func pluginReactors(p Plugin) []string {
	if len(p.Reactors) == 0 {
		return []string{DefaultReactor}
	}
	return p.Reactors
}

// checkReactor refuses a reactor that is unknown, unusable here, or not one
// that plugin p runs on; the message names both.
func checkReactor(name string, p *Plugin) error {
	r, ok := reactorByName(name)
	if !ok {
		return usageErrorf("unknown reactor %q: see gotwistd --help-reactors", name)
	}
	if r.unavailable != "" {
		return usageErrorf("reactor %q cannot be used: %s (see --help-reactors)", name, r.unavailable)
	}
	if p != nil {
		ok := false
		for _, n := range pluginReactors(*p) {
			ok = ok || n == name
		}
		if !ok {
			return usageErrorf("plugin %s does not run on reactor %q; it runs on: %s", p.Name, name, strings.Join(pluginReactors(*p), ", "))
		}
	}
	return nil
}

// printReactors writes the --help-reactors text: usable reactors with the
// plugins that accept each, then the names that cannot be used and why.
func printReactors(w io.Writer, ps []Plugin) {
	users := func(name string) string {
		var ns []string
		for _, p := range ps {
			for _, r := range pluginReactors(p) {
				if r == name && !p.Hidden {
					ns = append(ns, p.Name)
				}
			}
		}
		if len(ns) == 0 {
			return "none"
		}
		return strings.Join(ns, ", ")
	}
	for _, r := range reactors {
		if r.unavailable == "" {
			fmt.Fprintf(w, "    %-8s\t%s\n    %-8s\tplugins: %s\n", r.name, r.description, "", users(r.name))
		}
	}
	fmt.Fprintf(w, "\nThe following reactors are not available in gotwistd:\n\n")
	for _, r := range reactors {
		if r.unavailable != "" {
			fmt.Fprintf(w, "  ! %-8s\t(%s)\n", r.name, r.unavailable)
		}
	}
}
