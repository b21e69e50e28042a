package dns

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

const exampleZone = `$ORIGIN example.test.
$TTL 300
@         IN SOA   ns1 hostmaster ( 2024010101 3600 600 86400 60 )
          IN NS    ns1
          IN MX    10 mail
          IN CAA   0 issue "letsencrypt.org"
ns1       IN A     192.0.2.1
mail      IN A     192.0.2.2
          IN AAAA  2001:db8::2
www       IN CNAME web
web       IN A     192.0.2.3
chain     IN CNAME www
dangling  IN CNAME nothere
loop1     IN CNAME loop2
loop2     IN CNAME loop1
ext       IN CNAME www.other.test.
out       IN CNAME host.elsewhere.invalid.
*.wild    IN A     192.0.2.4
*.wild    IN TXT   "wild"
sub.wild  IN A     192.0.2.5
a.b.c     IN A     192.0.2.6
_sip._tcp IN SRV   10 5 5060 mail
child     IN NS    ns.child
ns.child  IN A     192.0.2.7
`

const otherZone = `$ORIGIN other.test.
@   3600 IN SOA ns.other.test. admin.other.test. 7 3600 600 86400 30
www 60   IN A   198.51.100.1
`

func zoneServer(t *testing.T, extra ...string) *testServer {
	dir := t.TempDir()
	args := []string{"--bindzone", writeFile(t, dir, "example.zone", exampleZone),
		"--bindzone", writeFile(t, dir, "other.zone", otherZone)}
	return start(t, append(args, extra...)...)
}

func TestZoneAnswers(t *testing.T) {
	ts := zoneServer(t)
	const soa = "example.test. 60 IN SOA ns1.example.test. hostmaster.example.test. 2024010101 3600 600 86400 60"
	tests := []struct {
		name        string
		qtype       uint16
		rcode       int
		aa          bool
		answer, ns  string
		extra       string
		description string
	}{
		{"example.test.", dns.TypeSOA, 0, true, strings.Replace(soa, " 60 IN", " 300 IN", 1), "", "", "apex SOA"},
		{"EXAMPLE.test.", dns.TypeMX, 0, true, "EXAMPLE.test. 300 IN MX 10 mail.example.test.", "",
			"mail.example.test. 300 IN A 192.0.2.2\nmail.example.test. 300 IN AAAA 2001:db8::2", "MX with target addresses, query case kept"},
		{"example.test.", dns.TypeCAA, 0, true, `example.test. 300 IN CAA 0 issue "letsencrypt.org"`, "", "", "CAA"},
		{"www.example.test.", dns.TypeA, 0, true, "www.example.test. 300 IN CNAME web.example.test.\nweb.example.test. 300 IN A 192.0.2.3", "", "", "CNAME chased"},
		{"chain.example.test.", dns.TypeA, 0, true, "chain.example.test. 300 IN CNAME www.example.test.\nwww.example.test. 300 IN CNAME web.example.test.\nweb.example.test. 300 IN A 192.0.2.3", "", "", "two CNAMEs chased"},
		{"www.example.test.", dns.TypeCNAME, 0, true, "www.example.test. 300 IN CNAME web.example.test.", "", "", "CNAME asked for"},
		{"dangling.example.test.", dns.TypeA, dns.RcodeNameError, true, "dangling.example.test. 300 IN CNAME nothere.example.test.", soa, "", "CNAME to nothing: NXDOMAIN (RFC 6604)"},
		{"loop1.example.test.", dns.TypeA, 0, true, "loop1.example.test. 300 IN CNAME loop2.example.test.\nloop2.example.test. 300 IN CNAME loop1.example.test.", "", "", "CNAME loop stops"},
		{"ext.example.test.", dns.TypeA, 0, true, "ext.example.test. 300 IN CNAME www.other.test.\nwww.other.test. 60 IN A 198.51.100.1", "", "", "CNAME into another of our zones"},
		{"out.example.test.", dns.TypeA, 0, true, "out.example.test. 300 IN CNAME host.elsewhere.invalid.", "", "", "CNAME out of our zones"},
		{"web.example.test.", dns.TypeMX, 0, true, "", soa, "", "NODATA with SOA at its negative TTL"},
		{"web.example.test.", 65280, 0, true, "", soa, "", "NODATA for an unknown type"},
		{"nosuch.example.test.", dns.TypeA, dns.RcodeNameError, true, "", soa, "", "NXDOMAIN with SOA"},
		{"foo.wild.example.test.", dns.TypeA, 0, true, "foo.wild.example.test. 300 IN A 192.0.2.4", "", "", "wildcard"},
		{"x.y.wild.example.test.", dns.TypeA, 0, true, "x.y.wild.example.test. 300 IN A 192.0.2.4", "", "", "wildcard, two labels deep"},
		{"FOO.WILD.example.test.", dns.TypeTXT, 0, true, `FOO.WILD.example.test. 300 IN TXT "wild"`, "", "", "wildcard keeps the query's case"},
		{"foo.wild.example.test.", dns.TypeMX, 0, true, "", soa, "", "wildcard NODATA"},
		{"sub.wild.example.test.", dns.TypeA, 0, true, "sub.wild.example.test. 300 IN A 192.0.2.5", "", "", "an existing name beats the wildcard"},
		{"x.sub.wild.example.test.", dns.TypeA, dns.RcodeNameError, true, "", soa, "", "the wildcard does not reach below an existing name"},
		{"b.c.example.test.", dns.TypeA, 0, true, "", soa, "", "empty non-terminal is NODATA"},
		{"A.B.C.Example.Test.", dns.TypeA, 0, true, "A.B.C.Example.Test. 300 IN A 192.0.2.6", "", "", "case-insensitive"},
		{"_sip._tcp.example.test.", dns.TypeSRV, 0, true, "_sip._tcp.example.test. 300 IN SRV 10 5 5060 mail.example.test.", "",
			"mail.example.test. 300 IN A 192.0.2.2\nmail.example.test. 300 IN AAAA 2001:db8::2", "SRV with target addresses"},
		{"host.child.example.test.", dns.TypeA, 0, false, "", "child.example.test. 300 IN NS ns.child.example.test.",
			"ns.child.example.test. 300 IN A 192.0.2.7", "referral to a delegated child"},
		{"child.example.test.", dns.TypeDS, 0, true, "", soa, "", "DS is the parent's"},
		{"mail.example.test.", dns.TypeANY, 0, true, "mail.example.test. 300 IN A 192.0.2.2\nmail.example.test. 300 IN AAAA 2001:db8::2", "", "", "ANY"},
		{"other.test.", dns.TypeNS, 0, true, "", "other.test. 30 IN SOA ns.other.test. admin.other.test. 7 3600 600 86400 30", "", "the other zone"},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(network+"/"+tt.description, func(t *testing.T) {
				r := ts.ask(t, network, tt.name, tt.qtype)
				var extra []dns.RR
				for _, rr := range r.Extra {
					if rr.Header().Rrtype != dns.TypeOPT {
						extra = append(extra, rr)
					}
				}
				got := fmt.Sprintf("%s aa=%v\n%s\n--\n%s\n--\n%s", dns.RcodeToString[r.Rcode], r.Authoritative, rrs(r.Answer), rrs(r.Ns), rrs(extra))
				want := fmt.Sprintf("%s aa=%v\n%s\n--\n%s\n--\n%s", dns.RcodeToString[tt.rcode], tt.aa, tt.answer, tt.ns, tt.extra)
				if got != want {
					t.Errorf("%s %s:\ngot  %s\nwant %s", tt.name, dns.TypeToString[tt.qtype], got, want)
				}
				if r.RecursionAvailable {
					t.Error("RA set without --recursive")
				}
			})
		}
	}
}

// Zones come before the hosts file; names outside both are NXDOMAIN.
func TestZoneBeforeHosts(t *testing.T) {
	dir := t.TempDir()
	ts := start(t, "--bindzone", writeFile(t, dir, "example.zone", exampleZone),
		"--hosts-file", writeFile(t, dir, "hosts", "10.1.1.1 web.example.test hostonly\n"))
	if r := ts.ask(t, "udp", "web.example.test.", dns.TypeA); rrs(r.Answer) != "web.example.test. 300 IN A 192.0.2.3" {
		t.Errorf("zone should win: %v", r.Answer)
	}
	if r := ts.ask(t, "udp", "hostonly.", dns.TypeA); rrs(r.Answer) != "hostonly. 3600 IN A 10.1.1.1" {
		t.Errorf("hosts: %v", r.Answer)
	}
}

func TestZoneFileErrors(t *testing.T) {
	head := "$ORIGIN example.test.\n@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n"
	tests := []struct {
		name, content, include, want string
	}{
		{"out of zone", head + "ns1 IN A 192.0.2.1\nother.invalid. IN A 192.0.2.9\n", "", "example.zone:4: other.invalid. is outside the zone example.test."},
		{"syntax", head + "ns1 IN A 192.0.2.1\nwww IN A notanaddress\n", "", "example.zone:4:"},
		{"CNAME beside data", head + "www IN A 192.0.2.1\nwww IN CNAME web\n", "", "example.zone:4: www.example.test.: CNAME beside other records"},
		{"data beside CNAME", head + "www IN CNAME web\nwww IN MX 10 web\n", "", "example.zone:4: www.example.test.: MX record beside a CNAME"},
		{"no SOA", "$ORIGIN example.test.\nwww IN A 192.0.2.1\n", "", "example.zone: no SOA record"},
		{"second SOA", head + "@ IN SOA ns2 hostmaster 2 3600 600 86400 60\n", "", "example.zone:3: a second SOA record"},
		{"SOA below the apex", head + "sub IN SOA ns2 hostmaster 2 3600 600 86400 60\n", "", "example.zone:3: SOA record for sub.example.test."},
		{"class CH", head + "www CH A 192.0.2.1\n", "", "example.zone:3: class CH"},
		{"error in an include", head + "$INCLUDE inc.zone\n", "a IN A 192.0.2.1\nb IN A bad\n", "inc.zone:2:"},
		{"out of zone in an include", head + "$INCLUDE inc.zone\n", "a IN A 192.0.2.1\n\nz.invalid. IN A 192.0.2.2\n", "inc.zone:3: z.invalid. is outside"},
		{"missing include", head + "$INCLUDE nothere.zone\n", "", "nothere.zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.include != "" {
				writeFile(t, dir, "inc.zone", tt.include)
			}
			_, err := tryStart(t, "--bindzone", writeFile(t, dir, "example.zone", tt.content))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestZoneInclude(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "inc.zone", "a IN A 192.0.2.1\n")
	ts := start(t, "--bindzone", writeFile(t, dir, "example.zone",
		"$ORIGIN example.test.\n@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n$INCLUDE inc.zone\nb IN A 192.0.2.2\n"))
	if r := ts.ask(t, "udp", "a.example.test.", dns.TypeA); len(r.Answer) != 1 {
		t.Fatalf("included record missing: %v", r)
	}
}

// Without $ORIGIN, names are relative to the file's base name, as in
// twistd; the zone is where its SOA is.
func TestZoneOriginFromFileName(t *testing.T) {
	dir := t.TempDir()
	ts := start(t, "--bindzone", writeFile(t, dir, "example.org", "@ 300 IN SOA ns hostmaster 1 3600 600 86400 60\nwww 300 IN A 192.0.2.8\n"))
	r := ts.ask(t, "udp", "www.example.org.", dns.TypeA)
	if !r.Authoritative || rrs(r.Answer) != "www.example.org. 300 IN A 192.0.2.8" {
		t.Fatalf("got %v", r)
	}
}

func TestDuplicateZone(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.zone", otherZone)
	b := writeFile(t, dir, "b.zone", otherZone)
	if _, err := tryStart(t, "--bindzone", a, "--bindzone", b); err == nil || !strings.Contains(err.Error(), "already served") {
		t.Fatalf("err = %v", err)
	}
}
