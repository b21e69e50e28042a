package dns

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestParseHosts(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		byName  map[string][]string // name → addresses
		ptr     map[string][]string // reverse name → names
		ents    []string
		skipped int
	}{
		{
			name:   "names, aliases and comments",
			in:     "# comment\n10.0.0.1 alpha alpha.example.test # trailing\n\n  10.0.0.2\tbeta\n",
			byName: map[string][]string{"alpha.": {"10.0.0.1"}, "alpha.example.test.": {"10.0.0.1"}, "beta.": {"10.0.0.2"}},
			ptr:    map[string][]string{"1.0.0.10.in-addr.arpa.": {"alpha.", "alpha.example.test."}, "2.0.0.10.in-addr.arpa.": {"beta."}},
			ents:   []string{"example.test.", "test."},
		},
		{
			name:   "a name on two lines gets both addresses, once each",
			in:     "10.0.0.2 beta\n10.0.0.3 beta\n10.0.0.2 BETA\n",
			byName: map[string][]string{"beta.": {"10.0.0.2", "10.0.0.3"}},
			ptr:    map[string][]string{"2.0.0.10.in-addr.arpa.": {"beta."}, "3.0.0.10.in-addr.arpa.": {"beta."}},
		},
		{
			name:   "IPv6, zone index dropped, mapped IPv4 unmapped",
			in:     "fe80::1%eth0 alpha\n2001:db8::5 six.example.test\n::ffff:192.0.2.9 mapped\n",
			byName: map[string][]string{"alpha.": {"fe80::1"}, "six.example.test.": {"2001:db8::5"}, "mapped.": {"192.0.2.9"}},
			ptr: map[string][]string{
				"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa.": {"alpha."},
				"5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.": {"six.example.test."},
				"9.2.0.192.in-addr.arpa.": {"mapped."},
			},
			ents: []string{"example.test.", "test."},
		},
		{
			name:    "bad lines are skipped, good names on a line are kept",
			in:      "notanip bogus\n10.0.0.9\n10.0.0.4 good bad..name\n",
			byName:  map[string][]string{"good.": {"10.0.0.4"}},
			ptr:     map[string][]string{"4.0.0.10.in-addr.arpa.": {"good."}},
			skipped: 3,
		},
		{
			name:   "case of names is kept for PTR, ignored for lookups",
			in:     "10.0.0.5 MiXeD.Example\n",
			byName: map[string][]string{"mixed.example.": {"10.0.0.5"}},
			ptr:    map[string][]string{"5.0.0.10.in-addr.arpa.": {"MiXeD.Example."}},
			ents:   []string{"example."},
		},
		{name: "empty file", in: ""},
		{name: "CRLF line ends", in: "10.0.0.6 crlf\r\n", byName: map[string][]string{"crlf.": {"10.0.0.6"}},
			ptr: map[string][]string{"6.0.0.10.in-addr.arpa.": {"crlf."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for n, e := range h.byName {
				for _, a := range append(append([]netip.Addr(nil), e.v4...), e.v6...) {
					got[n] = append(got[n], a.String())
				}
			}
			if len(tt.byName) == 0 {
				tt.byName = map[string][]string{}
			}
			if !reflect.DeepEqual(got, tt.byName) {
				t.Errorf("names = %v, want %v", got, tt.byName)
			}
			if len(tt.ptr) == 0 {
				tt.ptr = map[string][]string{}
			}
			if !reflect.DeepEqual(h.byAddr, tt.ptr) {
				t.Errorf("reverse = %v, want %v", h.byAddr, tt.ptr)
			}
			for _, e := range tt.ents {
				if _, ok := h.ents[e]; !ok {
					t.Errorf("%s should exist as an empty non-terminal", e)
				}
			}
			if len(h.ents) != len(tt.ents) {
				t.Errorf("ents = %v, want %v", h.ents, tt.ents)
			}
			if len(h.skipped) != tt.skipped {
				t.Errorf("skipped %q, want %d lines", h.skipped, tt.skipped)
			}
		})
	}
}

func TestParseHostsLongLine(t *testing.T) {
	_, err := parse(strings.NewReader("10.0.0.1 " + strings.Repeat("a", maxHostsLine) + "\n"))
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("err = %v, want a line-too-long error", err)
	}
}

// The hosts file of the twistd reference run (scenario 47).
const scenarioHosts = `10.0.0.1 alpha alpha.example.test
10.0.0.2 beta
10.0.0.3 beta
fe80::1 alpha
2001:db8::5 six.example.test
notanip bogus
`

func TestHostsAnswers(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", scenarioHosts)
	ts := start(t, "--hosts-file", hosts)
	type want struct {
		rcode  int
		answer string
	}
	tests := []struct {
		name  string
		qtype uint16
		want  want
	}{
		{"alpha.", dns.TypeA, want{dns.RcodeSuccess, "alpha. 3600 IN A 10.0.0.1"}},
		{"ALPHA.", dns.TypeA, want{dns.RcodeSuccess, "ALPHA. 3600 IN A 10.0.0.1"}},
		{"alpha.", dns.TypeAAAA, want{dns.RcodeSuccess, "alpha. 3600 IN AAAA fe80::1"}},
		{"beta.", dns.TypeA, want{dns.RcodeSuccess, "beta. 3600 IN A 10.0.0.2\nbeta. 3600 IN A 10.0.0.3"}},
		{"alpha.example.test.", dns.TypeA, want{dns.RcodeSuccess, "alpha.example.test. 3600 IN A 10.0.0.1"}},
		{"six.example.test.", dns.TypeAAAA, want{dns.RcodeSuccess, "six.example.test. 3600 IN AAAA 2001:db8::5"}},
		{"six.example.test.", dns.TypeA, want{dns.RcodeSuccess, ""}},
		{"example.test.", dns.TypeA, want{dns.RcodeSuccess, ""}},
		{"nosuch.", dns.TypeA, want{dns.RcodeNameError, ""}},
		{"bogus.", dns.TypeA, want{dns.RcodeNameError, ""}},
		{"alpha.", dns.TypeANY, want{dns.RcodeSuccess, "alpha. 3600 IN A 10.0.0.1\nalpha. 3600 IN AAAA fe80::1"}},
		{"alpha.", dns.TypeMX, want{dns.RcodeSuccess, ""}},
		{"alpha.", dns.TypeTXT, want{dns.RcodeSuccess, ""}},
		{"alpha.", dns.TypeCAA, want{dns.RcodeSuccess, ""}},
		{"alpha.", 65280, want{dns.RcodeSuccess, ""}}, // a private-use type
		{"1.0.0.10.in-addr.arpa.", dns.TypePTR, want{dns.RcodeSuccess,
			"1.0.0.10.in-addr.arpa. 3600 IN PTR alpha.\n1.0.0.10.in-addr.arpa. 3600 IN PTR alpha.example.test."}},
		{"1.0.0.10.in-addr.arpa.", dns.TypeA, want{dns.RcodeSuccess, ""}},
		{"9.9.9.10.in-addr.arpa.", dns.TypePTR, want{dns.RcodeNameError, ""}},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(network+"/"+tt.name+"/"+dns.TypeToString[tt.qtype], func(t *testing.T) {
				r := ts.ask(t, network, tt.name, tt.qtype)
				if r.Rcode != tt.want.rcode || rrs(r.Answer) != tt.want.answer {
					t.Errorf("got %s\n%s\nwant %s\n%s", dns.RcodeToString[r.Rcode], rrs(r.Answer),
						dns.RcodeToString[tt.want.rcode], tt.want.answer)
				}
				if r.RecursionAvailable {
					t.Error("RA set without --recursive")
				}
				if r.Rcode == dns.RcodeSuccess && !r.Authoritative {
					t.Error("AA not set on an answer from the hosts file")
				}
				if r.Rcode == dns.RcodeServerFailure {
					t.Error("SERVFAIL")
				}
			})
		}
	}
	if !strings.Contains(ts.logs.String(), `line 6: \"notanip\" is not an IP address`) {
		t.Errorf("the skipped line is not logged:\n%s", ts.logs)
	}
}

// Scenario 47: "dig -x 10.0.0.1" is answered from the hosts file.
func TestHostsReverseOfIPv6(t *testing.T) {
	ts := start(t, "--hosts-file", writeFile(t, t.TempDir(), "hosts", scenarioHosts))
	rev, _ := dns.ReverseAddr("2001:db8::5")
	r := ts.ask(t, "udp", rev, dns.TypePTR)
	if len(r.Answer) != 1 || r.Answer[0].(*dns.PTR).Ptr != "six.example.test." {
		t.Fatalf("got %v", r.Answer)
	}
}

// Found by FuzzParseHosts: bytes that are not UTF-8 in a name must stay
// as they are (strings.ToLower turned each into a 3-byte U+FFFD, making a
// label too long to pack).
func TestHostsNameNotUTF8(t *testing.T) {
	name := strings.Repeat("0", 55) + "\x80\xff\xff"
	h, err := parse(strings.NewReader("192.0.2.1 " + name + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := new(dns.Msg)
	key := name + "."
	if !h.answer(dns.Question{Name: key, Qtype: dns.TypeA, Qclass: dns.ClassINET}, key, 60, m) {
		t.Fatal("name not found")
	}
	if _, err := m.Pack(); err != nil {
		t.Fatal(err)
	}
}
