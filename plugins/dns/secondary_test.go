package dns

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func fastZone(serial int, extra string) string {
	return fmt.Sprintf("$ORIGIN fast.test.\n@ IN SOA ns hostmaster %d 1 1 3 60\na IN A 192.0.2.1\n%s", serial, extra)
}

func TestSecondaryTransferAndNotify(t *testing.T) {
	dir := t.TempDir()
	zone := writeFile(t, dir, "example.zone", exampleZone)
	primary := start(t, "--bindzone", zone, "--allow-transfer", "127.0.0.1")
	sec := start(t, "--secondary", primary.addr+"/Example.Test", "--allow-transfer", "127.0.0.1")
	sec.logs.waitFor(t, "secondary example.test.: transferred serial 2024010101 (22 records) from "+primary.addr, 1)

	for _, network := range []string{"udp", "tcp"} {
		r := sec.ask(t, network, "www.example.test.", dns.TypeA)
		if !r.Authoritative || len(r.Answer) != 2 {
			t.Fatalf("%s: the secondary's answer: %v", network, r)
		}
		if r := sec.ask(t, network, "nosuch.example.test.", dns.TypeA); r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
			t.Fatalf("%s: NXDOMAIN from the secondary: %v", network, r)
		}
	}
	if got, _, err := sec.axfr(t, "example.test."); err != nil || len(got) != 23 {
		t.Fatalf("the secondary transfers on: %d records, %v", len(got), err)
	}

	// The primary's zone changes; NOTIFY brings the change over.
	writeFile(t, dir, "example.zone", strings.Replace(exampleZone, "2024010101", "2024010102", 1)+"fresh IN A 192.0.2.50\n")
	primary.logs.waitFor(t, "reloaded zone file", 1)
	n := new(dns.Msg)
	n.SetNotify("example.test.")
	r := sec.exchange(t, "udp", n)
	if r.Rcode != dns.RcodeSuccess || r.Opcode != dns.OpcodeNotify || !r.Authoritative {
		t.Fatalf("NOTIFY answered %s opcode %d AA=%v", dns.RcodeToString[r.Rcode], r.Opcode, r.Authoritative)
	}
	sec.logs.waitFor(t, "transferred serial 2024010102", 1)
	if r := sec.ask(t, "udp", "fresh.example.test.", dns.TypeA); len(r.Answer) != 1 {
		t.Fatalf("the new record after NOTIFY: %v", r)
	}

	// SIGHUP checks the serial: unchanged, so no transfer.
	if err := sec.reload(t); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(sec.logs.String(), "transferred serial"); n != 2 {
		t.Fatalf("%d transfers, want 2", n)
	}
}

// The SOA's refresh interval (1 s here) brings changes without NOTIFY;
// when the primary is gone for the expire interval, the zone expires.
func TestSecondaryRefreshAndExpire(t *testing.T) {
	dir := t.TempDir()
	zone := writeFile(t, dir, "fast.zone", fastZone(1, ""))
	primary := start(t, "--bindzone", zone, "--allow-transfer", "127.0.0.1")
	sec := start(t, "--secondary", primary.addr+"/fast.test")
	sec.logs.waitFor(t, "transferred serial 1 ", 1)

	writeFile(t, dir, "fast.zone", fastZone(2, "b IN A 192.0.2.2\n"))
	sec.logs.waitFor(t, "transferred serial 2 ", 1)
	if r := sec.ask(t, "udp", "b.fast.test.", dns.TypeA); len(r.Answer) != 1 {
		t.Fatalf("after the refresh: %v", r)
	}

	primary.stop(t)
	sec.logs.waitFor(t, "secondary fast.test.: expired", 1)
	if r := sec.ask(t, "udp", "a.fast.test.", dns.TypeA); r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("an expired zone answered %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
}

func TestSecondaryWithoutData(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	sec := start(t, "--secondary", addr+"/example.test")
	sec.logs.waitFor(t, "secondary example.test.: transfer from "+addr+" failed", 1)
	if r := sec.ask(t, "udp", "www.example.test.", dns.TypeA); r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("got %s, want SERVFAIL before the first transfer", dns.RcodeToString[r.Rcode])
	}
	if r := sec.ask(t, "udp", "elsewhere.test.", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("outside the zone: %s", dns.RcodeToString[r.Rcode])
	}
}

// A primary that refuses the transfer is reported, and nothing is served.
func TestSecondaryTransferRefused(t *testing.T) {
	primary := start(t, "--bindzone", writeFile(t, t.TempDir(), "example.zone", exampleZone))
	sec := start(t, "--secondary", primary.addr+"/example.test")
	sec.logs.waitFor(t, "transfer from "+primary.addr+" failed: the primary answered REFUSED", 1)
}

func TestNotifyChecks(t *testing.T) {
	s := &secondaries{zones: []*secondary{{origin: "example.test.", primary: netip.MustParseAddrPort("192.0.2.1:53"),
		holder: &transferred{}, log: discard(), kick: make(chan struct{}, 1)}}}
	tests := []struct {
		name   string
		zone   string
		client string
		rcode  int
	}{
		{"from the primary", "example.test.", "192.0.2.1", dns.RcodeSuccess},
		{"twice: the refresh is already due", "EXAMPLE.TEST.", "192.0.2.1", dns.RcodeSuccess},
		{"from elsewhere", "example.test.", "192.0.2.2", dns.RcodeRefused},
		{"another zone", "example.org.", "192.0.2.1", dns.RcodeNotAuth},
	}
	for _, tt := range tests {
		n := new(dns.Msg)
		n.SetNotify(tt.zone)
		if r := s.notify(n, netip.MustParseAddr(tt.client)); r.Rcode != tt.rcode {
			t.Errorf("%s: %s, want %s", tt.name, dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
		}
	}
}

func TestParseSecondary(t *testing.T) {
	tests := []struct {
		in, primary, origin, err string
	}{
		{"192.0.2.1/example.org", "192.0.2.1:53", "example.org.", ""},
		{"192.0.2.1:5353/Example.Org.", "192.0.2.1:5353", "example.org.", ""},
		{"2001:db8::1/example.org", "[2001:db8::1]:53", "example.org.", ""},
		{"[2001:db8::1]:5353/example.org", "[2001:db8::1]:5353", "example.org.", ""},
		{"example.org", "", "", "IP[:PORT]/DOMAIN"},
		{"ns.example.org/example.org", "", "", "not an IP"},
		{"192.0.2.1/", "", "", "not a domain"},
		{"192.0.2.1:0/example.org", "", "", "not an IP"},
	}
	for _, tt := range tests {
		ap, origin, err := parseSecondary(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || ap.String() != tt.primary || origin != tt.origin {
			t.Errorf("%q: %s %s %v", tt.in, ap, origin, err)
		}
	}
}

func TestSerialNewer(t *testing.T) {
	for _, tt := range []struct {
		a, b uint32
		want bool
	}{{2, 1, true}, {1, 2, false}, {1, 1, false}, {0, 0xffffffff, true}, {0xffffffff, 0, false}, {1 << 31, 0, false}} {
		if got := serialNewer(tt.a, tt.b); got != tt.want {
			t.Errorf("serialNewer(%d, %d) = %v", tt.a, tt.b, got)
		}
	}
}

func TestSecondaryClashesWithZone(t *testing.T) {
	zone := writeFile(t, t.TempDir(), "example.zone", exampleZone)
	if _, err := tryStart(t, "--bindzone", zone, "--secondary", "192.0.2.1/example.test"); err == nil || !strings.Contains(err.Error(), "already served") {
		t.Fatalf("err = %v", err)
	}
}
