package runner

import (
	"fmt"
	"net/netip"

	"github.com/gotwistd/gotwistd/endpoint"
)

// bound is one endpoint of an application file's entry.
type bound struct {
	entry, desc string
}

// findPortConflict returns an error naming the two entries of an
// application file that would bind the same port (or unix path, or
// inherited socket), before either binds. Port 0 never conflicts.
func findPortConflict(file string, bs []bound) error {
	for i := range bs {
		for j := i + 1; j < len(bs); j++ {
			if overlap(bs[i].desc, bs[j].desc) {
				return fmt.Errorf("%s: services %q and %q both listen on %s / %s: give one another port", file, bs[i].entry, bs[j].entry, bs[i].desc, bs[j].desc)
			}
		}
	}
	return nil
}

// overlap tells whether binding a and b in one process must fail.
func overlap(a, b string) bool {
	ea, err1 := endpoint.Parse(a)
	eb, err2 := endpoint.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	ka, kb := bindKey(ea), bindKey(eb)
	if ka.kind == "" || ka.kind != kb.kind {
		return false
	}
	switch ka.kind {
	case "unix", "systemd":
		return ka.addr == kb.addr
	}
	return ka.port != 0 && ka.port == kb.port && (ka.addr == kb.addr || wildcard(ka.addr) || wildcard(kb.addr))
}

type key struct {
	kind, addr string
	port       int
}

func bindKey(e endpoint.Endpoint) key {
	switch e := e.(type) {
	case *endpoint.TLS:
		return tcpKey(&e.TCP)
	case *endpoint.TCP:
		return tcpKey(e)
	case *endpoint.UDP:
		return key{kind: family("udp", false, e.Interface), addr: e.Interface, port: e.Port}
	case *endpoint.Unix:
		return key{kind: "unix", addr: e.Address}
	case *endpoint.Systemd:
		return key{kind: "systemd", addr: fmt.Sprint(e.Index)}
	}
	return key{}
}

func tcpKey(t *endpoint.TCP) key {
	return key{kind: family("tcp", t.IPv6, t.Interface), addr: t.Interface, port: t.Port}
}

// family separates IPv4 and IPv6 binds: tcp6 sockets are IPv6-only, so
// tcp:80 and tcp6:80 live side by side.
func family(proto string, v6 bool, iface string) string {
	if ip, err := netip.ParseAddr(iface); err == nil && ip.Is6() && !ip.Is4In6() {
		v6 = true
	}
	if v6 {
		return proto + "6"
	}
	return proto + "4"
}

func wildcard(addr string) bool {
	return addr == "" || addr == "0.0.0.0" || addr == "::"
}
