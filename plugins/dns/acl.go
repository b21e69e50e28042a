package dns

import (
	"fmt"
	"net/netip"
	"strings"
)

// acl is a list of client networks.
type acl []netip.Prefix

// privateNets are the clients that may recurse when --allow-recursion is
// not given: loopback, RFC 1918, RFC 4193 unique local and link-local
// networks. An open resolver on the Internet is an amplifier for attacks,
// so public clients are refused unless the operator names them.
var privateNets = mustACL("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12",
	"192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10")

func mustACL(cidrs ...string) acl {
	a, err := parseACL(cidrs)
	if err != nil {
		panic(err)
	}
	return a
}

// parseACL reads CIDRs ("10.0.0.0/8") and bare addresses (a /32 or /128).
func parseACL(cidrs []string) (acl, error) {
	var a acl
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !strings.Contains(c, "/") {
			ip, err := netip.ParseAddr(c)
			if err != nil {
				return nil, fmt.Errorf("%q is neither an address nor a CIDR network", c)
			}
			a = append(a, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR network (like 192.0.2.0/24)", c)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		a = append(a, p.Masked())
	}
	return a, nil
}

// allows reports whether the client address is in one of the networks.
func (a acl) allows(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range a {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// mustAddr parses an address known to be good.
func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
