package dns

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// upstreams are the servers questions are forwarded to, from resolv.conf.
type upstreams struct {
	servers  []string      // host:port, in file order
	timeout  time.Duration // per attempt
	attempts int           // rounds over the whole list
}

// Forwarding defaults, as glibc's resolver reads resolv.conf, except a
// shorter timeout: with several servers, failing over sooner is better.
const (
	defaultUpstreamTimeout = 2 * time.Second
	maxUpstreamTimeout     = 30 * time.Second
	defaultAttempts        = 2
	maxAttempts            = 5
)

// parseResolvConf reads "nameserver" lines and the timeout: and attempts:
// options; the rest (search, domain, ndots...) concerns stub resolvers and
// is ignored. As an extension a nameserver may carry a port, as
// 192.0.2.1:5353 or [2001:db8::1]:5353.
func parseResolvConf(r io.Reader) (*upstreams, error) {
	u := &upstreams{timeout: defaultUpstreamTimeout, attempts: defaultAttempts}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			addr, err := nameserver(f[1])
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			u.servers = append(u.servers, addr)
		case "options":
			for _, o := range f[1:] {
				k, v, _ := strings.Cut(o, ":")
				num, err := strconv.Atoi(v)
				switch {
				case k == "timeout" && err == nil && num > 0:
					u.timeout = min(time.Duration(num)*time.Second, maxUpstreamTimeout)
				case k == "attempts" && err == nil && num > 0:
					u.attempts = min(num, maxAttempts)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(u.servers) == 0 {
		return nil, fmt.Errorf("no nameserver line")
	}
	return u, nil
}

// nameserver reads an address, with an optional port (default 53).
func nameserver(s string) (string, error) {
	if ip, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(ip, 53).String(), nil
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Port() != 0 {
		return ap.String(), nil
	}
	return "", fmt.Errorf("nameserver %q is not an IP address (or address:port)", s)
}

// readResolvConf reads path as a reloadable source.
func readResolvConf(path string) (*upstreams, []fileStamp, error) {
	return readStamped(path, parseResolvConf)
}

// selfLoop reports the first upstream that is one of our own listening
// addresses: forwarding to it would send each question round in a loop.
// With a wildcard interface, every loopback address on our port counts.
func (u *upstreams) selfLoop(listen []*pair) string {
	for _, s := range u.servers {
		ap := netip.MustParseAddrPort(s)
		for _, p := range listen {
			if p.udp.Port == 0 || p.udp.Port != int(ap.Port()) {
				continue
			}
			ip, err := netip.ParseAddr(p.udp.Interface)
			wildcard := p.udp.Interface == "" || err == nil && ip.IsUnspecified()
			if wildcard && ap.Addr().IsLoopback() || err == nil && ip.Unmap() == ap.Addr().Unmap() {
				return s
			}
		}
	}
	return ""
}
