package endpoint

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
)

func mustParse(t *testing.T, desc string) Endpoint {
	t.Helper()
	e, err := Parse(desc)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func listen(t *testing.T, desc string) net.Listener {
	t.Helper()
	l, err := mustParse(t, desc).Listen(context.Background(), &Env{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func dialTo(network, addr string) func() (net.Conn, error) {
	return func() (net.Conn, error) { return net.Dial(network, addr) }
}

func port(l net.Listener) string { return strconv.Itoa(l.Addr().(*net.TCPAddr).Port) }

func TestTCPNetworkAddr(t *testing.T) {
	for _, c := range []struct{ desc, network, addr string }{
		{"tcp:8080", "tcp4", ":8080"},
		{"tcp:8080:interface=127.0.0.1", "tcp4", "127.0.0.1:8080"},
		{`tcp:8080:interface=\:\:1`, "tcp6", "[::1]:8080"},
		{"tcp:8080:interface=localhost", "tcp4", "localhost:8080"},
		{"tcp6:8080", "tcp6", "[::]:8080"},
		{`tcp6:8080:interface=\:\:1`, "tcp6", "[::1]:8080"},
	} {
		tc := mustParse(t, c.desc).(*TCP)
		if tc.Network() != c.network || tc.Addr() != c.addr {
			t.Errorf("%s: Network, Addr = %s, %s; want %s, %s", c.desc, tc.Network(), tc.Addr(), c.network, c.addr)
		}
	}
}

func TestTCPListen(t *testing.T) {
	l := listen(t, "tcp:0:interface=127.0.0.1")
	exchange(t, l, dialTo("tcp", l.Addr().String()))
}

// TestTCPAllIPv4 checks that tcp with no interface binds every IPv4 address.
func TestTCPAllIPv4(t *testing.T) {
	l := listen(t, "tcp:0")
	a := l.Addr().(*net.TCPAddr)
	if !a.IP.IsUnspecified() || a.IP.To4() == nil {
		t.Errorf("bound %v, want 0.0.0.0", a)
	}
	exchange(t, l, dialTo("tcp", "127.0.0.1:"+port(l)))
}

func TestTCPBarePort(t *testing.T) {
	l := listen(t, "0")
	exchange(t, l, dialTo("tcp", "127.0.0.1:"+port(l)))
}

func TestTCPHostName(t *testing.T) {
	if _, err := net.DefaultResolver.LookupIP(context.Background(), "ip4", "localhost"); err != nil {
		t.Skipf("localhost does not resolve: %v", err)
	}
	l := listen(t, "tcp:0:interface=localhost")
	if ip := l.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() || ip.To4() == nil {
		t.Errorf("bound %v, want an IPv4 loopback", ip)
	}
	exchange(t, l, dialTo("tcp", l.Addr().String()))
}

func TestTCP6Listen(t *testing.T) {
	hasIPv6(t)
	l := listen(t, `tcp6:0:interface=\:\:1`)
	exchange(t, l, dialTo("tcp6", l.Addr().String()))
}

func TestTCP6AllAddresses(t *testing.T) {
	hasIPv6(t)
	l := listen(t, "tcp6:0")
	if a := l.Addr().(*net.TCPAddr); !a.IP.IsUnspecified() || a.IP.To4() != nil {
		t.Errorf("bound %v, want [::]", a)
	}
	exchange(t, l, dialTo("tcp6", "[::1]:"+port(l)))
}

func TestTCPWithIPv6Interface(t *testing.T) {
	hasIPv6(t)
	l := listen(t, `tcp:0:interface=\:\:1`)
	exchange(t, l, dialTo("tcp6", l.Addr().String()))
}

func TestTCPAddressInUse(t *testing.T) {
	l := listen(t, "tcp:0:interface=127.0.0.1")
	desc := "tcp:" + port(l) + ":interface=127.0.0.1"
	_, err := mustParse(t, desc).Listen(context.Background(), nil)
	if err == nil {
		t.Fatal("second listen on the same port succeeded")
	}
	for _, want := range []string{desc, "127.0.0.1:" + port(l), "address already in use"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestListenCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, desc := range []string{"tcp:0:interface=127.0.0.1", "unix:" + Escape(t.TempDir()+"/c.sock"), "systemd:domain=INET:index=0"} {
		if l, err := mustParse(t, desc).Listen(ctx, &Env{}); !errors.Is(err, context.Canceled) {
			if l != nil {
				l.Close()
			}
			t.Errorf("%s: Listen with a canceled context = %v", desc, err)
		}
	}
	if c, err := mustParse(t, "udp:0:interface=127.0.0.1").(PacketEndpoint).ListenPacket(ctx, nil); !errors.Is(err, context.Canceled) {
		if c != nil {
			c.Close()
		}
		t.Errorf("ListenPacket with a canceled context = %v", err)
	}
}
