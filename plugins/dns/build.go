package dns

import (
	"errors"
	"fmt"

	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

// build reads the files and makes the service tree.
func build(c *config, env runner.Env) (service.Service, error) {
	log := env.Log()
	h := &handler{hostsTTL: c.hostsTTL, zones: &zoneSet{byOrigin: map[string]zoneHolder{}},
		transfer: c.transfer, log: log, verbose: c.verbose}
	data := &dataService{watch: &watcher{interval: c.reload, log: log}, log: log}
	if err := buildRecursion(c, h, data); err != nil {
		return nil, err
	}
	if err := buildHosts(c, h, data); err != nil {
		return nil, err
	}
	if err := buildZones(c, h, data); err != nil {
		return nil, err
	}
	if err := buildSecondaries(c, h, data); err != nil {
		return nil, err
	}
	data.watch.srcs = data.srcs
	h.watched = data.srcs
	if c.verbose == 0 {
		h.packets = newPacketCache(&h.gen)
	}

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

// cacheOf is the cache to keep in step with our own data, or nil.
func cacheOf(h *handler) *cache {
	if h.recursion == nil {
		return nil
	}
	return h.recursion.cache
}

func buildHosts(c *config, h *handler, data *dataService) error {
	if c.hostsFile == "" {
		return nil
	}
	src, err := newSource("hosts file "+c.hostsFile, func() (*hostsMap, []fileStamp, error) {
		return readHostsFile(c.hostsFile)
	})
	if err != nil {
		return fmt.Errorf("--hosts-file: %w", err)
	}
	src.log, src.gen = h.log, &h.gen
	for _, s := range src.cur.Load().skipped {
		data.warnings = append(data.warnings, c.hostsFile+": skipped "+s)
	}
	cache := cacheOf(h)
	src.swapped = func(old, cur *hostsMap) {
		for _, s := range cur.skipped {
			h.log.Warn(c.hostsFile + ": skipped " + s)
		}
		// A name that leaves the file is forwarded again: an upstream
		// answer cached before it was listed must not come back.
		if cache != nil {
			cache.forget(old.names(), "")
			cache.forget(cur.names(), "")
		}
	}
	h.hosts = src
	data.srcs = append(data.srcs, src)
	return nil
}

func buildZones(c *config, h *handler, data *dataService) error {
	cache := cacheOf(h)
	for _, path := range c.zoneFiles {
		src, err := zoneSource(path)
		if err != nil {
			return fmt.Errorf("--bindzone: %w", err)
		}
		src.log, src.gen = h.log, &h.gen
		origin := src.cur.Load().origin
		if _, dup := h.zones.byOrigin[origin]; dup {
			return fmt.Errorf("--bindzone %s: zone %s is already served from another file", path, origin)
		}
		src.swapped = func(_, _ *zone) { cache.forget(nil, origin) }
		h.zones.byOrigin[origin] = fileZone{src}
		data.srcs = append(data.srcs, src)
	}
	return nil
}

func buildSecondaries(c *config, h *handler, data *dataService) error {
	if len(c.secondaries) == 0 {
		return nil
	}
	h.secondary = &secondaries{}
	for _, spec := range c.secondaries {
		if _, dup := h.zones.byOrigin[spec.origin]; dup {
			return fmt.Errorf("--secondary %s/%s: zone %s is already served", spec.primary, spec.origin, spec.origin)
		}
		sec := &secondary{origin: spec.origin, primary: spec.primary, holder: &transferred{gen: &h.gen},
			log: h.log, cache: cacheOf(h), kick: make(chan struct{}, 1)}
		h.zones.byOrigin[spec.origin] = sec.holder
		h.secondary.zones = append(h.secondary.zones, sec)
	}
	data.sec = h.secondary
	return nil
}

func buildRecursion(c *config, h *handler, data *dataService) error {
	if !c.recursive {
		if c.cache {
			data.warnings = append(data.warnings, "--cache without --recursive: there is nothing to cache")
		}
		return nil
	}
	src, err := newSource("resolv.conf "+c.resolvConf, func() (*upstreams, []fileStamp, error) {
		return readResolvConf(c.resolvConf)
	})
	if err != nil {
		return fmt.Errorf("--resolv-conf: %w", err)
	}
	if self := src.cur.Load().selfLoop(c.listen); self != "" {
		return fmt.Errorf("--resolv-conf %s: nameserver %s is this server: forwarding to it would loop", c.resolvConf, self)
	}
	src.log, src.gen = h.log, &h.gen
	r := &recursor{allowed: c.recursion, upstreams: src, log: h.log}
	if c.cache {
		r.cache = newCache(c.cacheSize, c.stale)
	}
	h.recursion = r
	data.srcs = append(data.srcs, src)
	return nil
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
