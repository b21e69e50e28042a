package endpoint

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// TCP is a "tcp" or "tcp6" endpoint: a stream listener on Interface:Port.
//
//	tcp:PORT[:INTERFACE[:BACKLOG]]     interface "" = every IPv4 address
//	tcp6:PORT[:BACKLOG[:INTERFACE]]    interface "::" = every IPv6 address
//
// Parse returns *TCP. An IPv6 interface is fine for tcp too (it then binds
// IPv6); tcp6 refuses an IPv4 interface at parse time. A tcp6 listener is
// IPv6-only (Go sets IPV6_V6ONLY), unlike Twisted on Linux, so tcp:80 and
// tcp6:80 can run side by side.
type TCP struct {
	// Port is 0-65535; 0 lets the kernel pick (read it from Addr()).
	Port int
	// Interface is "" (tcp: every IPv4 address), an IP literal in its
	// canonical form, or a lower-case host name resolved when listening.
	// Default: "" for tcp, "::" for tcp6.
	Interface string
	// Backlog is checked and kept (default 50) but has no effect: Go
	// listens with the kernel's net.core.somaxconn.
	Backlog int
	// IPv6 is true for kind tcp6.
	IPv6 bool
}

// Network returns the network for net.Listen: "tcp6" for tcp6 or an IPv6
// interface literal, else "tcp4" (Twisted's tcp is IPv4 unless the
// interface is an IPv6 literal; host names resolve to IPv4).
func (t *TCP) Network() string {
	if t.IPv6 || isIPv6(t.Interface) {
		return "tcp6"
	}
	return "tcp4"
}

// Addr returns "host:port" for net.Listen, e.g. "127.0.0.1:8080", ":8080"
// or "[::1]:8080".
func (t *TCP) Addr() string { return net.JoinHostPort(t.Interface, strconv.Itoa(t.Port)) }

// String returns the canonical form: port, then interface and backlog when
// not the defaults.
func (t *TCP) String() string {
	k, all := "tcp", ""
	if t.IPv6 {
		k, all = "tcp6", "::"
	}
	s := k + ":" + strconv.Itoa(t.Port)
	if t.Interface != all {
		s += ":interface=" + Escape(t.Interface)
	}
	if t.Backlog != defaultBacklog {
		s += ":backlog=" + strconv.Itoa(t.Backlog)
	}
	return s
}

// Listen binds the address. Errors name the endpoint, the address and the
// OS reason ("bind: address already in use").
func (t *TCP) Listen(ctx context.Context, env *Env) (net.Listener, error) {
	if err := ctx.Err(); err != nil {
		return nil, listenError(t, err)
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, t.Network(), t.Addr())
	if err != nil {
		return nil, listenError(t, err)
	}
	return l, nil
}

func buildTCP(a *args, ipv6 bool) (Endpoint, error) {
	t := &TCP{IPv6: ipv6}
	var err error
	if t.Port, err = a.port(); err != nil {
		return nil, err
	}
	if t.Backlog, err = a.count("backlog", defaultBacklog); err != nil {
		return nil, err
	}
	if t.Interface, err = parseInterface(a, ipv6); err != nil {
		return nil, err
	}
	return t, nil
}

// parseInterface checks the interface parameter: "" , an IP literal
// (returned in canonical form) or a host name (returned in lower case).
// For IPv6-only kinds "" means "::" and IPv4 literals are refused.
func parseInterface(a *args, ipv6 bool) (string, error) {
	v := a.get("interface", "")
	if v == "" {
		if ipv6 {
			return "::", nil
		}
		return "", nil
	}
	if ip, err := netip.ParseAddr(v); err == nil {
		if ipv6 && ip.Is4() {
			return "", bad("interface", "interface %s is an IPv4 address but %s listens on IPv6 only; use tcp:%s:interface=%s", v, a.kind, a.get("port", "PORT"), v)
		}
		return ip.String(), nil
	}
	if strings.HasPrefix(v, "[") {
		return "", bad("interface", `interface %s: write IPv6 addresses without brackets and with escaped colons, e.g. interface=\:\:1`, quote(v))
	}
	if !isHostName(v) {
		return "", bad("interface", "interface %s is neither an IP address nor a host name", quote(v))
	}
	return strings.ToLower(v), nil
}

// isHostName reports whether s is a DNS name: dot-separated labels of
// letters, digits, '-' and '_', at most 253 bytes, not all digits (a
// malformed IPv4 address is not a host name).
func isHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	numeric := true
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' {
			return false
		}
		for _, c := range label {
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '_':
				numeric = false
			default:
				return false
			}
		}
	}
	return !numeric
}

func isIPv6(s string) bool {
	ip, err := netip.ParseAddr(s)
	return err == nil && !ip.Is4()
}
