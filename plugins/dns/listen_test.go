package dns

import (
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/gotwistd/gotwistd/service"
)

// addrs returns the bound address of every socket of the server.
func (ts *testServer) addrs() (tcp, udp []string) {
	for _, c := range ts.svc.(*service.Multi).Services() {
		switch s := c.(type) {
		case *service.Stream:
			tcp = append(tcp, s.Addr().String())
		case *udpService:
			udp = append(udp, s.conn.LocalAddr().String())
		}
	}
	return tcp, udp
}

// askAt asks one question at addr.
func askAt(t *testing.T, network, addr, name string) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	r, _, err := (&dns.Client{Net: network}).Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s: %v", network, addr, err)
	}
	return r
}

// A socket bound to every address answers from the address the query
// was sent to.
func TestWildcardInterface(t *testing.T) {
	hosts := writeFile(t, t.TempDir(), "hosts", scenarioHosts)
	ts, err := tryStartOn(t, "-i", "0.0.0.0", "-p", "0", "--hosts-file", hosts)
	if err != nil {
		t.Fatal(err)
	}
	_, udp := ts.addrs()
	_, port, _ := net.SplitHostPort(udp[0])
	for _, ip := range []string{"127.0.0.1", "127.0.0.2"} {
		for _, network := range []string{"udp", "tcp"} {
			if r := askAt(t, network, net.JoinHostPort(ip, port), "alpha."); len(r.Answer) != 1 {
				t.Errorf("%s %s: %v", network, ip, r)
			}
		}
	}
}

// Every -i gets a TCP and a UDP socket on the same port.
func TestSeveralInterfaces(t *testing.T) {
	if l, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback here")
	} else {
		l.Close()
	}
	hosts := writeFile(t, t.TempDir(), "hosts", scenarioHosts)
	ts, err := tryStartOn(t, "-i", "127.0.0.1", "-i", "::1", "-p", "0", "--hosts-file", hosts)
	if err != nil {
		t.Fatal(err)
	}
	tcp, udp := ts.addrs()
	if len(tcp) != 2 || len(udp) != 2 {
		t.Fatalf("sockets: tcp %v udp %v", tcp, udp)
	}
	for i := range tcp {
		if tcp[i] != udp[i] {
			t.Errorf("TCP on %s but UDP on %s", tcp[i], udp[i])
		}
		for _, network := range []string{"udp", "tcp"} {
			if r := askAt(t, network, tcp[i], "alpha."); len(r.Answer) != 1 {
				t.Errorf("%s %s: %v", network, tcp[i], r)
			}
		}
	}
	if n := strings.Count(ts.logs.String(), "listening on udp:0:interface="); n != 2 {
		t.Errorf("%d UDP listening lines, want 2:\n%s", n, ts.logs)
	}
}

func TestSameInterfaceTwice(t *testing.T) {
	if _, err := tryStartOn(t, "-i", "127.0.0.1", "-i", "127.0.0.1", "-p", "0"); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("err = %v", err)
	}
}

// A port already taken fails the start; nothing stays bound.
func TestPortInUse(t *testing.T) {
	// A UDP port taken by us whose TCP twin is free, so that our TCP
	// bind succeeds and the UDP bind fails.
	var pc net.PacketConn
	var port string
	for range 20 {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, p, _ := net.SplitHostPort(c.LocalAddr().String())
		if l, err := net.Listen("tcp4", "127.0.0.1:"+p); err == nil {
			l.Close()
			pc, port = c, p
			break
		}
		c.Close()
	}
	if pc == nil {
		t.Skip("no port free for TCP and taken for UDP")
	}
	defer pc.Close()
	if _, err := tryStartOn(t, "-i", "127.0.0.1", "-p", port); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("err = %v", err)
	}
	if l, err := net.Listen("tcp4", "127.0.0.1:"+port); err != nil {
		t.Fatalf("the TCP port stayed bound: %v", err)
	} else {
		l.Close()
	}
}
