package dns

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/runner"
)

// config is the command line, checked. Paths are absolute: Make runs in
// the starting directory, before any --rundir or --chroot.
type config struct {
	listen    []*pair
	hostsFile string
	hostsTTL  uint32
	zoneFiles []string
	// secondaries are the --secondary zones: primary and origin.
	secondaries []secondarySpec
	transfer    acl
	reload      time.Duration
	verbose     int

	recursive  bool
	resolvConf string
	recursion  acl
	cache      bool
	cacheSize  int
	stale      time.Duration
}

// readConfig checks every option; an error is one line for the user.
func readConfig(f runner.Flags) (*config, error) {
	if pz := f.StringSlice("pyzone"); len(pz) > 0 {
		return nil, fmt.Errorf("--pyzone %s: twistd's Python zone files cannot be read by gotwistd; "+
			"write the zone as a BIND master file and pass it with --bindzone FILE", pz[0])
	}
	c := &config{reload: f.Duration("reload")}
	if c.reload < 0 {
		return nil, fmt.Errorf("--reload %s: must be 0 (only on SIGHUP) or more", c.reload)
	}
	var err error
	if c.listen, err = listenPairs(f.StringSlice("interface"), f.Int("port")); err != nil {
		return nil, err
	}
	ttl := f.Int("hosts-ttl")
	if ttl < 0 || ttl > 1<<31-1 {
		return nil, fmt.Errorf("--hosts-ttl %d: must be between 0 and 2147483647 seconds", ttl)
	}
	c.hostsTTL = uint32(ttl)
	if p := f.String("hosts-file"); p != "" {
		if c.hostsFile, err = filepath.Abs(p); err != nil {
			return nil, fmt.Errorf("--hosts-file %s: %w", p, err)
		}
	}
	for _, p := range f.StringSlice("bindzone") {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("--bindzone %s: %w", p, err)
		}
		c.zoneFiles = append(c.zoneFiles, abs)
	}
	for _, spec := range f.StringSlice("secondary") {
		primary, origin, err := parseSecondary(spec)
		if err != nil {
			return nil, err
		}
		c.secondaries = append(c.secondaries, secondarySpec{primary, origin})
	}
	if c.transfer, err = parseACL(f.StringSlice("allow-transfer")); err != nil {
		return nil, fmt.Errorf("--allow-transfer: %w", err)
	}
	if err := readRecursion(f, c); err != nil {
		return nil, err
	}
	if cf, ok := f.(interface{ Count(string) int }); ok {
		c.verbose = cf.Count("verbose")
	} else if f.Bool("verbose") {
		c.verbose = 1
	}
	return c, nil
}

type secondarySpec struct {
	primary netip.AddrPort
	origin  string
}

// readRecursion reads the forwarding and cache options.
func readRecursion(f runner.Flags, c *config) error {
	c.recursive = f.Bool("recursive") || f.IsSet("resolv-conf")
	var err error
	if c.resolvConf, err = filepath.Abs(f.String("resolv-conf")); err != nil {
		return fmt.Errorf("--resolv-conf: %w", err)
	}
	c.recursion = privateNets
	if f.IsSet("allow-recursion") {
		if c.recursion, err = parseACL(f.StringSlice("allow-recursion")); err != nil {
			return fmt.Errorf("--allow-recursion: %w", err)
		}
	}
	c.cache = f.Bool("cache")
	if c.cacheSize = f.Int("cache-size"); c.cacheSize < 1 {
		return fmt.Errorf("--cache-size %d: must be at least 1", c.cacheSize)
	}
	if c.stale = f.Duration("serve-stale"); c.stale < 0 {
		return fmt.Errorf("--serve-stale %s: must be 0 (never) or more", c.stale)
	}
	return nil
}

// listenPairs makes a TCP and a UDP endpoint for every interface (twistd:
// "" = every IPv4 address).
func listenPairs(ifaces []string, port int) ([]*pair, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("--port %d: must be between 0 and 65535", port)
	}
	if len(ifaces) == 0 {
		ifaces = []string{""}
	}
	var out []*pair
	seen := map[string]bool{}
	for _, iface := range ifaces {
		suffix := ""
		if iface != "" {
			suffix = ":interface=" + endpoint.Escape(iface)
		}
		t, err := endpoint.Parse(fmt.Sprintf("tcp:%d%s", port, suffix))
		if err != nil {
			return nil, fmt.Errorf("--interface %q: %w", iface, err)
		}
		u, err := endpoint.Parse(fmt.Sprintf("udp:%d%s", port, suffix))
		if err != nil {
			return nil, fmt.Errorf("--interface %q: %w", iface, err)
		}
		if seen[t.String()] {
			return nil, fmt.Errorf("--interface %q given twice", iface)
		}
		seen[t.String()] = true
		out = append(out, &pair{tcp: t.(*endpoint.TCP), udp: u.(*endpoint.UDP)})
	}
	return out, nil
}
