package dns

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

// config is the command line, checked. Paths are absolute: Make runs in
// the starting directory, before any --rundir or --chroot.
type config struct {
	listen    []*pair
	hostsFile string
	hostsTTL  uint32
	zoneFiles []string
	transfer  acl
	reload    time.Duration
	verbose   int
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
	if c.transfer, err = parseACL(f.StringSlice("allow-transfer")); err != nil {
		return nil, fmt.Errorf("--allow-transfer: %w", err)
	}
	if cf, ok := f.(interface{ Count(string) int }); ok {
		c.verbose = cf.Count("verbose")
	} else if f.Bool("verbose") {
		c.verbose = 1
	}
	return c, nil
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

// build reads the files and makes the service tree.
func build(c *config, env runner.Env) (service.Service, error) {
	log := env.Log()
	h := &handler{hostsTTL: c.hostsTTL, zones: &zoneSet{byOrigin: map[string]zoneHolder{}},
		transfer: c.transfer, log: log, verbose: c.verbose}
	data := &dataService{watch: &watcher{interval: c.reload, log: log}, log: log}
	if c.hostsFile != "" {
		src, err := newSource("hosts file "+c.hostsFile, func() (*hostsMap, []fileStamp, error) {
			return readHostsFile(c.hostsFile)
		})
		if err != nil {
			return nil, fmt.Errorf("--hosts-file: %w", err)
		}
		src.log = log
		for _, s := range src.cur.Load().skipped {
			data.warnings = append(data.warnings, c.hostsFile+": skipped "+s)
		}
		src.swapped = func(_, cur *hostsMap) {
			for _, s := range cur.skipped {
				log.Warn(c.hostsFile + ": skipped " + s)
			}
		}
		h.hosts = src
		data.srcs = append(data.srcs, src)
	}
	for _, path := range c.zoneFiles {
		src, err := zoneSource(path)
		if err != nil {
			return nil, fmt.Errorf("--bindzone: %w", err)
		}
		src.log = log
		origin := src.cur.Load().origin
		if _, dup := h.zones.byOrigin[origin]; dup {
			return nil, fmt.Errorf("--bindzone %s: zone %s is already served from another file", path, origin)
		}
		h.zones.byOrigin[origin] = fileZone{src}
		data.srcs = append(data.srcs, src)
	}
	data.watch.srcs = data.srcs

	root := service.NewMulti("dns")
	if err := root.Add(data); err != nil {
		return nil, err
	}
	for _, p := range c.listen {
		p.env = env.EndpointEnv()
		tcp := service.NewStream(p.tcp.String(), p.tcp.String(), p.takeListener, &tcpServer{h: h}, log, env.Fail)
		udp := &udpService{name: p.udp.String(), pair: p, h: h, log: log, fail: env.Fail}
		if err := errors.Join(root.Add(tcp), root.Add(udp)); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// zoneSource loads a zone file and keeps it reloadable; a reload that
// would change the zone's apex is refused, since queries are routed to
// zones by apex.
func zoneSource(path string) (*source[zone], error) {
	var origin string
	src, err := newSource("zone file "+path, func() (*zone, []fileStamp, error) {
		z, stamps, err := loadZoneFile(path)
		if err == nil && origin != "" && z.origin != origin {
			return nil, nil, fmt.Errorf("%s: the SOA moved from %s to %s; restart to serve another zone", path, origin, z.origin)
		}
		return z, stamps, err
	})
	if err != nil {
		return nil, err
	}
	origin = src.cur.Load().origin
	return src, nil
}
