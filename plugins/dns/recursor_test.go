package dns

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// upstream starts our own server, with the example zones and -v so that
// its log counts the questions it gets.
func upstream(t *testing.T, extra ...string) *testServer {
	dir := t.TempDir()
	args := []string{"-v", "--bindzone", writeFile(t, dir, "example.zone", exampleZone),
		"--bindzone", writeFile(t, dir, "big.zone", bigZone()),
		"--hosts-file", writeFile(t, dir, "hosts", scenarioHosts)}
	return start(t, append(args, extra...)...)
}

// asked counts the questions the server has logged for q ("name. TYPE"),
// in any case.
func (ts *testServer) asked(q string) int {
	return strings.Count(strings.ToLower(ts.logs.String()), ") "+strings.ToLower(q)+":")
}

// forwarder starts a server that forwards to the given servers.
func forwarder(t *testing.T, servers []string, extra ...string) *testServer {
	var rc strings.Builder
	for _, s := range servers {
		fmt.Fprintf(&rc, "nameserver %s\n", s)
	}
	rc.WriteString("options timeout:1 attempts:1\n")
	path := writeFile(t, t.TempDir(), "resolv.conf", rc.String())
	return start(t, append([]string{"--resolv-conf", path}, extra...)...)
}

func TestForwarding(t *testing.T) {
	up := upstream(t)
	fw := forwarder(t, []string{up.addr}, "--hosts-file", writeFile(t, t.TempDir(), "hosts", "10.5.5.5 local\n"))
	for _, network := range []string{"udp", "tcp"} {
		r := fw.ask(t, network, "www.example.test.", dns.TypeA)
		if !r.RecursionAvailable || r.Authoritative || len(r.Answer) != 2 {
			t.Errorf("%s: forwarded answer: RA=%v AA=%v %v", network, r.RecursionAvailable, r.Authoritative, r.Answer)
		}
		r = fw.ask(t, network, "nosuch.example.test.", dns.TypeA)
		if r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
			t.Errorf("%s: forwarded NXDOMAIN: %v", network, r)
		}
		r = fw.ask(t, network, "local.", dns.TypeA)
		if !r.Authoritative || !r.RecursionAvailable || len(r.Answer) != 1 {
			t.Errorf("%s: own hosts file: %v", network, r)
		}
		r = fw.ask(t, network, "alpha.", dns.TypeAAAA)
		if rrs(r.Answer) != "alpha. 3600 IN AAAA fe80::1" {
			t.Errorf("%s: upstream hosts answer: %v", network, r.Answer)
		}
	}
}

// A truncated upstream answer is asked again over TCP; our own answer is
// then fitted to the client's transport.
func TestForwardingTruncated(t *testing.T) {
	up := upstream(t)
	fw := forwarder(t, []string{up.addr})
	if r := fw.ask(t, "tcp", "many.big.test.", dns.TypeTXT); len(r.Answer) != 40 || r.Truncated {
		t.Fatalf("over TCP: %d answers, TC=%v", len(r.Answer), r.Truncated)
	}
	if r := fw.ask(t, "udp", "many.big.test.", dns.TypeTXT); !r.Truncated {
		t.Fatalf("over UDP without EDNS: TC not set")
	}
}

func TestRecursionACL(t *testing.T) {
	up := upstream(t)
	fw := forwarder(t, []string{up.addr}, "--allow-recursion", "192.0.2.0/24",
		"--hosts-file", writeFile(t, t.TempDir(), "hosts", "10.5.5.5 local\n"))
	r := fw.ask(t, "udp", "www.example.test.", dns.TypeA)
	if r.Rcode != dns.RcodeRefused || r.RecursionAvailable {
		t.Fatalf("client outside --allow-recursion: %s RA=%v", dns.RcodeToString[r.Rcode], r.RecursionAvailable)
	}
	if r := fw.ask(t, "udp", "local.", dns.TypeA); len(r.Answer) != 1 || r.RecursionAvailable {
		t.Fatalf("own data for a client outside --allow-recursion: %v", r)
	}
	if up.asked("www.example.test. A") != 0 {
		t.Fatal("the question went upstream")
	}
}

func TestDefaultRecursionACL(t *testing.T) {
	for _, tt := range []struct {
		ip string
		ok bool
	}{{"127.0.0.1", true}, {"::1", true}, {"10.1.2.3", true}, {"172.31.0.1", true}, {"192.168.1.1", true},
		{"fd00::1", true}, {"::ffff:192.168.1.1", true}, {"8.8.8.8", false}, {"172.32.0.1", false}, {"2001:db8::1", false}} {
		if got := privateNets.allows(mustAddr(tt.ip)); got != tt.ok {
			t.Errorf("%s: %v, want %v", tt.ip, got, tt.ok)
		}
	}
}

// dead is a UDP socket that reads nothing: asking it times out.
func dead(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

// failing is a server that answers every question with rcode.
func failing(t *testing.T, rcode int) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(r, rcode)
			_ = w.WriteMsg(m)
		})}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

func TestFailover(t *testing.T) {
	up := upstream(t)
	fw := forwarder(t, []string{failing(t, dns.RcodeServerFailure), failing(t, dns.RcodeRefused), dead(t), up.addr})
	for i := range 2 {
		r := fw.ask(t, "udp", "web.example.test.", dns.TypeA)
		if len(r.Answer) != 1 {
			t.Fatalf("query %d: %v", i, r)
		}
	}
	if n := up.asked("web.example.test. A"); n != 2 {
		t.Fatalf("the good upstream was asked %d times, want 2", n)
	}
	if idx := fw.handler().recursion.preferred.Load(); idx != 3 {
		t.Fatalf("preferred server %d, want the one that answered (3)", idx)
	}
}

func TestAllUpstreamsFail(t *testing.T) {
	fw := forwarder(t, []string{failing(t, dns.RcodeServerFailure)})
	if r := fw.ask(t, "udp", "www.example.test.", dns.TypeA); r.Rcode != dns.RcodeServerFailure || !r.RecursionAvailable {
		t.Fatalf("got %s RA=%v, want SERVFAIL with RA", dns.RcodeToString[r.Rcode], r.RecursionAvailable)
	}
}

// clock is a settable time for the cache.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestCache(t *testing.T) {
	up := upstream(t)
	fw := forwarder(t, []string{up.addr}, "-c")
	clk := &clock{t: time.Unix(1_000_000, 0)}
	fw.handler().recursion.cache.setClock(clk.now)

	// Positive answers: asked upstream once, TTL counting down.
	for i := range 3 {
		r := fw.ask(t, "udp", "web.example.test.", dns.TypeA)
		if want := fmt.Sprintf("web.example.test. %d IN A 192.0.2.3", 300-100*i); rrs(r.Answer) != want {
			t.Fatalf("answer %d: %q, want %q", i, rrs(r.Answer), want)
		}
		clk.add(100 * time.Second)
	}
	if n := up.asked("web.example.test. A"); n != 1 {
		t.Fatalf("upstream asked %d times, want 1", n)
	}
	clk.add(time.Second) // 301 s: expired
	fw.ask(t, "udp", "web.example.test.", dns.TypeA)
	if n := up.asked("web.example.test. A"); n != 2 {
		t.Fatalf("upstream asked %d times after expiry, want 2", n)
	}

	// Negative answers: kept for min(SOA TTL, SOA MINIMUM) = 60 s.
	for range 2 {
		if r := fw.ask(t, "udp", "nosuch.example.test.", dns.TypeA); r.Rcode != dns.RcodeNameError {
			t.Fatalf("got %s", dns.RcodeToString[r.Rcode])
		}
		if r := fw.ask(t, "udp", "web.example.test.", dns.TypeMX); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || len(r.Ns) != 1 {
			t.Fatalf("NODATA: %v", r)
		}
	}
	if up.asked("nosuch.example.test. A") != 1 || up.asked("web.example.test. MX") != 1 {
		t.Fatal("negative answers were not cached")
	}
	clk.add(61 * time.Second)
	fw.ask(t, "udp", "nosuch.example.test.", dns.TypeA)
	if n := up.asked("nosuch.example.test. A"); n != 2 {
		t.Fatalf("negative entry kept past its TTL: asked %d times", n)
	}

	// Case does not matter.
	fw.ask(t, "udp", "WEB.example.TEST.", dns.TypeA)
	if n := up.asked("web.example.test. A"); n != 2 {
		t.Fatalf("the cache is case-sensitive: asked %d times", n)
	}
}

// Stale answers are served only when every upstream fails, with a 30 s
// TTL, and only within --serve-stale.
func TestServeStale(t *testing.T) {
	up := upstream(t)
	fw := forwarder(t, []string{up.addr}, "-c", "--serve-stale", "1h")
	clk := &clock{t: time.Unix(1_000_000, 0)}
	fw.handler().recursion.cache.setClock(clk.now)
	fw.ask(t, "udp", "web.example.test.", dns.TypeA)
	clk.add(400 * time.Second)
	if r := fw.ask(t, "udp", "web.example.test.", dns.TypeA); rrs(r.Answer) != "web.example.test. 300 IN A 192.0.2.3" {
		t.Fatalf("with the upstream up, an expired entry is refreshed: %v", r.Answer)
	}
	up.stop(t)
	clk.add(400 * time.Second)
	r := fw.ask(t, "udp", "web.example.test.", dns.TypeA)
	if rrs(r.Answer) != "web.example.test. 30 IN A 192.0.2.3" {
		t.Fatalf("stale answer: %v", r)
	}
	if !strings.Contains(fw.logs.String(), "serving a stale answer for web.example.test.") {
		t.Fatal("stale answer not logged")
	}
	clk.add(2 * time.Hour)
	if r := fw.ask(t, "udp", "web.example.test.", dns.TypeA); r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("past --serve-stale: %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
}

// A name that enters and leaves our hosts file is not answered from a
// cache entry made before.
func TestCacheForgetsChangedNames(t *testing.T) {
	up := upstream(t)
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", "10.5.5.5 local\n")
	fw := forwarder(t, []string{up.addr}, "-c", "--hosts-file", hosts, "--reload", "0")
	fw.ask(t, "udp", "web.example.test.", dns.TypeA)
	writeFile(t, dir, "hosts", "10.5.5.5 local\n10.5.5.6 web.example.test\n")
	if err := fw.reload(t); err != nil {
		t.Fatal(err)
	}
	if r := fw.ask(t, "udp", "web.example.test.", dns.TypeA); rrs(r.Answer) != "web.example.test. 3600 IN A 10.5.5.6" {
		t.Fatalf("hosts entry: %v", r.Answer)
	}
	writeFile(t, dir, "hosts", "10.5.5.5 local\n")
	if err := fw.reload(t); err != nil {
		t.Fatal(err)
	}
	fw.ask(t, "udp", "web.example.test.", dns.TypeA)
	if n := up.asked("web.example.test. A"); n != 2 {
		t.Fatalf("upstream asked %d times, want 2 (the cache must forget the name)", n)
	}
}

func TestCacheBounded(t *testing.T) {
	c := newCache(2, 0)
	for _, name := range []string{"a.", "b.", "a.", "c."} { // a is used again, so b goes
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 1)}}
		if _, ok := c.get(cacheKey(m), false); !ok {
			c.put(cacheKey(m), m)
		}
	}
	if c.len() != 2 {
		t.Fatalf("%d entries, want 2", c.len())
	}
	for name, want := range map[string]bool{"a.": true, "b.": false, "c.": true} {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		if _, ok := c.get(cacheKey(m), false); ok != want {
			t.Errorf("%s cached: %v, want %v", name, ok, want)
		}
	}
}

func TestCacheTTL(t *testing.T) {
	soa := func(ttl, minttl uint32) dns.RR {
		return &dns.SOA{Hdr: dns.RR_Header{Name: "x.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl}, Minttl: minttl}
	}
	a := &dns.A{Hdr: dns.RR_Header{Name: "x.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 50}, A: net.IPv4(192, 0, 2, 1)}
	tests := []struct {
		name string
		m    dns.Msg
		ttl  time.Duration
		ok   bool
	}{
		{"answer", dns.Msg{Answer: []dns.RR{a}}, 50 * time.Second, true},
		{"NXDOMAIN with SOA", dns.Msg{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeNameError}, Ns: []dns.RR{soa(300, 60)}}, 60 * time.Second, true},
		{"NODATA with SOA, SOA TTL smaller", dns.Msg{Ns: []dns.RR{soa(10, 60)}}, 10 * time.Second, true},
		{"NXDOMAIN without SOA", dns.Msg{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeNameError}}, 0, false},
		{"SERVFAIL", dns.Msg{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeServerFailure}}, 0, false},
		{"truncated", dns.Msg{MsgHdr: dns.MsgHdr{Truncated: true}, Answer: []dns.RR{a}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.m.Question = []dns.Question{{Name: "x.", Qtype: dns.TypeA, Qclass: dns.ClassINET}}
			ttl, ok := cacheTTL(&tt.m)
			if ttl != tt.ttl || ok != tt.ok {
				t.Fatalf("got %s %v, want %s %v", ttl, ok, tt.ttl, tt.ok)
			}
		})
	}
}

func TestParseResolvConf(t *testing.T) {
	tests := []struct {
		in       string
		servers  string
		timeout  time.Duration
		attempts int
		err      string
	}{
		{"nameserver 192.0.2.1\nnameserver 2001:db8::1\n", "192.0.2.1:53 [2001:db8::1]:53", 2 * time.Second, 2, ""},
		{"# c\nsearch example.org\nnameserver 192.0.2.1 # x\noptions ndots:2 timeout:3 attempts:4\n", "192.0.2.1:53", 3 * time.Second, 4, ""},
		{"nameserver 127.0.0.1:5353\nnameserver [::1]:5353\n", "127.0.0.1:5353 [::1]:5353", 2 * time.Second, 2, ""},
		{"options timeout:99 attempts:99\nnameserver 192.0.2.1\n", "192.0.2.1:53", 30 * time.Second, 5, ""},
		{"search example.org\n", "", 0, 0, "no nameserver"},
		{"nameserver dns.example.org\n", "", 0, 0, "line 1"},
	}
	for _, tt := range tests {
		u, err := parseResolvConf(strings.NewReader(tt.in))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if got := strings.Join(u.servers, " "); got != tt.servers || u.timeout != tt.timeout || u.attempts != tt.attempts {
			t.Errorf("%q: got %s %s %d", tt.in, got, u.timeout, u.attempts)
		}
	}
}

func TestSelfLoop(t *testing.T) {
	pairs, err := listenPairs([]string{"", "192.0.2.1"}, 53)
	if err != nil {
		t.Fatal(err)
	}
	for servers, want := range map[string]string{
		"127.0.0.1:53":   "127.0.0.1:53",
		"192.0.2.1:53":   "192.0.2.1:53",
		"192.0.2.2:53":   "",
		"127.0.0.1:5353": "",
	} {
		u := &upstreams{servers: []string{servers}}
		if got := u.selfLoop(pairs); got != want {
			t.Errorf("%s: %q, want %q", servers, got, want)
		}
	}
}

func TestCacheWithoutRecursionWarns(t *testing.T) {
	ts := start(t, "-c")
	ts.logs.waitFor(t, "--cache without --recursive", 1)
}
